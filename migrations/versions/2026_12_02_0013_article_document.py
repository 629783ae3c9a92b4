"""An article's response document, defined once: ``article_document(articles)``.

An article was spelled as the API answers it twice: by the articles service in Python (a row
converted to the Article Struct) and, for the events of an import, by ``to_jsonb`` of the row,
whose times came out as PostgreSQL writes them ("…+00:00") rather than as the API does ("…Z").
Now both read this function, as claims, sources and revisions are read through theirs: the
API decodes it into the Article Struct, and an import's article.created event carries it as it
is, the same document a POST /v1/articles puts in the feed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION article_document(a articles) RETURNS json
            LANGUAGE sql STABLE PARALLEL SAFE
            RETURN json_build_object(
                'id', a.id, 'url', a.url, 'external_id', a.external_id, 'title', a.title,
                'language', a.language, 'outlet', a.outlet, 'published_at', api_time(a.published_at),
                'body', a.body, 'version', a.version, 'revision', a.revision,
                'created_by', a.created_by, 'updated_by', a.updated_by,
                'created_at', api_time(a.created_at), 'updated_at', api_time(a.updated_at))
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION article_document(articles)")
