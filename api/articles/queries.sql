-- name: insert_article
-- Create-if-absent on url and external_id: a duplicate yields no row, then existing_article finds it.
INSERT INTO articles (url, external_id, title, language, outlet, published_at, body, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT DO NOTHING
RETURNING id

-- name: existing_article
SELECT id FROM articles WHERE url = $1 OR external_id = $2 LIMIT 1

-- name: article
SELECT id, url, external_id, title, language, outlet, published_at, body, version,
       created_by, updated_by, created_at, updated_at
FROM articles WHERE id = $1

-- name: article_for_update
SELECT id, url, external_id, title, language, outlet, published_at, body, version
FROM articles WHERE id = $1 FOR UPDATE

-- name: update_article
UPDATE articles
SET url = $2, external_id = $3, title = $4, language = $5, outlet = $6, published_at = $7, body = $8,
    updated_by = $9, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING id, url, external_id, title, language, outlet, published_at, body, version,
          created_by, updated_by, created_at, updated_at

-- name: article_has_history
SELECT EXISTS (SELECT 1 FROM verifications WHERE article_id = $1 AND kind = 'verdict')

-- name: delete_article
DELETE FROM articles WHERE id = $1

-- name: list_articles
-- Newest first; the cursor is the last item's (created_at, id).
SELECT id, url, external_id, title, language, outlet, published_at, body, version,
       created_by, updated_by, created_at, updated_at
FROM articles
WHERE ($1::text IS NULL OR url = $1)
  AND ($2::text IS NULL OR external_id = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5

-- name: article_claim_ids
SELECT id FROM claims WHERE article_id = $1 ORDER BY id
