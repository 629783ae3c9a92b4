"""A bulk write may write its claims' documents once, at its end.

Each statement that inserts claims or links rewrites the documents of the claims it touched
(migration 0007). A batch import inserts its claims, then their links: every document was
built twice, inside a transaction that other batches wait for (they share sources). With
`claimtrack.documents_deferred` set for the transaction (`SET LOCAL`, so it never outlives it),
the triggers leave the documents alone, and the writer calls `write_deferred_claim_documents`
with every claim it wrote and every source it linked, once, before it reads them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REFRESH = r"""
    CREATE OR REPLACE FUNCTION refresh_claim_documents(claim_ids uuid[], new_link_sources uuid[] DEFAULT NULL)
        RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF claim_ids IS NULL OR cardinality(claim_ids) = 0 THEN
            RETURN;
        END IF;
        {deferred}
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

DEFERRED = """IF current_setting('claimtrack.documents_deferred', true) = 'on' THEN
            RETURN;  -- the writer calls write_deferred_claim_documents before it commits
        END IF;"""


def upgrade() -> None:
    op.execute(REFRESH.replace("{deferred}", DEFERRED))
    op.execute(
        r"""
        CREATE FUNCTION write_deferred_claim_documents(claim_ids uuid[], linked_sources uuid[])
            RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM set_config('claimtrack.documents_deferred', 'off', true);
            PERFORM refresh_claim_documents(claim_ids, linked_sources);
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION write_deferred_claim_documents(uuid[], uuid[])")
    op.execute(REFRESH.replace("{deferred}", ""))
