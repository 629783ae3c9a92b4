-- name: commit_position
-- Read on the primary after a write has committed: the end of everything inserted into the
-- WAL so far, so at or past the write's commit record whatever synchronous_commit says.
SELECT pg_current_wal_insert_lsn()::text

-- name: primary_position
-- What the primary has flushed, and so could have sent to its replicas: the yardstick of lag.
SELECT pg_current_wal_flush_lsn()::text

-- name: replica_position
-- How far a replica has replayed; a server that is not in recovery is no replica (any more).
SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS replayed

-- name: replayed_position
SELECT pg_last_wal_replay_lsn()::text
