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
RETURNING json_build_object(
    'id', id, 'source_id', source_id, 'checked_at', checked_at, 'outcome', outcome, 'health', health,
    'previous_health', previous_health, 'status_code', status_code, 'final_url', final_url,
    'redirects', redirects, 'content_type', content_type, 'content_hash', content_hash, 'title', title,
    'bytes_read', bytes_read, 'truncated', truncated, 'error', error, 'duration_ms', duration_ms,
    'requested_by', requested_by)

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
    SELECT coalesce(json_agg(json_build_object(
        'id', k.id, 'source_id', k.source_id, 'checked_at', k.checked_at, 'outcome', k.outcome,
        'health', k.health, 'previous_health', k.previous_health, 'status_code', k.status_code,
        'final_url', k.final_url, 'redirects', k.redirects, 'content_type', k.content_type,
        'content_hash', k.content_hash, 'title', k.title, 'bytes_read', k.bytes_read,
        'truncated', k.truncated, 'error', k.error, 'duration_ms', k.duration_ms,
        'requested_by', k.requested_by) ORDER BY k.checked_at DESC, k.id DESC), '[]')
    FROM (
        SELECT * FROM source_checks
        WHERE source_id = s.id
          AND ($2::timestamptz IS NULL OR (checked_at, id) < ($2, $3::uuid))
        ORDER BY checked_at DESC, id DESC
        LIMIT $4
    ) k
)
FROM sources s WHERE s.id = $1
