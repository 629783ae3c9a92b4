-- name: insert_article
-- Create-if-absent on url and external_id: a duplicate yields no row, then existing_article finds it.
INSERT INTO articles (url, external_id, title, language, outlet, published_at, body, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT DO NOTHING
RETURNING id

-- name: existing_article
SELECT id FROM articles WHERE url = $1 OR external_id = $2 LIMIT 1

-- name: article
-- The article as the API answers it (article_document, migration 0013).
SELECT article_document(a) FROM articles a WHERE a.id = $1

-- name: article_for_update
SELECT id, url, external_id, title, language, outlet, published_at, body, version, revision
FROM articles WHERE id = $1 FOR UPDATE

-- name: update_article
-- A new body is a new revision. Answers the article's new document.
UPDATE articles a
SET url = $2, external_id = $3, title = $4, language = $5, outlet = $6, published_at = $7, body = $8,
    updated_by = $9, version = version + 1, updated_at = now(),
    revision = revision + CASE WHEN body IS DISTINCT FROM $8 THEN 1 ELSE 0 END
WHERE id = $1
RETURNING article_document(a)

-- name: article_has_history
SELECT EXISTS (SELECT 1 FROM verifications WHERE article_id = $1 AND kind = 'verdict')

-- name: delete_article
DELETE FROM articles WHERE id = $1

-- name: list_articles
-- Newest first; the cursor is the last item's (created_at, id).
SELECT article_document(a)
FROM articles a
WHERE ($1::text IS NULL OR url = $1)
  AND ($2::text IS NULL OR external_id = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5

-- name: article_claim_ids
SELECT id FROM claims WHERE article_id = $1 ORDER BY id

-- name: insert_revision
-- The article's current body as its revision, with what writing it did to the claims
-- ($3 anchored, $4 reworded, $5 orphaned). Called in the transaction that wrote the body.
INSERT INTO article_revisions (article_id, revision, article_version, body, length, sha256, actor, created_at,
                               anchored, reworded, orphaned)
SELECT a.id, a.revision, a.version, a.body, char_length(a.body),
       encode(sha256(convert_to(a.body, 'UTF8')), 'hex'), $2, a.updated_at, $3, $4, $5
FROM articles a WHERE a.id = $1

-- name: list_revisions
-- Newest first; NULL when the article does not exist. $2: the cursor (a revision number).
SELECT (
    SELECT coalesce(json_agg(page.doc ORDER BY page.revision DESC), '[]')
    FROM (
        SELECT r.revision, revision_document(r, false) AS doc
        FROM article_revisions r
        WHERE r.article_id = a.id AND ($2::integer IS NULL OR r.revision < $2)
        ORDER BY r.revision DESC
        LIMIT $3
    ) page
)
FROM articles a WHERE a.id = $1

-- name: revision
SELECT revision_document(r, true) FROM article_revisions r WHERE r.article_id = $1 AND r.revision = $2
