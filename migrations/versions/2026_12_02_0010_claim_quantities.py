"""Quantities in claims: the numbers of a claim's text and quote, as intervals with what they count.

- ``claims.quantities`` and ``claims.quote_quantities`` (jsonb): written by the API with every
  claim's text or quote (``api.quantities.of_claim``, Python), filled here for the claims
  stored before. The claim document shows both; every stored document is rewritten.
- ``claim_quantity_keys(quantities, quote_quantities)``: what a claim's quantities count
  ("killed", "troops", "%"), GIN-indexed: /similar and /match find claims counting the same
  thing with other numbers through it.
- ``claim_match_words(text)``: the normalised text with its numbers left out, which such
  claims are scored by.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Claims read and written per round trip while filling the new columns.
BATCH = 5000


def claim_document(with_quantities: bool) -> str:
    # As migration 0009 defines it, with the quantities last.
    quantities = (
        ",\n            'quantities', c.quantities, 'quote_quantities', c.quote_quantities"
        if with_quantities
        else ""
    )
    return f"""
    CREATE FUNCTION claim_document(c claims, links json) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', c.id, 'article_id', c.article_id, 'text', c.text, 'quote', c.quote,
            'span', CASE WHEN c.span_start IS NULL THEN NULL
                         ELSE json_build_object('start', c.span_start, 'end', c.span_end) END,
            'selector', json_build_object('exact', c.quote, 'prefix', c.prefix, 'suffix', c.suffix),
            'anchor_status', c.anchor_status, 'revision', c.revision, 'language', c.language,
            'claimant', c.claimant, 'claim_date', c.claim_date, 'tags', c.tags,
            'status', c.status,
            'rating', rating_document(c.rating_value, c.rating_text),
            'review_url', c.review_url, 'version', c.version,
            'created_by', c.created_by, 'updated_by', c.updated_by,
            'created_at', api_time(c.created_at), 'updated_at', api_time(c.updated_at),
            'sources', coalesce(links, '[]'::json){quantities})
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

FUNCTIONS = [
    # The numbers as one sign: texts that differ only in their numbers are equal.
    r"""
    CREATE FUNCTION claim_match_words(text text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN regexp_replace(claim_match_text(text), '[0-9]+(\.[0-9]+)?', '#', 'g')
    """,
    """
    CREATE FUNCTION claim_quantity_keys(quantities jsonb, quote_quantities jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN ARRAY(
            SELECT DISTINCT q ->> 'key'
            FROM jsonb_array_elements(coalesce(quantities, '[]') || coalesce(quote_quantities, '[]')) q
            WHERE q ->> 'key' IS NOT NULL
            ORDER BY 1)
    """,
]


def _recreate_documents(with_quantities: bool, change_claims: str) -> None:
    # The view and the function read claims' columns: they go while the columns change.
    op.execute("DROP VIEW claim_documents_built")
    op.execute("DROP FUNCTION claim_document(claims, json)")
    op.execute(change_claims)
    op.execute(claim_document(with_quantities))
    op.execute(BUILT_VIEW)


def _fill() -> None:
    """Every stored claim's quantities, read by the API's own extractor, in batches by id."""
    from api.quantities import of_claim

    bind = op.get_bind()
    op.execute(
        "CREATE TEMPORARY TABLE claim_quantities_fill"
        " (id uuid PRIMARY KEY, quantities jsonb NOT NULL, quote_quantities jsonb NOT NULL) ON COMMIT DROP"
    )
    after = None
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, text, quote, language FROM claims"
                " WHERE CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid) ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": BATCH},
        ).fetchall()
        if not rows:
            break
        filled = []
        for claim_id, text, quote, language in rows:
            quantities, quote_quantities = of_claim(text, quote, language)
            if quantities or quote_quantities:
                filled.append(
                    {"id": claim_id, "q": json.dumps(quantities), "qq": json.dumps(quote_quantities)}
                )
        if filled:
            bind.execute(
                sa.text(
                    "INSERT INTO claim_quantities_fill VALUES"
                    " (CAST(:id AS uuid), CAST(:q AS jsonb), CAST(:qq AS jsonb))"
                ),
                filled,
            )
        after = str(rows[-1][0])
    # One statement, with the document trigger off: every document is rewritten below anyway.
    op.execute("ALTER TABLE claims DISABLE TRIGGER claims_updated_refresh_documents")
    op.execute(
        "UPDATE claims c SET quantities = f.quantities, quote_quantities = f.quote_quantities"
        " FROM claim_quantities_fill f WHERE f.id = c.id"
    )
    op.execute("ALTER TABLE claims ENABLE TRIGGER claims_updated_refresh_documents")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(function)
    _recreate_documents(
        True,
        """
        ALTER TABLE claims
            ADD COLUMN quantities jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(quantities) = 'array'),
            ADD COLUMN quote_quantities jsonb NOT NULL DEFAULT '[]'
                CHECK (jsonb_typeof(quote_quantities) = 'array')
        """,
    )
    _fill()
    op.execute(REWRITE_DOCUMENTS)
    op.execute(
        "CREATE INDEX claims_quantity_keys_idx ON claims"
        " USING gin (claim_quantity_keys(quantities, quote_quantities))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX claims_quantity_keys_idx")
    _recreate_documents(False, "ALTER TABLE claims DROP COLUMN quote_quantities, DROP COLUMN quantities")
    op.execute(REWRITE_DOCUMENTS)
    op.execute("DROP FUNCTION claim_quantity_keys(jsonb, jsonb)")
    op.execute("DROP FUNCTION claim_match_words(text)")
