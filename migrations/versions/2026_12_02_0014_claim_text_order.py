"""An article's claims in text order, defined once: ``claim_text_order(span_start, span_end)``.

The order of an article's claims (by span start and end, orphaned claims last, the id breaking
ties) was spelled ``span_start IS NULL, span_start, span_end, id`` in every statement that
lists them, and the keyset of GET /v1/articles/{id}/claims compared a spelling of its own that
kept orphaned claims on the later pages only through its ``coalesce(…, 0)``: in a row
comparison a NULL makes the whole comparison unknown, which drops the row.

``claim_text_order`` is that order as one sortable value that is never NULL, so it can be
compared with ``>`` in a keyset; a statement orders by ``claim_text_order(span_start,
span_end), id``. An SQL function of one expression is inlined by the planner, in queries and in
index expressions alike, so ``claim_documents_text_order_idx`` replaces
``claim_documents_article_idx`` and the hot path still reads one article's documents with one
range scan in this order, without a sort.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION claim_text_order(span_start integer, span_end integer) RETURNS integer[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN ARRAY[(span_start IS NULL)::integer, coalesce(span_start, 0), coalesce(span_end, 0)]
        """
    )
    op.execute(
        """
        CREATE INDEX claim_documents_text_order_idx
            ON claim_documents (article_id, claim_text_order(span_start, span_end), id)
        """
    )
    op.execute("DROP INDEX claim_documents_article_idx")


def downgrade() -> None:
    op.execute(
        """
        CREATE INDEX claim_documents_article_idx
            ON claim_documents (article_id, (span_start IS NULL), span_start, span_end, id)
        """
    )
    op.execute("DROP INDEX claim_documents_text_order_idx")
    op.execute("DROP FUNCTION claim_text_order(integer, integer)")
