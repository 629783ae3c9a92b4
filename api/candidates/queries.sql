-- name: article_and_claim_spans
-- The article's body, language and version, and the spans of its placed claims.
SELECT a.body, a.language, a.version,
       coalesce((SELECT json_agg(json_build_array(c.id, c.span_start, c.span_end) ORDER BY c.span_start, c.id)
                 FROM claims c
                 WHERE c.article_id = a.id AND c.span_start IS NOT NULL), '[]') AS spans
FROM articles a
WHERE a.id = $1
