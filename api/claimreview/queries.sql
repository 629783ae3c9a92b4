-- name: claim_for_review
-- One claim with what its ClaimReview needs: its article, when a verdict was first given
-- (first_rated) and when the claim was last reviewed.
SELECT c.id, c.text, c.claimant, c.claim_date, c.language, c.rating_value, c.rating_text, c.review_url,
       a.url AS article_url, a.title AS article_title, a.outlet, a.published_at AS article_published_at,
       r.first_rated, r.last_reviewed
FROM claims c
JOIN articles a ON a.id = c.article_id
CROSS JOIN LATERAL (
    SELECT min(v.created_at) FILTER (WHERE v.rating_text IS NOT NULL) AS first_rated,
           max(v.created_at) FILTER (WHERE v.kind = 'verdict') AS last_reviewed
    FROM verifications v WHERE v.claim_id = c.id
) r
WHERE c.id = $1

-- name: article_for_review
SELECT id FROM articles WHERE id = $1

-- name: article_reviewed_claims
-- The article's claims with a verdict, in text order, as claim_for_review gives one.
SELECT c.id, c.text, c.claimant, c.claim_date, c.language, c.rating_value, c.rating_text, c.review_url,
       a.url AS article_url, a.title AS article_title, a.outlet, a.published_at AS article_published_at,
       r.first_rated, r.last_reviewed
FROM claims c
JOIN articles a ON a.id = c.article_id
CROSS JOIN LATERAL (
    SELECT min(v.created_at) FILTER (WHERE v.rating_text IS NOT NULL) AS first_rated,
           max(v.created_at) FILTER (WHERE v.kind = 'verdict') AS last_reviewed
    FROM verifications v WHERE v.claim_id = c.id
) r
WHERE c.article_id = $1 AND c.rating_text IS NOT NULL
ORDER BY c.span_start IS NULL, c.span_start, c.span_end, c.id

-- name: insert_review
-- An imported review as a new fact_check source; no row when its url is stored already.
INSERT INTO sources (url, title, publisher, kind, language, published_at, review_rating, claim_reviewed,
                     created_by, updated_by)
VALUES ($1, $2, $3, 'fact_check', $4, $5, $6, $7, $8, $8)
ON CONFLICT (url) DO NOTHING
RETURNING id

-- name: update_review
-- A review imported again: what it says now replaces what was stored, fields it leaves out
-- stay; no row when nothing would change, so importing the same review twice changes nothing.
UPDATE sources
SET title = coalesce($2, title), publisher = coalesce($3, publisher), kind = 'fact_check',
    language = coalesce($4, language), published_at = coalesce($5, published_at),
    review_rating = coalesce($6, review_rating), claim_reviewed = coalesce($7, claim_reviewed),
    updated_by = $8, version = version + 1, updated_at = now()
WHERE url = $1
  AND (title, publisher, kind, language, published_at, review_rating, claim_reviewed)
      IS DISTINCT FROM
      (coalesce($2, title), coalesce($3, publisher), 'fact_check', coalesce($4, language),
       coalesce($5::timestamptz, published_at), coalesce($6::jsonb, review_rating),
       coalesce($7, claim_reviewed))
RETURNING id

-- name: source_id_by_url
SELECT id FROM sources WHERE url = $1
