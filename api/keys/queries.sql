-- name: insert_key
INSERT INTO api_keys (name, token_prefix, token_hash, scopes, created_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO NOTHING
RETURNING id, name, token_prefix, scopes, created_by, created_at, revoked_at, last_used_at

-- name: key_id_by_name
SELECT id FROM api_keys WHERE name = $1

-- name: key_by_hash
SELECT id, name, scopes, token_hash, revoked_at FROM api_keys WHERE token_hash = $1

-- name: list_keys
SELECT id, name, token_prefix, scopes, created_by, created_at, revoked_at, last_used_at
FROM api_keys
WHERE ($1::text IS NULL OR name > $1)
ORDER BY name
LIMIT $2

-- name: count_keys
SELECT count(*) FROM api_keys

-- name: revoke_key
-- Revoking twice keeps the first time; every worker process drops its cached keys on the notice.
WITH revoked AS (
    UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE name = $1 RETURNING id
)
SELECT id, pg_notify('claimtrack_api_keys', id::text) FROM revoked

-- name: touch_keys
-- last_used_at is flushed from memory in batches, never written per request.
UPDATE api_keys k SET last_used_at = greatest(k.last_used_at, u.used_at)
FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at)
WHERE k.id = u.id

-- name: count_request
-- One fixed one-minute window per key, shared by every worker process.
INSERT INTO rate_limit_windows (key_id, window_start, requests)
VALUES ($1, date_trunc('minute', now()), 1)
ON CONFLICT (key_id, window_start) DO UPDATE SET requests = rate_limit_windows.requests + 1
RETURNING requests, ceil(extract(epoch FROM (window_start + interval '1 minute' - now())))::integer AS retry_after

-- name: forget_old_windows
DELETE FROM rate_limit_windows WHERE window_start < date_trunc('minute', now())
