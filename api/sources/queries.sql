-- name: insert_source
-- Create-if-absent: a concurrent insert of the same normalised url yields no row here.
INSERT INTO sources (url, title, publisher, kind, language, published_at, archived_url, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (url) DO NOTHING
RETURNING id

-- name: source_id_by_url
SELECT id FROM sources WHERE url = $1

-- name: source_ids_existing
SELECT id FROM sources WHERE id = any($1::uuid[])

-- name: source_document
SELECT doc FROM source_documents WHERE id = $1

-- name: source_for_update
SELECT id, url, title, publisher, kind, language, published_at, archived_url, version
FROM sources WHERE id = $1 FOR UPDATE

-- name: update_source
UPDATE sources
SET url = $2, title = $3, publisher = $4, kind = $5, language = $6, published_at = $7,
    archived_url = $8, updated_by = $9, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING version

-- name: delete_source
DELETE FROM sources WHERE id = $1

-- name: list_sources
-- Newest first; the cursor is the last item's (created_at, id).
SELECT coalesce(json_agg(page.doc ORDER BY page.created_at DESC, page.id DESC), '[]')
FROM (
    SELECT id, created_at, doc FROM source_documents
    WHERE ($1::text IS NULL OR url = $1)
      AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
    ORDER BY created_at DESC, id DESC
    LIMIT $4
) page

-- name: claims_citing_source
-- The claims citing a source, oldest link first; NULL when the source does not exist.
SELECT (
    SELECT coalesce(json_agg(page.doc ORDER BY page.added_at, page.id), '[]')
    FROM (
        SELECT cd.id, cs.added_at, cd.doc
        FROM claim_sources cs JOIN claim_documents cd ON cd.id = cs.claim_id
        WHERE cs.source_id = s.id
          AND ($2::timestamptz IS NULL OR (cs.added_at, cs.claim_id) > ($2, $3::uuid))
        ORDER BY cs.added_at, cs.claim_id
        LIMIT $4
    ) page
)
FROM sources s WHERE s.id = $1
