-- name: claim_key
-- Take the key for this request, or take over one that expired or whose first request
-- was abandoned mid-way; otherwise no row, and lookup_key says what is stored.
INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (scope, key) DO UPDATE
SET fingerprint = excluded.fingerprint, state = 'running', status = NULL, headers = NULL, body = NULL,
    created_at = now(), expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at < now()
   OR (idempotency_keys.state = 'running' AND idempotency_keys.created_at < now() - make_interval(secs => $5))
RETURNING true

-- name: lookup_key
SELECT fingerprint, state, status, headers, body FROM idempotency_keys WHERE scope = $1 AND key = $2

-- name: store_response
UPDATE idempotency_keys SET state = 'done', status = $3, headers = $4, body = $5
WHERE scope = $1 AND key = $2

-- name: release_key
DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2

-- name: forget_expired
DELETE FROM idempotency_keys WHERE expires_at < now()
