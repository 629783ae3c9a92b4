"""Every body an article has had, and claims that follow their words across edits.

- ``article_revisions``: one row per body, numbered from 1, with the article version that wrote
  it, who and when, and what the change did to the claims (anchored, reworded, orphaned).
  Articles stored before this migration start their history here: their current body becomes
  revision 1.
- ``articles.revision``: the current revision; ``claims.revision``: the revision the claim's
  span refers to.
- ``claims.anchor_status`` becomes a stored value instead of one derived from the span, since
  it gains ``reworded`` (placed approximately after a body change, ``quote`` holding the new
  words): ``orphaned`` if and only if there is no span.
- The claim document shows ``revision``; every stored document is rewritten.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def claim_document(with_revision: bool) -> str:
    revision_field = "'revision', c.revision, " if with_revision else ""
    return f"""
    CREATE FUNCTION claim_document(c claims, links json) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', c.id, 'article_id', c.article_id, 'text', c.text, 'quote', c.quote,
            'span', CASE WHEN c.span_start IS NULL THEN NULL
                         ELSE json_build_object('start', c.span_start, 'end', c.span_end) END,
            'selector', json_build_object('exact', c.quote, 'prefix', c.prefix, 'suffix', c.suffix),
            'anchor_status', c.anchor_status, {revision_field}'language', c.language,
            'claimant', c.claimant, 'claim_date', c.claim_date, 'tags', c.tags,
            'status', c.status,
            'rating', rating_document(c.rating_value, c.rating_text),
            'review_url', c.review_url, 'version', c.version,
            'created_by', c.created_by, 'updated_by', c.updated_by,
            'created_at', api_time(c.created_at), 'updated_at', api_time(c.updated_at),
            'sources', coalesce(links, '[]'::json))
    """


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

REWRITE_DOCUMENTS = """
    UPDATE claim_documents d SET doc = b.doc
    FROM claim_documents_built b WHERE b.id = d.id
"""


def _recreate_documents(with_revision: bool, change_claims: str) -> None:
    # The view and the function read claims' columns: they go while the columns change.
    op.execute("DROP VIEW claim_documents_built")
    op.execute("DROP FUNCTION claim_document(claims, json)")
    op.execute(change_claims)
    op.execute(claim_document(with_revision))
    op.execute(BUILT_VIEW)
    op.execute(REWRITE_DOCUMENTS)


def upgrade() -> None:
    op.execute("ALTER TABLE articles ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1)")
    op.execute(
        """
        CREATE TABLE article_revisions (
            article_id       uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            revision         integer NOT NULL CHECK (revision >= 1),
            article_version  integer NOT NULL CHECK (article_version >= 1),
            body             text NOT NULL,
            length           integer NOT NULL,
            sha256           text NOT NULL,
            actor            text,
            created_at       timestamptz NOT NULL DEFAULT now(),
            anchored         integer NOT NULL DEFAULT 0 CHECK (anchored >= 0),
            reworded         integer NOT NULL DEFAULT 0 CHECK (reworded >= 0),
            orphaned         integer NOT NULL DEFAULT 0 CHECK (orphaned >= 0),
            PRIMARY KEY (article_id, revision)
        )
        """
    )
    op.execute(
        """
        INSERT INTO article_revisions (article_id, revision, article_version, body, length, sha256, actor,
                                       created_at, anchored, reworded, orphaned)
        SELECT a.id, 1, a.version, a.body, char_length(a.body),
               encode(sha256(convert_to(a.body, 'UTF8')), 'hex'), a.updated_by, a.updated_at,
               count(c.id) FILTER (WHERE c.span_start IS NOT NULL),
               0,
               count(c.id) FILTER (WHERE c.span_start IS NULL)
        FROM articles a LEFT JOIN claims c ON c.article_id = a.id
        GROUP BY a.id
        """
    )
    op.execute(
        """
        CREATE FUNCTION revision_document(r article_revisions, with_body boolean) RETURNS json
            LANGUAGE sql STABLE PARALLEL SAFE
            RETURN json_build_object(
                'revision', r.revision, 'article_version', r.article_version,
                'created_at', api_time(r.created_at), 'actor', r.actor, 'length', r.length, 'sha256', r.sha256,
                'summary', json_build_object('anchored', r.anchored, 'reworded', r.reworded,
                                             'orphaned', r.orphaned),
                'body', CASE WHEN with_body THEN r.body END)
        """
    )
    _recreate_documents(
        True,
        """
        ALTER TABLE claims
            ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
            DROP COLUMN anchor_status,
            ADD COLUMN anchor_status text NOT NULL DEFAULT 'anchored'
                CHECK (anchor_status IN ('anchored', 'reworded', 'orphaned'))
        """,
    )
    # The trigger rewrites these claims' documents again, now saying orphaned.
    op.execute("UPDATE claims SET anchor_status = 'orphaned' WHERE span_start IS NULL")
    op.execute(
        "ALTER TABLE claims ADD CONSTRAINT claims_orphaned_without_span"
        " CHECK ((anchor_status = 'orphaned') = (span_start IS NULL))"
    )
    # Claims that need a desk's eye after an edit are few: found by this index, not a scan.
    op.execute(
        "CREATE INDEX claims_anchor_status_idx ON claims (anchor_status, updated_at DESC, id DESC)"
        " WHERE anchor_status <> 'anchored'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX claims_anchor_status_idx")
    _recreate_documents(
        False,
        """
        ALTER TABLE claims
            DROP CONSTRAINT claims_orphaned_without_span,
            DROP COLUMN revision,
            DROP COLUMN anchor_status,
            ADD COLUMN anchor_status text GENERATED ALWAYS AS
                (CASE WHEN span_start IS NULL THEN 'orphaned' ELSE 'anchored' END) STORED
        """,
    )
    op.execute("DROP FUNCTION revision_document(article_revisions, boolean)")
    op.execute("DROP TABLE article_revisions")
    op.execute("ALTER TABLE articles DROP COLUMN revision")
