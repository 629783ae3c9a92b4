-- name: existing_articles
-- Articles of a batch already stored, by id, url or external_id.
SELECT id, url, external_id FROM articles
WHERE id = any($1::uuid[]) OR url = any($2::text[]) OR external_id = any($3::text[])

-- name: existing_claim_ids
SELECT id FROM claims WHERE id = any($1::uuid[])

-- name: existing_verification_ids
SELECT id FROM verifications WHERE id = any($1::uuid[])

-- name: existing_source_ids
SELECT id FROM sources WHERE id = any($1::uuid[])

-- name: insert_articles
-- Create-if-absent: an article whose id, url or external_id is taken (by a concurrent batch
-- since the check) yields no row and is reported as skipped.
INSERT INTO articles (id, url, external_id, title, language, outlet, published_at, body, version, revision,
                      created_by, updated_by, created_at, updated_at)
SELECT t.id, t.url, t.external_id, t.title, t.language, t.outlet, t.published_at, t.body, t.version, t.revision,
       t.created_by, t.updated_by, coalesce(t.created_at, now()), coalesce(t.updated_at, t.created_at, now())
FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, url text, external_id text, title text, language text, outlet text, published_at timestamptz,
    body text, version integer, revision integer, created_by text, updated_by text, created_at timestamptz,
    updated_at timestamptz)
ON CONFLICT DO NOTHING
RETURNING id

-- name: insert_sources
-- Sources are stored once per normalised url: a url already stored keeps its row; an id taken
-- by another url yields no row, and the caller inserts that source again under a new id.
INSERT INTO sources (id, url, title, publisher, kind, language, published_at, archived_url, version,
                     created_by, updated_by, created_at, updated_at, health, checked_at, review_rating,
                     claim_reviewed, reviews)
SELECT t.id, t.url, t.title, t.publisher, t.kind, t.language, t.published_at, t.archived_url, t.version,
       t.created_by, t.updated_by, coalesce(t.created_at, now()), coalesce(t.updated_at, t.created_at, now()),
       coalesce(t.health, 'unchecked'), t.checked_at, t.review_rating, t.claim_reviewed,
       coalesce(t.reviews, '[]')
FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, url text, title text, publisher text, kind text, language text, published_at timestamptz,
    archived_url text, version integer, created_by text, updated_by text, created_at timestamptz,
    updated_at timestamptz, health text, checked_at timestamptz, review_rating jsonb, claim_reviewed text, reviews jsonb)
ORDER BY t.url
ON CONFLICT DO NOTHING

-- name: source_ids_by_url
SELECT id, url FROM sources WHERE url = any($1::text[])

-- name: insert_claims
INSERT INTO claims (id, article_id, text, quote, span_start, span_end, prefix, suffix, language, claimant, claimant_type,
                    claim_date, tags, status, rating_value, rating_text, review_url, version,
                    created_by, updated_by, created_at, updated_at, anchor_status, revision, quantities,
                    quote_quantities)
SELECT t.id, t.article_id, t.text, t.quote, t.span_start, t.span_end, t.prefix, t.suffix, t.language,
       t.claimant, t.claimant_type, t.claim_date, t.tags, t.status, t.rating_value, t.rating_text, t.review_url, t.version,
       t.created_by, t.updated_by, coalesce(t.created_at, now()), coalesce(t.updated_at, t.created_at, now()),
       t.anchor_status, t.revision, t.quantities, t.quote_quantities
FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, article_id uuid, text text, quote text, span_start integer, span_end integer, prefix text,
    suffix text, language text, claimant text, claimant_type text, claim_date date, tags text[], status text, rating_value smallint,
    rating_text text, review_url text, version integer, created_by text, updated_by text,
    created_at timestamptz, updated_at timestamptz, anchor_status text, revision integer, quantities jsonb,
    quote_quantities jsonb)

-- name: insert_links
INSERT INTO claim_sources (claim_id, source_id, article_id, relation, excerpt, added_by, added_at)
SELECT t.claim_id, t.source_id, t.article_id, t.relation, t.excerpt, t.added_by, coalesce(t.added_at, now())
FROM jsonb_to_recordset($1::jsonb) AS t(
    claim_id uuid, source_id uuid, article_id uuid, relation text, excerpt text, added_by text,
    added_at timestamptz)

-- name: insert_verifications
-- The history as it was: the append-only trigger refuses UPDATE and DELETE, never INSERT.
INSERT INTO verifications (id, claim_id, article_id, kind, status, previous_status, rating_value, rating_text,
                           note, evidence, wording, actor, claim_version, created_at)
SELECT t.id, t.claim_id, t.article_id, t.kind, t.status, t.previous_status, t.rating_value, t.rating_text,
       t.note, t.evidence, t.wording, t.actor, t.claim_version, coalesce(t.created_at, now())
FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, claim_id uuid, article_id uuid, kind text, status text, previous_status text, rating_value smallint,
    rating_text text, note text, evidence jsonb, wording jsonb, actor text, claim_version integer,
    created_at timestamptz)

-- name: insert_revisions
-- The bodies as they were; a revision without a time is the article's (its last change).
INSERT INTO article_revisions (article_id, revision, article_version, body, length, sha256, actor, created_at,
                               anchored, reworded, orphaned)
SELECT t.article_id, t.revision, t.article_version, t.body, char_length(t.body),
       encode(sha256(convert_to(t.body, 'UTF8')), 'hex'), t.actor,
       coalesce(t.created_at, a.updated_at), t.anchored, t.reworded, t.orphaned
FROM jsonb_to_recordset($1::jsonb) AS t(
    article_id uuid, revision integer, article_version integer, body text, actor text, created_at timestamptz,
    anchored integer, reworded integer, orphaned integer)
JOIN articles a ON a.id = t.article_id

-- name: export_articles
-- A page of export lines, by article id: each article with its claims in text order (orphaned
-- last) as the API serves them (the stored documents, with their links and sources), and each
-- claim's history, oldest first. A line is exactly an ArticleRecord.
SELECT a.id, json_build_object(
    'id', a.id, 'url', a.url, 'external_id', a.external_id, 'title', a.title, 'language', a.language,
    'outlet', a.outlet, 'published_at', a.published_at, 'body', a.body, 'version', a.version,
    'revision', a.revision, 'created_by', a.created_by, 'updated_by', a.updated_by, 'created_at', a.created_at,
    'updated_at', a.updated_at,
    'revisions', coalesce((
        SELECT json_agg(revision_document(r, true) ORDER BY r.revision)
        FROM article_revisions r WHERE r.article_id = a.id), '[]'),
    'claims', coalesce((
        SELECT json_agg(
                   d.doc::jsonb || jsonb_build_object('history', coalesce((
                       SELECT jsonb_agg(verification_document(v)::jsonb ORDER BY v.claim_version)
                       FROM verifications v WHERE v.claim_id = d.id), '[]'::jsonb))
                   ORDER BY claim_text_order(d.span_start, d.span_end), d.id)
        FROM claim_documents d WHERE d.article_id = a.id), '[]')
) AS doc
FROM articles a
WHERE $1::uuid IS NULL OR a.id > $1
ORDER BY a.id
LIMIT $2

-- name: emit_imported
-- Imported articles reach the change feed like created ones: article.created (the document
-- POST /v1/articles puts there), then claim.created for each claim (with its sources and
-- verdict), in the import's transaction.
-- The history itself is not replayed as verification.created events.
INSERT INTO events (type, order_key, data)
SELECT e.type, e.order_key, e.data
FROM (
    SELECT 'article.created' AS type, a.id AS order_key, 0 AS kind, a.id AS article_id,
           NULL::integer[] AS text_order, article_document(a)::jsonb AS data
    FROM articles a WHERE a.id = any($1::uuid[])
    UNION ALL
    SELECT 'claim.created', cd.id, 1, cd.article_id, claim_text_order(cd.span_start, cd.span_end), cd.doc::jsonb
    FROM claim_documents cd WHERE cd.article_id = any($1::uuid[])
) e
ORDER BY e.article_id, e.kind, e.text_order, e.order_key

-- name: defer_documents
-- For this transaction only: the triggers leave the claims' documents to write_documents.
SELECT set_config('claimtrack.documents_deferred', 'on', true)

-- name: write_documents
-- The documents of every claim the batch wrote, once; $2 the sources it linked, locked as a new
-- link locks its source (migration 0007).
SELECT write_deferred_claim_documents($1::uuid[], $2::uuid[])
