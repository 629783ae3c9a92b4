-- name: source_url
SELECT url FROM sources WHERE id = $1

-- name: claim_due_sources
-- Sources due for a check, taken by one worker: their next check moves out by $2 seconds at
-- once (a lease), so that other workers skip them now and a crashed worker's batch comes back.
UPDATE sources s
SET next_check_at = now() + make_interval(secs => $2)
FROM (
    SELECT id FROM sources
    WHERE next_check_at <= now()
    ORDER BY next_check_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) due
WHERE s.id = due.id
RETURNING s.id, s.url

-- name: source_health_for_update
SELECT health, content_hash, consecutive_failures FROM sources WHERE id = $1 FOR UPDATE

-- name: insert_check
INSERT INTO source_checks (source_id, outcome, health, previous_health, status_code, final_url, redirects,
                           content_type, content_hash, title, bytes_read, truncated, error, duration_ms,
                           requested_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING source_check_document(source_checks)

-- name: record_health
-- After a check: the new health, baseline and failure count, and when to look again ($5
-- seconds). A change of health is a change of the source: its version goes up.
UPDATE sources
SET health = $2, content_hash = $3, consecutive_failures = $4, checked_at = now(),
    next_check_at = now() + make_interval(secs => $5),
    version = CASE WHEN health <> $2 THEN version + 1 ELSE version END,
    updated_at = CASE WHEN health <> $2 THEN now() ELSE updated_at END
WHERE id = $1

-- name: list_checks
-- A source's checks, newest first; NULL when the source does not exist.
SELECT (
    SELECT coalesce(json_agg(page.doc ORDER BY page.checked_at DESC, page.id DESC), '[]')
    FROM (
        SELECT k.id, k.checked_at, source_check_document(k) AS doc
        FROM source_checks k
        WHERE k.source_id = s.id
          AND ($2::timestamptz IS NULL OR (k.checked_at, k.id) < ($2, $3::uuid))
        ORDER BY k.checked_at DESC, k.id DESC
        LIMIT $4
    ) page
)
FROM sources s WHERE s.id = $1
