-- name: insert_events
INSERT INTO events (type, order_key, data)
SELECT t.type, t.order_key, t.data
FROM unnest($1::text[], $2::uuid[], $3::jsonb[]) WITH ORDINALITY AS t(type, order_key, data, n)
ORDER BY t.n

-- name: horizon
-- Every event below this transaction id is final: its transaction has ended, and any later
-- one gets a higher id. Only transactions of this database write events, so those of other
-- databases (a dump, a bulk load next door) do not hold the feed back. Read in a statement
-- of its own, before the feed's snapshot, so that whatever ended before it is visible there.
WITH next AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::numeric AS xid8)
SELECT least(
    next.xid8,
    min(
        -- backend_xid is 32 bits; put it in the epoch of the next id (or the one before).
        floor(next.xid8 / 4294967296) * 4294967296 + a.backend_xid::text::numeric
        - CASE WHEN a.backend_xid::text::numeric > next.xid8 % 4294967296 THEN 4294967296 ELSE 0 END
    )
)::text
FROM next
LEFT JOIN pg_stat_activity a ON a.datname = current_database() AND a.backend_xid IS NOT NULL
GROUP BY next.xid8

-- name: feed
-- Events after the cursor whose transactions are all final, in (txid, seq) order.
SELECT txid::text AS txid, seq, id, type, occurred_at, data
FROM events
WHERE (txid, seq) > ($1::text::xid8, $2::bigint)
  AND txid < $5::text::xid8
  AND ($3::text[] IS NULL OR type = any($3) OR split_part(type, '.', 1) || '.*' = any($3))
ORDER BY txid, seq
LIMIT $4

-- name: source_documents_by_ids
SELECT doc FROM source_documents WHERE id = any($1::uuid[])
