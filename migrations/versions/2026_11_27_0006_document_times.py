"""Documents spell their times as the API does, so they can be sent as PostgreSQL built them.

msgspec writes a UTC time as ``2026-01-08T10:00:00Z``, with ``.ffffff`` only when there are
microseconds. The views now write times that way too: the hot path (an article's claims) can
then pass the JSON through without decoding and encoding it, and every endpoint still spells
a time the same way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SOURCE_VIEW = """
    CREATE OR REPLACE VIEW source_documents AS
    SELECT s.id, s.url, s.created_at,
           json_build_object(
               'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
               'kind', s.kind, 'language', s.language, 'published_at', {published_at},
               'archived_url', s.archived_url, 'version', s.version,
               'created_by', s.created_by, 'updated_by', s.updated_by,
               'created_at', {created_at}, 'updated_at', {updated_at},
               'health', s.health, 'checked_at', {checked_at},
               'review_rating', s.review_rating, 'claim_reviewed', s.claim_reviewed
           ) AS doc
    FROM sources s
"""

CLAIM_VIEW = """
    CREATE OR REPLACE VIEW claim_documents AS
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
               'created_at', {created_at}, 'updated_at', {updated_at},
               'sources', COALESCE(links.items, '[]'::json)
           ) AS doc
    FROM claims c
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
                   'source', sd.doc, 'relation', cs.relation, 'excerpt', cs.excerpt,
                   'added_by', cs.added_by, 'added_at', {added_at})
               ORDER BY cs.added_at, cs.source_id) AS items
        FROM claim_sources cs
        JOIN source_documents sd ON sd.id = cs.source_id
        WHERE cs.claim_id = c.id
    ) links ON true
"""


def _times(template: str, spell: str) -> str:
    columns = {
        "published_at": "s.published_at",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "checked_at": "s.checked_at",
        "added_at": "cs.added_at",
    }
    table = "s" if "source_documents AS" in template else "c"
    return template.format(**{k: spell.format(v.format(t=table)) for k, v in columns.items()})


def upgrade() -> None:
    # Inlined by the planner (a single expression), so it costs no function call per time;
    # STABLE like to_char, which inlining requires.
    op.execute(
        """
        CREATE FUNCTION api_time(t timestamptz) RETURNS text
            LANGUAGE sql STABLE PARALLEL SAFE
            RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                   || CASE WHEN date_part('microseconds', t)::bigint % 1000000 = 0 THEN ''
                           ELSE to_char(t AT TIME ZONE 'UTC', '.US') END
                   || 'Z'
        """
    )
    op.execute(_times(SOURCE_VIEW, "api_time({})"))
    op.execute(_times(CLAIM_VIEW, "api_time({})"))


def downgrade() -> None:
    op.execute(_times(SOURCE_VIEW, "{}"))
    op.execute(_times(CLAIM_VIEW, "{}"))
    op.execute("DROP FUNCTION IF EXISTS api_time(timestamptz)")
