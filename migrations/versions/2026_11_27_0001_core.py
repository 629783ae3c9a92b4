"""Core schema: articles, claims, sources, claim-source links, verification history.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "'unverified', 'in_review', 'verified', 'misleading', 'disputed', 'false', 'unverifiable'"
RELATIONS = "'supports', 'refutes', 'context', 'origin'"
KINDS = "'official_statement', 'news_report', 'social_post', 'document', 'dataset', 'fact_check', 'other'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE articles (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            url           text UNIQUE,
            external_id   text UNIQUE,
            title         text NOT NULL,
            language      text NOT NULL,
            outlet        text,
            published_at  timestamptz,
            body          text NOT NULL,
            version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_by    text,
            updated_by    text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            CHECK (url IS NULL OR url ~ '^https?://'),
            CHECK (external_id IS NULL OR external_id <> '')
        )
        """
    )
    op.execute("CREATE INDEX articles_created_idx ON articles (created_at DESC, id DESC)")

    op.execute(
        f"""
        CREATE TABLE sources (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            url           text NOT NULL UNIQUE CHECK (url ~ '^https?://'),
            title         text,
            publisher     text,
            kind          text NOT NULL DEFAULT 'other' CHECK (kind IN ({KINDS})),
            language      text,
            published_at  timestamptz,
            archived_url  text CHECK (archived_url IS NULL OR archived_url ~ '^https?://'),
            version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_by    text,
            updated_by    text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX sources_created_idx ON sources (created_at DESC, id DESC)")

    # span_start/span_end are code-point offsets (end exclusive); both NULL when orphaned.
    op.execute(
        f"""
        CREATE TABLE claims (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            article_id    uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            text          text NOT NULL CHECK (text <> ''),
            quote         text NOT NULL CHECK (quote <> ''),
            span_start    integer,
            span_end      integer,
            prefix        text NOT NULL DEFAULT '' CHECK (char_length(prefix) <= 32),
            suffix        text NOT NULL DEFAULT '' CHECK (char_length(suffix) <= 32),
            anchor_status text GENERATED ALWAYS AS
                          (CASE WHEN span_start IS NULL THEN 'orphaned' ELSE 'anchored' END) STORED,
            language      text NOT NULL,
            claimant      text,
            claim_date    date,
            tags          text[] NOT NULL DEFAULT '{{}}',
            status        text NOT NULL DEFAULT 'unverified' CHECK (status IN ({STATUSES})),
            rating_value  smallint CHECK (rating_value BETWEEN 1 AND 5),
            rating_text   text,
            review_url    text CHECK (review_url IS NULL OR review_url ~ '^https?://'),
            version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_by    text,
            updated_by    text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            UNIQUE (id, article_id),
            CHECK ((span_start IS NULL) = (span_end IS NULL)),
            CHECK (span_start >= 0 AND span_end > span_start),
            CHECK ((status IN ('unverified', 'in_review')) = (rating_text IS NULL)),
            CHECK (rating_value IS NULL OR rating_text IS NOT NULL)
        )
        """
    )
    op.execute(
        "CREATE INDEX claims_article_span_idx ON claims (article_id, (span_start IS NULL), span_start, span_end, id)"
    )
    op.execute("CREATE INDEX claims_updated_idx ON claims (updated_at DESC, id DESC)")
    op.execute("CREATE INDEX claims_status_updated_idx ON claims (status, updated_at DESC, id DESC)")
    op.execute("CREATE INDEX claims_tags_idx ON claims USING gin (tags)")

    # A claim's span must lie in its article's body and cover exactly its quote. Checked at
    # commit, so an article's new body and its claims' new places can change in any order.
    op.execute(
        """
        CREATE FUNCTION claims_check_anchor() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            body_text text;
        BEGIN
            IF NEW.span_start IS NULL THEN
                RETURN NULL;
            END IF;
            SELECT body INTO body_text FROM articles WHERE id = NEW.article_id;
            IF NOT FOUND THEN
                RETURN NULL;  -- the article is gone; the cascade removes the claim
            END IF;
            IF NEW.span_end > char_length(body_text)
               OR substr(body_text, NEW.span_start + 1, NEW.span_end - NEW.span_start) <> NEW.quote THEN
                RAISE EXCEPTION 'claim % span [%, %) does not hold its quote in the article body',
                    NEW.id, NEW.span_start, NEW.span_end
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_span_in_body';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER claims_span_in_body
            AFTER INSERT OR UPDATE OF span_start, span_end, quote ON claims
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION claims_check_anchor()
        """
    )
    op.execute(
        """
        CREATE FUNCTION articles_check_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM claims c
                WHERE c.article_id = NEW.id AND c.span_start IS NOT NULL
                  AND (c.span_end > char_length(NEW.body)
                       OR substr(NEW.body, c.span_start + 1, c.span_end - c.span_start) <> c.quote)
            ) THEN
                RAISE EXCEPTION 'article % has claims whose span does not hold their quote', NEW.id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_span_in_body';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER articles_claims_span_in_body
            AFTER UPDATE OF body ON articles
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION articles_check_anchors()
        """
    )

    # article_id on claim-owned rows lets the data be distributed by article later; the
    # composite foreign key keeps it equal to the claim's own article_id.
    op.execute(
        f"""
        CREATE TABLE claim_sources (
            claim_id    uuid NOT NULL,
            source_id   uuid NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
            article_id  uuid NOT NULL,
            relation    text NOT NULL CHECK (relation IN ({RELATIONS})),
            excerpt     text,
            added_by    text,
            added_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (claim_id, source_id),
            FOREIGN KEY (claim_id, article_id) REFERENCES claims (id, article_id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX claim_sources_source_idx ON claim_sources (source_id, claim_id)")

    op.execute(
        f"""
        CREATE TABLE verifications (
            id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            claim_id         uuid NOT NULL,
            article_id       uuid NOT NULL,
            status           text NOT NULL CHECK (status IN ({STATUSES}) AND status <> 'unverified'),
            previous_status  text NOT NULL CHECK (previous_status IN ({STATUSES})),
            rating_value     smallint CHECK (rating_value BETWEEN 1 AND 5),
            rating_text      text,
            note             text,
            evidence         jsonb NOT NULL DEFAULT '[]',
            actor            text,
            claim_version    integer NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            UNIQUE (claim_id, claim_version),
            FOREIGN KEY (claim_id, article_id) REFERENCES claims (id, article_id) ON DELETE CASCADE
        )
        """
    )

    # The history is append-only: no UPDATE ever, and DELETE only through the cascade that
    # follows the deletion of its claim (by then the claim row is gone).
    op.execute(
        """
        CREATE FUNCTION verifications_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'verification history is append-only'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF EXISTS (SELECT 1 FROM claims WHERE id = OLD.claim_id) THEN
                RAISE EXCEPTION 'verification history is removed only with its claim'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN OLD;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER verifications_append_only
            BEFORE UPDATE OR DELETE ON verifications
            FOR EACH ROW EXECUTE FUNCTION verifications_append_only()
        """
    )

    # The JSON documents the API returns, built where the data is so that a page of claims
    # with their sources is one query. Views are inlined by the planner, so filters on their
    # columns use the tables' indexes.
    op.execute(
        """
        CREATE VIEW source_documents AS
        SELECT s.id, s.url, s.created_at,
               json_build_object(
                   'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
                   'kind', s.kind, 'language', s.language, 'published_at', s.published_at,
                   'archived_url', s.archived_url, 'version', s.version,
                   'created_by', s.created_by, 'updated_by', s.updated_by,
                   'created_at', s.created_at, 'updated_at', s.updated_at
               ) AS doc
        FROM sources s
        """
    )
    op.execute(
        """
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
                   'created_at', c.created_at, 'updated_at', c.updated_at,
                   'sources', COALESCE(links.items, '[]'::json)
               ) AS doc
        FROM claims c
        LEFT JOIN LATERAL (
            SELECT json_agg(json_build_object(
                       'source', sd.doc, 'relation', cs.relation, 'excerpt', cs.excerpt,
                       'added_by', cs.added_by, 'added_at', cs.added_at)
                   ORDER BY cs.added_at, cs.source_id) AS items
            FROM claim_sources cs
            JOIN source_documents sd ON sd.id = cs.source_id
            WHERE cs.claim_id = c.id
        ) links ON true
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS claim_documents")
    op.execute("DROP VIEW IF EXISTS source_documents")
    op.execute("DROP TABLE IF EXISTS verifications")
    op.execute("DROP FUNCTION IF EXISTS verifications_append_only()")
    op.execute("DROP TABLE IF EXISTS claim_sources")
    op.execute("DROP TABLE IF EXISTS claims")
    op.execute("DROP FUNCTION IF EXISTS claims_check_anchor()")
    op.execute("DROP TRIGGER IF EXISTS articles_claims_span_in_body ON articles")
    op.execute("DROP FUNCTION IF EXISTS articles_check_anchors()")
    op.execute("DROP TABLE IF EXISTS sources")
    op.execute("DROP TABLE IF EXISTS articles")
