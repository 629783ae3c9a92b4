"""ClaimReview as fact-checkers publish it: several reviews on a page, and who a claimant is.

- ``sources.reviews``: every ClaimReview imported for a fact_check source's page, in the order
  first imported, each told apart by the ``fragment`` of its url (null: the review the page's url
  names itself) and holding what the import keeps of it — the claim reviewed, title, author,
  dates, language, rating with its explanation, and the claim's author, date and appearances.
  Until now a page held one review: a second one on the same page overwrote the first. The
  reviews live in the source's row because they are only ever read and written with their page,
  under its row lock, and ``source_document`` stays a function of the row, so the trigger that
  refreshes the claims citing a source still sees every change. No two reviews of a page share a
  fragment (CHECK). Sources imported before keep their one review as the page's review.
- ``claims.claimant_type``: ``person`` or ``organization`` (null: not said), for the ClaimReview
  export's ``itemReviewed.author``.
- The source document shows ``reviews``, the claim document ``claimant_type``; every stored claim
  document is rewritten.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def claim_document(with_claimant_type: bool) -> str:
    """claim_document as of 0010, with ``claimant_type`` after ``claimant`` when asked."""
    claimant_type = "'claimant_type', c.claimant_type, " if with_claimant_type else ""
    return f"""
    CREATE OR REPLACE FUNCTION claim_document(c claims, links json) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', c.id, 'article_id', c.article_id, 'text', c.text, 'quote', c.quote,
            'span', CASE WHEN c.span_start IS NULL THEN NULL
                         ELSE json_build_object('start', c.span_start, 'end', c.span_end) END,
            'selector', json_build_object('exact', c.quote, 'prefix', c.prefix, 'suffix', c.suffix),
            'anchor_status', c.anchor_status, 'revision', c.revision, 'language', c.language,
            'claimant', c.claimant, {claimant_type}'claim_date', c.claim_date, 'tags', c.tags,
            'status', c.status,
            'rating', rating_document(c.rating_value, c.rating_text),
            'review_url', c.review_url, 'version', c.version,
            'created_by', c.created_by, 'updated_by', c.updated_by,
            'created_at', api_time(c.created_at), 'updated_at', api_time(c.updated_at),
            'sources', coalesce(links, '[]'::json),
            'quantities', c.quantities, 'quote_quantities', c.quote_quantities)
    """


def source_document(with_reviews: bool) -> str:
    """source_document as of 0007, with ``reviews`` at the end when asked."""
    reviews = ", 'reviews', s.reviews" if with_reviews else ""
    return f"""
    CREATE OR REPLACE FUNCTION source_document(s sources) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
            'kind', s.kind, 'language', s.language, 'published_at', api_time(s.published_at),
            'archived_url', s.archived_url, 'version', s.version,
            'created_by', s.created_by, 'updated_by', s.updated_by,
            'created_at', api_time(s.created_at), 'updated_at', api_time(s.updated_at),
            'health', s.health, 'checked_at', api_time(s.checked_at),
            'review_rating', s.review_rating, 'claim_reviewed', s.claim_reviewed{reviews})
    """


# A source imported before kept one review: it becomes the page's review, with what was stored.
EXISTING_REVIEWS = r"""
    UPDATE sources SET reviews = jsonb_build_array(jsonb_build_object(
        'fragment', NULL, 'claim_reviewed', claim_reviewed, 'title', title,
        'author', CASE WHEN publisher IS NULL THEN NULL
                       ELSE jsonb_build_object('type', NULL, 'name', publisher, 'url', NULL,
                                               'same_as', '[]'::jsonb) END,
        'date_published', to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'date_modified', NULL, 'language', language,
        'rating', CASE WHEN review_rating IS NULL THEN NULL
                       ELSE review_rating || '{"explanation": null}'::jsonb END,
        'claim', jsonb_build_object('author', NULL, 'date_published', NULL, 'appearances', '[]'::jsonb,
                                    'first_appearance', NULL)))
    WHERE kind = 'fact_check' AND (review_rating IS NOT NULL OR claim_reviewed IS NOT NULL)
"""

REWRITE_DOCUMENTS = """
    UPDATE claim_documents d SET doc = b.doc
    FROM claim_documents_built b WHERE b.id = d.id
"""


def upgrade() -> None:
    # Added column by column, constraints after: PostgreSQL 15 refuses an ADD COLUMN that must
    # check rows while a function (source_document, claim_document) takes the table's row type.
    op.execute("ALTER TABLE claims ADD COLUMN claimant_type text")
    op.execute(
        "ALTER TABLE claims ADD CONSTRAINT claims_claimant_type_check"
        " CHECK (claimant_type IN ('person', 'organization'))"
    )
    op.execute(
        """
        CREATE FUNCTION review_fragments_distinct(reviews jsonb) RETURNS boolean
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN (SELECT count(*) = count(DISTINCT r -> 'fragment') FROM jsonb_array_elements(reviews) r)
        """
    )
    op.execute("ALTER TABLE sources ADD COLUMN reviews jsonb")
    op.execute("UPDATE sources SET reviews = '[]'")
    op.execute(EXISTING_REVIEWS)
    op.execute("ALTER TABLE sources ALTER COLUMN reviews SET DEFAULT '[]', ALTER COLUMN reviews SET NOT NULL")
    op.execute(
        "ALTER TABLE sources ADD CONSTRAINT sources_reviews_check"
        " CHECK (jsonb_typeof(reviews) = 'array' AND review_fragments_distinct(reviews))"
    )
    op.execute(source_document(True))
    op.execute(claim_document(True))
    op.execute(REWRITE_DOCUMENTS)


def downgrade() -> None:
    # The schema before this one keeps one review a page: the first one stays in review_rating
    # and claim_reviewed, the others go; so does what a claim says of its claimant's type.
    op.execute(source_document(False))
    op.execute(claim_document(False))
    op.execute("ALTER TABLE sources DROP CONSTRAINT sources_reviews_check, DROP COLUMN reviews")
    op.execute("DROP FUNCTION review_fragments_distinct(jsonb)")
    op.execute("ALTER TABLE claims DROP CONSTRAINT claims_claimant_type_check, DROP COLUMN claimant_type")
    op.execute(REWRITE_DOCUMENTS)
