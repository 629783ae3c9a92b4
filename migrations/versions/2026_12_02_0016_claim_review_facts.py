"""What a claim's ClaimReview is made of, spelled once: the view ``claim_review_facts``.

The ClaimReview of one claim and those of an article's claims read the same facts (the claim,
its article, its first origin source, when a verdict was first given and when it was last
reviewed); both statements now read them from this view, which the planner inlines.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE VIEW claim_review_facts AS
        SELECT c.id, c.article_id, c.span_start, c.span_end, c.text, c.claimant, c.claimant_type,
               c.claim_date, c.language, c.status, c.rating_value, c.rating_text, c.review_url,
               a.url AS article_url, a.external_id, a.title AS article_title, a.outlet,
               a.published_at AS article_published_at,
               o.url AS origin_url, o.title AS origin_title, o.publisher AS origin_publisher,
               o.published_at AS origin_published_at,
               r.first_rated, r.last_reviewed
        FROM claims c
        JOIN articles a ON a.id = c.article_id
        LEFT JOIN LATERAL (
            SELECT s.url, s.title, s.publisher, s.published_at
            FROM claim_sources cs JOIN sources s ON s.id = cs.source_id
            WHERE cs.claim_id = c.id AND cs.relation = 'origin'
            ORDER BY cs.added_at, cs.source_id
            LIMIT 1
        ) o ON true
        CROSS JOIN LATERAL (
            SELECT min(v.created_at) FILTER (WHERE v.rating_text IS NOT NULL) AS first_rated,
                   max(v.created_at) FILTER (WHERE v.kind = 'verdict') AS last_reviewed
            FROM verifications v WHERE v.claim_id = c.id
        ) r
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW claim_review_facts")
