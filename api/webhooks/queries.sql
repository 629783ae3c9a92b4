-- name: insert_webhook
INSERT INTO webhooks (url, event_types, description, secret, created_by)
VALUES ($1, $2, $3, $4, $5)
RETURNING id

-- name: webhook
SELECT id, url, event_types, description, enabled, disabled_reason, consecutive_failures, version,
       created_by, created_at, updated_at
FROM webhooks WHERE id = $1

-- name: webhook_for_update
SELECT id, url, event_types, description, enabled, version FROM webhooks WHERE id = $1 FOR UPDATE

-- name: list_webhooks
SELECT id, url, event_types, description, enabled, disabled_reason, consecutive_failures, version,
       created_by, created_at, updated_at
FROM webhooks
WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid))
ORDER BY created_at, id
LIMIT $3

-- name: update_webhook
UPDATE webhooks
SET url = $2, event_types = $3, description = $4, enabled = $5,
    disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
    consecutive_failures = CASE WHEN $5 AND NOT enabled THEN 0 ELSE consecutive_failures END,
    version = version + 1, updated_at = now()
WHERE id = $1

-- name: rotate_secret
UPDATE webhooks
SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => $3),
    secret = $2, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING previous_secret_expires_at

-- name: delete_webhook
DELETE FROM webhooks WHERE id = $1 RETURNING id

-- name: list_deliveries
-- Newest first; NULL when the webhook does not exist.
SELECT (
    SELECT coalesce(json_agg(json_build_object(
        'id', d.id, 'event_id', d.event_id, 'event_type', e.type, 'status', d.status,
        'attempts', d.attempts, 'next_attempt_at', d.next_attempt_at,
        'last_status_code', d.last_status_code, 'last_error', d.last_error,
        'created_at', d.created_at, 'delivered_at', d.delivered_at)
        ORDER BY d.created_at DESC, d.id DESC), '[]')
    FROM (
        SELECT * FROM webhook_deliveries
        WHERE webhook_id = w.id
          AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $5
    ) d JOIN events e ON e.id = d.event_id
)
FROM webhooks w WHERE w.id = $1

-- name: due_deliveries
-- Due deliveries of enabled webhooks whose earlier deliveries about the same thing are done,
-- locked so that no other worker sends them meanwhile.
SELECT d.id, d.webhook_id, d.attempts, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
       e.id AS event_id, e.type, e.occurred_at, e.data
FROM webhook_deliveries d
JOIN webhooks w ON w.id = d.webhook_id
JOIN events e ON e.id = d.event_id
WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled
  AND NOT EXISTS (
      SELECT 1 FROM webhook_deliveries p
      WHERE p.webhook_id = d.webhook_id AND p.order_key = d.order_key AND p.status = 'pending'
        AND (p.event_txid, p.event_seq) < (d.event_txid, d.event_seq))
ORDER BY d.event_txid, d.event_seq
LIMIT $1
FOR UPDATE OF d SKIP LOCKED

-- name: delivery_succeeded
WITH done AS (
    UPDATE webhook_deliveries
    SET status = 'succeeded', attempts = attempts + 1, last_status_code = $2, last_error = NULL,
        delivered_at = now()
    WHERE id = $1
    RETURNING webhook_id
)
UPDATE webhooks SET consecutive_failures = 0 FROM done WHERE webhooks.id = done.webhook_id

-- name: delivery_failed
-- A failed attempt: retry later, or give up after the last attempt and disable the webhook.
WITH attempt AS (
    UPDATE webhook_deliveries
    SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
        next_attempt_at = now() + make_interval(secs => $4),
        status = CASE WHEN attempts + 1 >= $5 THEN 'failed' ELSE 'pending' END
    WHERE id = $1
    RETURNING webhook_id, status, attempts
)
UPDATE webhooks w
SET consecutive_failures = w.consecutive_failures + 1,
    enabled = CASE WHEN a.status = 'failed' THEN false ELSE w.enabled END,
    disabled_reason = CASE WHEN a.status = 'failed'
                           THEN format('a delivery failed %s times; last error: %s', a.attempts, $3)
                           ELSE w.disabled_reason END
FROM attempt a WHERE w.id = a.webhook_id

-- name: pending_backlog
SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'
