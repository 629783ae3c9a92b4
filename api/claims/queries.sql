-- name: article_claims
-- The hot path: an article's stored claim documents (migration 0007) in text order
-- (claim_text_order, migration 0014), joined into one JSON array: one range scan of
-- claim_documents_text_order_idx, nothing formatted per row. No row at all when the article
-- does not exist. $2..$5 the keyset of the previous page's last claim: whether it is orphaned
-- (NULL: this is the first page), its span (NULL for an orphaned claim) and its id; $6 the page
-- size (NULL: all). Both sides of the keyset's `>` are claim_text_order, which is never NULL, so
-- no claim drops out of the comparison. The array comes as UTF-8 bytes (convert_to, a copy in a
-- UTF-8 database), which the driver hands over as they are: decoding 50 kB into a str and
-- encoding it again cost the API more than the copy costs PostgreSQL.
SELECT (
    SELECT convert_to('[' || coalesce(string_agg(page.doc::text, ',' ORDER BY page.text_order, page.id), '') || ']',
                      'UTF8')
    FROM (
        SELECT d.id, claim_text_order(d.span_start, d.span_end) AS text_order, d.doc
        FROM claim_documents d
        WHERE d.article_id = a.id
          AND ($2::boolean IS NULL
               OR (claim_text_order(d.span_start, d.span_end), d.id)
                  > (claim_text_order($3::integer, $4::integer), $5::uuid))
        ORDER BY claim_text_order(d.span_start, d.span_end), d.id
        LIMIT $6
    ) page
)
FROM articles a WHERE a.id = $1

-- name: claim_document
SELECT doc FROM claim_documents WHERE id = $1

-- name: emit_claims_created
-- New claims reach the feed from their stored documents, in text order: claim.created for each,
-- then claim_source.created for each of its links. Answers the documents as a JSON array.
WITH created AS (
    SELECT d.id, claim_text_order(d.span_start, d.span_end) AS text_order, d.doc
    FROM claim_documents d WHERE d.id = any($1::uuid[])
),
written AS (
    INSERT INTO events (type, order_key, data)
    SELECT e.type, e.id, e.data
    FROM (
        SELECT c.id, c.text_order, 0 AS n, 'claim.created' AS type, c.doc::jsonb AS data
        FROM created c
        UNION ALL
        SELECT c.id, c.text_order, link.n, 'claim_source.created',
               jsonb_build_object('claim_id', c.id) || link.value::jsonb
        FROM created c, json_array_elements(c.doc -> 'sources') WITH ORDINALITY AS link(value, n)
    ) e
    ORDER BY e.text_order, e.id, e.n
)
SELECT coalesce(json_agg(doc ORDER BY text_order, id), '[]') FROM created

-- name: article_for_claims
SELECT id, body, language, revision FROM articles WHERE id = $1 FOR SHARE

-- name: insert_claims
-- The ids are chosen by the caller, so that links sent with the claims can name them.
INSERT INTO claims (id, article_id, text, quote, span_start, span_end, prefix, suffix, language,
                    claimant, claimant_type, claim_date, tags, review_url, created_by, updated_by, revision,
                    quantities, quote_quantities)
SELECT t.id, $1, t.text, t.quote, t.span_start, t.span_end, t.prefix, t.suffix, t.language,
       t.claimant, t.claimant_type, t.claim_date, coalesce(t.tags, '{}'), t.review_url, $3, $3, $4,
       t.quantities, t.quote_quantities
FROM jsonb_to_recordset($2::jsonb) AS t(
    id uuid, text text, quote text, span_start integer, span_end integer, prefix text, suffix text,
    language text, claimant text, claimant_type text, claim_date date, tags text[], review_url text, quantities jsonb,
    quote_quantities jsonb)
RETURNING id

-- name: claim_for_update
-- The claim locked for a change, with its article's body. Its links are read by a statement of
-- their own once the lock is held: a subquery here would read them from before the wait.
SELECT c.id, c.article_id, c.text, c.quote, c.span_start, c.span_end, c.prefix, c.suffix,
       c.language, c.claimant, c.claimant_type, c.claim_date, c.tags, c.review_url, c.status, c.version, c.anchor_status,
       c.revision, a.body, a.revision AS article_revision
FROM claims c JOIN articles a ON a.id = c.article_id
WHERE c.id = $1
FOR UPDATE OF c

-- name: update_claim
UPDATE claims
SET text = $2, quote = $3, span_start = $4, span_end = $5, prefix = $6, suffix = $7,
    language = $8, claimant = $9, claim_date = $10, tags = $11, review_url = $12,
    updated_by = $13, anchor_status = $14, revision = $15, quantities = $16, quote_quantities = $17,
    claimant_type = $18, version = version + 1, updated_at = now()
WHERE id = $1
RETURNING version

-- name: delete_claim
DELETE FROM claims WHERE id = $1

-- name: claim_has_history
-- A verdict, not a change of words alone: that is what deleting would erase.
SELECT EXISTS (SELECT 1 FROM verifications WHERE claim_id = $1 AND kind = 'verdict')

-- name: claim_links
SELECT source_id, relation, excerpt FROM claim_sources WHERE claim_id = $1 ORDER BY added_at, source_id

-- name: upsert_links
-- Links sent for a claim: new ones are added, existing ones take the new relation and excerpt.
INSERT INTO claim_sources (claim_id, article_id, source_id, relation, excerpt, added_by)
SELECT $1, $2, l.source_id, l.relation, l.excerpt, $4
FROM jsonb_to_recordset($3::jsonb) AS l(source_id uuid, relation text, excerpt text)
ON CONFLICT (claim_id, source_id) DO UPDATE SET relation = excluded.relation, excerpt = excluded.excerpt

-- name: insert_links_for_claims
INSERT INTO claim_sources (claim_id, article_id, source_id, relation, excerpt, added_by)
SELECT l.claim_id, $1, l.source_id, l.relation, l.excerpt, $3
FROM jsonb_to_recordset($2::jsonb) AS l(claim_id uuid, source_id uuid, relation text, excerpt text)

-- name: delete_link
DELETE FROM claim_sources WHERE claim_id = $1 AND source_id = $2 RETURNING source_id

-- name: bump_claim
UPDATE claims SET version = version + 1, updated_at = now(), updated_by = $2 WHERE id = $1 RETURNING version

-- name: record_verification
-- A verification update: the claim takes its new status (one version up) and the history its
-- row, whose evidence is the claim's links in force (those this transaction wrote included),
-- in one statement. Answers the history row as the API returns it. The claim is locked, so no
-- other transaction can change its links meanwhile.
WITH claim AS (
    UPDATE claims
    SET status = $2, rating_value = $3, rating_text = $4, review_url = coalesce($5, review_url),
        updated_by = $6, version = version + 1, updated_at = now(),
        -- A verdict on a claim placed approximately is a desk's look at its new words.
        anchor_status = CASE WHEN anchor_status = 'reworded' THEN 'anchored' ELSE anchor_status END
    WHERE id = $1
    RETURNING id, article_id, version
)
INSERT INTO verifications (claim_id, article_id, status, previous_status, rating_value, rating_text,
                           note, evidence, actor, claim_version)
SELECT claim.id, claim.article_id, $2, $7, $3, $4, $8,
       claim_evidence($1), $6, claim.version
FROM claim
RETURNING verification_document(verifications)

-- name: finish_verification
-- The claim as it is now, and the events of a change of its links or status in the order a
-- reader expects them: claim_source.created/updated for the links it changed ($3 source ids, $4
-- whether new), verification.created ($2, the history row; NULL for a link alone),
-- claim.updated. One round trip; every claim_source.created/updated event is written here.
WITH current AS (SELECT doc FROM claim_documents WHERE id = $1),
changed AS (
    SELECT link.value AS link, c.is_new, c.n
    FROM current, json_array_elements(current.doc -> 'sources') AS link(value)
    JOIN unnest($3::uuid[], $4::boolean[]) WITH ORDINALITY AS c(source_id, is_new, n)
      ON (link.value -> 'source' ->> 'id')::uuid = c.source_id
),
written AS (
    INSERT INTO events (type, order_key, data)
    SELECT e.type, $1, e.data
    FROM (
        SELECT 0 AS k, changed.n,
               CASE WHEN changed.is_new THEN 'claim_source.created' ELSE 'claim_source.updated' END AS type,
               jsonb_build_object('claim_id', $1::uuid) || changed.link::jsonb AS data
        FROM changed
        UNION ALL SELECT 1, 0, 'verification.created', $2::jsonb WHERE $2::jsonb IS NOT NULL
        UNION ALL SELECT 2, 0, 'claim.updated', current.doc::jsonb FROM current
    ) e
    ORDER BY e.k, e.n
)
SELECT doc FROM current

-- name: record_rewordings
-- Changes of claims' words as history entries ($1: [{id, wording}]): the status, the verdict
-- and the links in force stay as they are, and each entry records the words before and after.
-- Call after the claims' update, so that each names its claim's new version. Answers each
-- entry with its claim's id.
INSERT INTO verifications (claim_id, article_id, kind, status, previous_status, rating_value, rating_text,
                           evidence, wording, actor, claim_version)
SELECT c.id, c.article_id, 'reworded', c.status, c.status, c.rating_value, c.rating_text,
       claim_evidence(c.id), w.wording, $2, c.version
FROM jsonb_to_recordset($1::jsonb) AS w(id uuid, wording jsonb)
JOIN claims c ON c.id = w.id
RETURNING claim_id, verification_document(verifications)

-- name: list_verifications
-- A claim's history, oldest first; NULL when the claim does not exist.
SELECT (
    SELECT coalesce(json_agg(page.doc ORDER BY page.claim_version), '[]')
    FROM (
        SELECT v.claim_version, verification_document(v) AS doc
        FROM verifications v
        WHERE v.claim_id = c.id
          AND ($2::integer IS NULL OR v.claim_version > $2)
          AND ($3::text IS NULL OR v.actor = $3)
        ORDER BY v.claim_version
        LIMIT $4
    ) page
)
FROM claims c WHERE c.id = $1

-- name: article_claims_for_update
-- Locked in id order, as every other statement locking several claims does.
SELECT id, text, quote, span_start, span_end, prefix, suffix, status, anchor_status, revision, language
FROM claims WHERE article_id = $1 ORDER BY id FOR UPDATE

-- name: emit_claims_updated
-- claim.updated for each of these claims, its stored document as the event's data, in text order.
INSERT INTO events (type, order_key, data)
SELECT 'claim.updated', d.id, d.doc::jsonb
FROM claim_documents d
WHERE d.id = any($1::uuid[])
ORDER BY claim_text_order(d.span_start, d.span_end), d.id

-- name: keep_anchor_status
-- After the verdict that sends a re-placed claim back to review: that was no desk's look at the
-- new words, so the claim keeps the anchor status re-placing gave it ($2), which
-- record_verification would have turned from reworded to anchored.
UPDATE claims SET anchor_status = $2 WHERE id = $1

-- name: replace_claims
-- New places after the article's body changed; each claim moved, reworded or orphaned goes up
-- one version.
UPDATE claims c
SET span_start = p.span_start, span_end = p.span_end, prefix = p.prefix, suffix = p.suffix, quote = p.quote,
    anchor_status = p.anchor_status, revision = p.revision,
    quote_quantities = coalesce(p.quote_quantities, c.quote_quantities),
    version = c.version + 1, updated_at = now(), updated_by = $2
FROM jsonb_to_recordset($1::jsonb) AS p(
    id uuid, span_start integer, span_end integer, prefix text, suffix text, quote text, anchor_status text,
    revision integer, quote_quantities jsonb)
WHERE c.id = p.id
