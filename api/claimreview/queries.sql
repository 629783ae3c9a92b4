-- name: claim_for_review
-- One claim with what its ClaimReview needs (claim_review_facts, migration 0016): its article,
-- its first origin source (where the claim first appeared), when a verdict was first given
-- (first_rated) and when the claim was last reviewed.
SELECT * FROM claim_review_facts WHERE id = $1

-- name: article_for_review
SELECT id FROM articles WHERE id = $1

-- name: article_reviewed_claims
-- The article's claims with a verdict, in text order, as claim_for_review gives one.
SELECT * FROM claim_review_facts
WHERE article_id = $1 AND rating_text IS NOT NULL
ORDER BY claim_text_order(span_start, span_end), id

-- name: page_for_review
-- The fact_check source of a review's page, locked: the page's reviews are merged under the lock.
SELECT id, kind, title, publisher, language, published_at, reviews FROM sources WHERE url = $1 FOR UPDATE

-- name: insert_page
-- A page first imported; no row when a concurrent import stored it meanwhile.
INSERT INTO sources (url, title, publisher, kind, language, published_at, review_rating, claim_reviewed, reviews,
                     created_by, updated_by)
VALUES ($1, $2, $3, 'fact_check', $4, $5, $6, $7, $8, $9, $9)
ON CONFLICT (url) DO NOTHING
RETURNING id

-- name: update_page
UPDATE sources
SET title = $2, publisher = $3, kind = 'fact_check', language = $4, published_at = $5, review_rating = $6,
    claim_reviewed = $7, reviews = $8, updated_by = $9, version = version + 1, updated_at = now()
WHERE id = $1
