-- name: claim_for_review
-- One claim with what its ClaimReview needs: its article, its first origin source (where the
-- claim first appeared), when a verdict was first given (first_rated) and when the claim was
-- last reviewed.
SELECT c.id, c.article_id, c.text, c.claimant, c.claimant_type, c.claim_date, c.language, c.status,
       c.rating_value, c.rating_text, c.review_url,
       a.url AS article_url, a.external_id, a.title AS article_title, a.outlet,
       a.published_at AS article_published_at,
       o.url AS origin_url, o.title AS origin_title, o.publisher AS origin_publisher,
       o.published_at AS origin_published_at,
       r.first_rated, r.last_reviewed
FROM claims c
JOIN articles a ON a.id = c.article_id
LEFT JOIN LATERAL (
    SELECT s.url, s.title, s.publisher, s.published_at
    FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
    WHERE cs.claim_id = c.id AND cs.relation = 'origin'
    ORDER BY cs.added_at, cs.source_id
    LIMIT 1
) o ON true
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
SELECT c.id, c.article_id, c.text, c.claimant, c.claimant_type, c.claim_date, c.language, c.status,
       c.rating_value, c.rating_text, c.review_url,
       a.url AS article_url, a.external_id, a.title AS article_title, a.outlet,
       a.published_at AS article_published_at,
       o.url AS origin_url, o.title AS origin_title, o.publisher AS origin_publisher,
       o.published_at AS origin_published_at,
       r.first_rated, r.last_reviewed
FROM claims c
JOIN articles a ON a.id = c.article_id
LEFT JOIN LATERAL (
    SELECT s.url, s.title, s.publisher, s.published_at
    FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
    WHERE cs.claim_id = c.id AND cs.relation = 'origin'
    ORDER BY cs.added_at, cs.source_id
    LIMIT 1
) o ON true
CROSS JOIN LATERAL (
    SELECT min(v.created_at) FILTER (WHERE v.rating_text IS NOT NULL) AS first_rated,
           max(v.created_at) FILTER (WHERE v.kind = 'verdict') AS last_reviewed
    FROM verifications v WHERE v.claim_id = c.id
) r
WHERE c.article_id = $1 AND c.rating_text IS NOT NULL
ORDER BY claim_text_order(c.span_start, c.span_end), c.id

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
