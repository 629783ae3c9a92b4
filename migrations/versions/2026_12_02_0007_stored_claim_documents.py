"""Claims stored ready to serve: each claim's response document kept in ``claim_documents``.

Until now ``claim_documents`` was a view that joined claims, links and sources and formatted
every field on every read. It becomes a table holding each claim's document as the API sends
it, written by triggers in the same transaction as every change that alters it:

- ``claims`` inserted or updated (fields, verdicts, re-placing after a body edit);
- ``claim_sources`` inserted, updated or deleted (links);
- ``sources`` updated in a field the document shows (title, health, ...), which refreshes
  every claim that embeds the source.

The documents are defined once, as SQL functions: ``rating_document``, ``source_document``,
``source_check_document``, ``verification_document``, ``link_document`` and ``claim_document``;
the view ``claim_documents_built`` builds a claim's document from the tables with them. Queries call them instead of spelling a
document out.

Concurrency (READ COMMITTED): every refresh locks the document rows it rewrites, in id order,
and computes them in a later statement, whose snapshot sees whatever committed while it
waited. A new link also takes a share lock on its source, so a concurrent change of that
source either waits for the link's transaction or is seen by it; without it, the source's
transaction could not see the uncommitted link and the claim would keep the old source.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# SQL-standard bodies (RETURN ...) record their dependencies, so pg_dump orders them right.
FUNCTIONS = [
    """
    CREATE FUNCTION rating_document(value smallint, text text) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN CASE WHEN text IS NULL THEN NULL
                    ELSE json_build_object('value', value, 'best', 5, 'worst', 1, 'text', text) END
    """,
    """
    CREATE FUNCTION source_document(s sources) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
            'kind', s.kind, 'language', s.language, 'published_at', api_time(s.published_at),
            'archived_url', s.archived_url, 'version', s.version,
            'created_by', s.created_by, 'updated_by', s.updated_by,
            'created_at', api_time(s.created_at), 'updated_at', api_time(s.updated_at),
            'health', s.health, 'checked_at', api_time(s.checked_at),
            'review_rating', s.review_rating, 'claim_reviewed', s.claim_reviewed)
    """,
    """
    CREATE FUNCTION verification_document(v verifications) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', v.id, 'claim_id', v.claim_id, 'status', v.status, 'previous_status', v.previous_status,
            'rating', rating_document(v.rating_value, v.rating_text),
            'note', v.note, 'evidence', v.evidence, 'actor', v.actor, 'claim_version', v.claim_version,
            'created_at', api_time(v.created_at))
    """,
    """
    CREATE FUNCTION source_check_document(k source_checks) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', k.id, 'source_id', k.source_id, 'checked_at', api_time(k.checked_at), 'outcome', k.outcome,
            'health', k.health, 'previous_health', k.previous_health, 'status_code', k.status_code,
            'final_url', k.final_url, 'redirects', k.redirects, 'content_type', k.content_type,
            'content_hash', k.content_hash, 'title', k.title, 'bytes_read', k.bytes_read,
            'truncated', k.truncated, 'error', k.error, 'duration_ms', k.duration_ms,
            'requested_by', k.requested_by)
    """,
    """
    CREATE FUNCTION link_document(cs claim_sources, s sources) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'source', source_document(s), 'relation', cs.relation, 'excerpt', cs.excerpt,
            'added_by', cs.added_by, 'added_at', api_time(cs.added_at))
    """,
    """
    CREATE FUNCTION claim_document(c claims, links json) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', c.id, 'article_id', c.article_id, 'text', c.text, 'quote', c.quote,
            'span', CASE WHEN c.span_start IS NULL THEN NULL
                         ELSE json_build_object('start', c.span_start, 'end', c.span_end) END,
            'selector', json_build_object('exact', c.quote, 'prefix', c.prefix, 'suffix', c.suffix),
            'anchor_status', c.anchor_status, 'language', c.language,
            'claimant', c.claimant, 'claim_date', c.claim_date, 'tags', c.tags,
            'status', c.status,
            'rating', rating_document(c.rating_value, c.rating_text),
            'review_url', c.review_url, 'version', c.version,
            'created_by', c.created_by, 'updated_by', c.updated_by,
            'created_at', api_time(c.created_at), 'updated_at', api_time(c.updated_at),
            'sources', coalesce(links, '[]'::json))
    """,
]

# Each claim's document built from the tables: what the stored one must always equal. The
# functions above are inlined (single expressions), and the links are read per claim through
# claim_sources' primary key, so a refresh by ids costs tens of microseconds a claim.
BUILT_VIEW = """
    CREATE VIEW claim_documents_built AS
    SELECT c.id, c.article_id, c.span_start, c.span_end, claim_document(c, links.items) AS doc
    FROM claims c
    LEFT JOIN LATERAL (
        SELECT json_agg(link_document(cs, s) ORDER BY cs.added_at, cs.source_id) AS items
        FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
        WHERE cs.claim_id = c.id
    ) links ON true
"""

TABLE = """
    CREATE TABLE claim_documents (
        id          uuid PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE,
        article_id  uuid NOT NULL,
        span_start  integer,
        span_end    integer,
        doc         json NOT NULL
    )
"""

# The hot path reads one article's documents in text order (orphaned claims last) from this
# index alone in its order: one range scan, no sort.
INDEX = """
    CREATE INDEX claim_documents_article_idx
        ON claim_documents (article_id, (span_start IS NULL), span_start, span_end, id)
"""

REFRESH = r"""
    CREATE FUNCTION refresh_claim_documents(claim_ids uuid[], new_link_sources uuid[] DEFAULT NULL)
        RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF claim_ids IS NULL OR cardinality(claim_ids) = 0 THEN
            RETURN;
        END IF;
        -- A new link locks its source against change until this transaction ends; a change
        -- that came first is waited for, and read below.
        IF new_link_sources IS NOT NULL AND cardinality(new_link_sources) > 0 THEN
            PERFORM 1 FROM sources WHERE id = any(new_link_sources) ORDER BY id FOR SHARE;
        END IF;
        -- The rows rewritten here, locked in one order so that two refreshes never deadlock.
        PERFORM 1 FROM claim_documents WHERE id = any(claim_ids) ORDER BY id FOR UPDATE;
        -- A statement of its own: in READ COMMITTED its snapshot sees what committed meanwhile.
        INSERT INTO claim_documents AS d (id, article_id, span_start, span_end, doc)
        SELECT b.id, b.article_id, b.span_start, b.span_end, b.doc
        FROM claim_documents_built b
        WHERE b.id = any(claim_ids)
        ORDER BY b.id
        ON CONFLICT (id) DO UPDATE
        SET article_id = excluded.article_id, span_start = excluded.span_start,
            span_end = excluded.span_end, doc = excluded.doc;
    END $$
"""

TRIGGERS = [
    r"""
    CREATE FUNCTION claims_refresh_documents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM refresh_claim_documents(ARRAY(SELECT id FROM changed_claims));
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER claims_inserted_refresh_documents AFTER INSERT ON claims
        REFERENCING NEW TABLE AS changed_claims
        FOR EACH STATEMENT EXECUTE FUNCTION claims_refresh_documents()
    """,
    """
    CREATE TRIGGER claims_updated_refresh_documents AFTER UPDATE ON claims
        REFERENCING NEW TABLE AS changed_claims
        FOR EACH STATEMENT EXECUTE FUNCTION claims_refresh_documents()
    """,
    r"""
    CREATE FUNCTION claim_sources_linked_refresh_documents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM refresh_claim_documents(
            ARRAY(SELECT DISTINCT claim_id FROM changed_links),
            ARRAY(SELECT DISTINCT source_id FROM changed_links));
        RETURN NULL;
    END $$
    """,
    r"""
    CREATE FUNCTION claim_sources_changed_refresh_documents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM refresh_claim_documents(ARRAY(SELECT DISTINCT claim_id FROM changed_links));
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER claim_sources_inserted_refresh_documents AFTER INSERT ON claim_sources
        REFERENCING NEW TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION claim_sources_linked_refresh_documents()
    """,
    """
    CREATE TRIGGER claim_sources_updated_refresh_documents AFTER UPDATE ON claim_sources
        REFERENCING NEW TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION claim_sources_changed_refresh_documents()
    """,
    """
    CREATE TRIGGER claim_sources_deleted_refresh_documents AFTER DELETE ON claim_sources
        REFERENCING OLD TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION claim_sources_changed_refresh_documents()
    """,
    r"""
    CREATE FUNCTION sources_refresh_claim_documents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM refresh_claim_documents(
            ARRAY(SELECT claim_id FROM claim_sources WHERE source_id = NEW.id ORDER BY claim_id));
        RETURN NULL;
    END $$
    """,
    # Only a change the document shows: the checker's lease (next_check_at) and its baseline
    # (content_hash, consecutive_failures) rewrite nothing.
    """
    CREATE TRIGGER sources_refresh_claim_documents AFTER UPDATE ON sources
        FOR EACH ROW
        WHEN (source_document(OLD)::text IS DISTINCT FROM source_document(NEW)::text)
        EXECUTE FUNCTION sources_refresh_claim_documents()
    """,
]

SOURCE_VIEW = """
    CREATE OR REPLACE VIEW source_documents AS
    SELECT s.id, s.url, s.created_at, source_document(s) AS doc
    FROM sources s
"""

OLD_SOURCE_VIEW = """
    CREATE OR REPLACE VIEW source_documents AS
    SELECT s.id, s.url, s.created_at,
           json_build_object(
               'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
               'kind', s.kind, 'language', s.language, 'published_at', api_time(s.published_at),
               'archived_url', s.archived_url, 'version', s.version,
               'created_by', s.created_by, 'updated_by', s.updated_by,
               'created_at', api_time(s.created_at), 'updated_at', api_time(s.updated_at),
               'health', s.health, 'checked_at', api_time(s.checked_at),
               'review_rating', s.review_rating, 'claim_reviewed', s.claim_reviewed
           ) AS doc
    FROM sources s
"""

OLD_CLAIM_VIEW = """
    CREATE VIEW claim_documents AS
    SELECT c.id, c.article_id, c.status, c.language, c.tags, c.span_start, c.span_end,
           c.created_at, c.updated_at, c.version,
           json_build_object(
               'id', c.id, 'article_id', c.article_id, 'text', c.text, 'quote', c.quote,
               'span', CASE WHEN c.span_start IS NULL THEN NULL
                            ELSE json_build_object('start', c.span_start, 'end', c.span_end) END,
               'selector', json_build_object('exact', c.quote, 'prefix', c.prefix, 'suffix', c.suffix),
               'anchor_status', c.anchor_status, 'language', c.language,
               'claimant', c.claimant, 'claim_date', c.claim_date, 'tags', c.tags,
               'status', c.status,
               'rating', CASE WHEN c.rating_text IS NULL THEN NULL
                              ELSE json_build_object('value', c.rating_value, 'best', 5, 'worst', 1,
                                                     'text', c.rating_text) END,
               'review_url', c.review_url, 'version', c.version,
               'created_by', c.created_by, 'updated_by', c.updated_by,
               'created_at', api_time(c.created_at), 'updated_at', api_time(c.updated_at),
               'sources', COALESCE(links.items, '[]'::json)
           ) AS doc
    FROM claims c
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
                   'source', sd.doc, 'relation', cs.relation, 'excerpt', cs.excerpt,
                   'added_by', cs.added_by, 'added_at', api_time(cs.added_at))
               ORDER BY cs.added_at, cs.source_id) AS items
        FROM claim_sources cs
        JOIN source_documents sd ON sd.id = cs.source_id
        WHERE cs.claim_id = c.id
    ) links ON true
"""


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(function)
    op.execute("DROP VIEW claim_documents")
    op.execute(SOURCE_VIEW)
    op.execute(BUILT_VIEW)
    op.execute(TABLE)
    op.execute(
        """
        INSERT INTO claim_documents (id, article_id, span_start, span_end, doc)
        SELECT id, article_id, span_start, span_end, doc FROM claim_documents_built
        """
    )
    op.execute(INDEX)
    op.execute(REFRESH)
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER sources_refresh_claim_documents ON sources")
    op.execute("DROP TRIGGER claim_sources_deleted_refresh_documents ON claim_sources")
    op.execute("DROP TRIGGER claim_sources_updated_refresh_documents ON claim_sources")
    op.execute("DROP TRIGGER claim_sources_inserted_refresh_documents ON claim_sources")
    op.execute("DROP TRIGGER claims_updated_refresh_documents ON claims")
    op.execute("DROP TRIGGER claims_inserted_refresh_documents ON claims")
    op.execute("DROP FUNCTION sources_refresh_claim_documents()")
    op.execute("DROP FUNCTION claim_sources_changed_refresh_documents()")
    op.execute("DROP FUNCTION claim_sources_linked_refresh_documents()")
    op.execute("DROP FUNCTION claims_refresh_documents()")
    op.execute("DROP FUNCTION refresh_claim_documents(uuid[], uuid[])")
    op.execute("DROP TABLE claim_documents")
    op.execute("DROP VIEW claim_documents_built")
    op.execute(OLD_SOURCE_VIEW)
    op.execute(OLD_CLAIM_VIEW)
    for name in (
        "claim_document(claims, json)",
        "link_document(claim_sources, sources)",
        "source_check_document(source_checks)",
        "verification_document(verifications)",
        "source_document(sources)",
    ):
        op.execute(f"DROP FUNCTION {name}")
    op.execute("DROP FUNCTION rating_document(smallint, text)")
