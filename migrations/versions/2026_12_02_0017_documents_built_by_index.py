"""Claim documents built by index lookups whatever the statistics say.

``claim_documents_built`` (migration 0007) joined each claim's links to their sources. On
tables whose statistics lag behind (a bulk import, before autovacuum has analysed them), the
planner chose to hash all of ``sources`` for every claim: building 2,000 documents took 10 s
instead of 0.4 s, and an import's batches ran past the statement timeout. Each link's source is
now a scalar subquery, one primary-key lookup, which no estimate can turn into a scan. The
documents are the same, byte for byte.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

VIEW = """
    CREATE OR REPLACE VIEW claim_documents_built AS
    SELECT c.id, c.article_id, c.span_start, c.span_end, claim_document(c, links.items) AS doc
    FROM claims c
    LEFT JOIN LATERAL (
        SELECT json_agg({link} ORDER BY cs.added_at, cs.source_id) AS items
        FROM claim_sources cs {join}
        WHERE cs.claim_id = c.id
    ) links ON true
"""


def upgrade() -> None:
    op.execute(
        VIEW.format(link="link_document(cs, (SELECT s FROM sources s WHERE s.id = cs.source_id))", join="")
    )


def downgrade() -> None:
    op.execute(VIEW.format(link="link_document(cs, s)", join="JOIN sources s ON s.id = cs.source_id"))
