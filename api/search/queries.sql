-- name: claim_filters
-- The column filters of GET /v1/claims, put into the two listings below in place of their
-- "claim_filters" comment: $1 status, $2 article_id, $3 language (a primary tag also finds its
-- regional variants), $4 tag, $5 updated_since, $6 created_since, $7 claimant (any case).
-- The filters that look into another table follow (filter_* blocks), each only when it is
-- given, its placeholder numbered after the listing's own parameters: as a top-level EXISTS
-- the planner makes it a semi-join whose size it can estimate, and may start from it (the 20
-- claims citing a source), whereas under "$n IS NULL OR" it would stay a per-row check, run
-- on the claims in time order until a page is full.
    ($1::text IS NULL OR c.status = $1)
AND ($2::uuid IS NULL OR c.article_id = $2)
AND ($3::text IS NULL OR lower(c.language) = lower($3) OR lower(c.language) LIKE lower($3) || '-%')
AND ($4::text IS NULL OR c.tags @> ARRAY[$4::text])
AND ($5::timestamptz IS NULL OR c.updated_at >= $5)
AND ($6::timestamptz IS NULL OR c.created_at >= $6)
AND ($7::text IS NULL OR (c.claimant IS NOT NULL AND lower(c.claimant) = lower($7)))

-- name: filter_anchor_status
-- Only when given, like the joined filters, so that the listings' parameters keep their numbers;
-- claims_anchor_status_idx finds the few that are not anchored.
AND c.anchor_status = $?::text

-- name: filter_source_id
AND EXISTS (SELECT 1 FROM claim_sources cs WHERE cs.claim_id = c.id AND cs.source_id = $?::uuid)

-- name: filter_source_url
-- The url in its normalised spelling.
AND EXISTS (
    SELECT 1 FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
    WHERE cs.claim_id = c.id AND s.url = $?::text)

-- name: filter_outlet
-- The article's outlet, any case.
AND EXISTS (
    SELECT 1 FROM articles a
    WHERE a.id = c.article_id AND a.outlet IS NOT NULL AND lower(a.outlet) = lower($?::text))

-- name: filter_source_health
-- Any of the given health states, of a source the claim cites.
AND EXISTS (
    SELECT 1 FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
    WHERE cs.claim_id = c.id AND s.health = any($?::text[]))

-- name: claims_by_time
-- Newest first by $8 ('updated_at' or 'created_at'); the cursor is the last item's (time, id).
-- Only ids are ordered and limited; the documents are built for the page alone.
SELECT coalesce(json_agg(cd.doc ORDER BY page.at DESC, page.id DESC), '[]')
FROM (
    SELECT c.id, CASE WHEN $8::text = 'created_at' THEN c.created_at ELSE c.updated_at END AS at
    FROM claims c
    WHERE /* claim_filters */
      AND ($9::timestamptz IS NULL
           OR (CASE WHEN $8::text = 'created_at' THEN c.created_at ELSE c.updated_at END, c.id)
              < ($9, $10::uuid))
    ORDER BY at DESC, c.id DESC
    LIMIT $11
) page
JOIN claim_documents cd ON cd.id = page.id

-- name: claims_by_rank
-- Full-text hits for $8, best first; the cursor is the last hit's (rank, id). The query is read
-- by every text search configuration; the union of the readings finds the candidates through
-- the index, and each claim must match its own language's reading, with which it is also
-- ranked and highlighted. The snippet is HTML: the text escaped, hits in <mark>.
-- Returns the documents and, in the same order, each hit's {rank, snippet}.
WITH query AS (
    SELECT german, english, russian, simple, german || english || russian || simple AS any_reading
    FROM (
        SELECT websearch_to_tsquery('pg_catalog.german', $8) AS german,
               websearch_to_tsquery('pg_catalog.english', $8) AS english,
               websearch_to_tsquery('pg_catalog.russian', $8) AS russian,
               websearch_to_tsquery('pg_catalog.simple', $8) AS simple
    ) readings
),
page AS (
    SELECT c.id, c.text, c.quote, c.language, own.query, ts_rank(c.search_vector, own.query)::float8 AS rank
    FROM query
    JOIN claims c ON c.search_vector @@ query.any_reading
    CROSS JOIN LATERAL (
        SELECT CASE claim_search_configuration(c.language)
                   WHEN 'german' THEN query.german
                   WHEN 'english' THEN query.english
                   WHEN 'russian' THEN query.russian
                   ELSE query.simple
               END AS query
    ) own
    WHERE c.search_vector @@ own.query
      AND /* claim_filters */
      AND ($9::float8 IS NULL OR (ts_rank(c.search_vector, own.query)::float8, c.id) < ($9, $10::uuid))
    ORDER BY rank DESC, c.id DESC
    LIMIT $11
)
SELECT coalesce(json_agg(cd.doc ORDER BY page.rank DESC, page.id DESC), '[]'),
       coalesce(json_agg(json_build_object(
           'rank', page.rank,
           'snippet', ts_headline(
               claim_search_regconfig(page.language),
               replace(replace(replace(
                   CASE WHEN page.text = page.quote THEN page.text ELSE page.text || ' — ' || page.quote END,
                   '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
               page.query,
               'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, MaxFragments=2, '
               || 'FragmentDelimiter=" … "'))
           ORDER BY page.rank DESC, page.id DESC), '[]')
FROM page
JOIN claim_documents cd ON cd.id = page.id

-- name: set_similarity_threshold
-- The trigram index finds candidates at or above pg_trgm.similarity_threshold; for this
-- transaction only.
SELECT set_config('pg_trgm.similarity_threshold', $1::text, true)

-- name: similar_claims
-- Claims close to a stored claim ($1, whose own article's claims are left out) or to a text
-- not stored ($2, with the [{key, value}] of the quantities api/quantities read from it: $6),
-- best first. A candidate is found in one of three ways, each through an index:
-- - it names the same numbers (claims_match_numbers_idx), scored by the trigram similarity of
--   the normalised texts;
-- - it counts the same thing (a quantity key in common, such as "killed" for "Tote", "getötet"
--   and "killed") with a value near one of the claim's: the 50 nearest above and the 50
--   nearest below per thing (claim_quantity_values_key_idx, at most three things), scored by the
--   similarity of the texts with their numbers left out, so that "164 Tote" finds "genau 150
--   Tote" and the two can be compared; bounded, however many claims count the same thing;
-- - for a text naming no number, its trigrams among the claims naming none (claims_match_text_idx).
-- A claim found more than one way keeps its best score.
-- $3 language filter (as in claim_filters), $4 least score, $5 limit.
-- Returns no row when $1 names no claim; else the documents, in the same order each match's
-- {score}, and the stored claim's [quantities, quote_quantities] (null for a text).
WITH target AS (
    SELECT c.article_id, c.match_text, c.match_numbers, c.match_words,
           claim_quantity_anchors(c.quantities, c.quote_quantities) AS anchors,
           json_build_array(c.quantities, c.quote_quantities) AS quantities
    FROM claims c WHERE c.id = $1
    UNION ALL
    SELECT NULL, claim_match_text($2), claim_match_numbers($2), claim_match_words($2), $6::jsonb, NULL
    WHERE $2::text IS NOT NULL
),
near AS (
    SELECT DISTINCT n.claim_id AS id
    FROM target t
    CROSS JOIN LATERAL (
        SELECT e.a ->> 'key' AS key, (e.a ->> 'value')::float8 AS value
        FROM jsonb_array_elements(t.anchors) AS e(a)
        LIMIT 3
    ) a
    CROSS JOIN LATERAL (
        (SELECT v.claim_id FROM claim_quantity_values v
         WHERE v.key = a.key AND v.value >= a.value ORDER BY v.value LIMIT 50)
        UNION ALL
        (SELECT v.claim_id FROM claim_quantity_values v
         WHERE v.key = a.key AND v.value < a.value ORDER BY v.value DESC LIMIT 50)
    ) n
),
candidates AS (
    SELECT c.id, c.article_id, c.language, similarity(c.match_text, t.match_text)::float8 AS score,
           t.article_id AS target_article_id
    FROM target t
    JOIN claims c ON c.match_numbers = t.match_numbers
    WHERE t.match_numbers <> '{}'
    UNION ALL
    SELECT c.id, c.article_id, c.language, similarity(c.match_words, t.match_words)::float8,
           t.article_id
    FROM target t
    CROSS JOIN near
    JOIN claims c ON c.id = near.id
    UNION ALL
    SELECT c.id, c.article_id, c.language, similarity(c.match_text, t.match_text)::float8,
           t.article_id
    FROM target t
    JOIN claims c ON c.match_numbers = '{}' AND c.match_text % t.match_text
    WHERE t.match_numbers = '{}'
),
matches AS (
    SELECT m.id, max(m.score) AS score
    FROM candidates m
    WHERE (m.target_article_id IS NULL OR m.article_id <> m.target_article_id)
      AND ($3::text IS NULL OR lower(m.language) = lower($3) OR lower(m.language) LIKE lower($3) || '-%')
    GROUP BY m.id
    HAVING max(m.score) >= $4::float8
    ORDER BY max(m.score) DESC, m.id
    LIMIT $5
)
SELECT coalesce(json_agg(cd.doc ORDER BY m.score DESC, m.id) FILTER (WHERE m.id IS NOT NULL), '[]'),
       coalesce(json_agg(json_build_object('score', m.score) ORDER BY m.score DESC, m.id)
                FILTER (WHERE m.id IS NOT NULL), '[]'),
       (SELECT t.quantities FROM target t LIMIT 1)
FROM (SELECT 1 FROM target LIMIT 1) found
LEFT JOIN matches m ON true
LEFT JOIN claim_documents cd ON cd.id = m.id
HAVING count(*) > 0  -- no row at all when there is no target
