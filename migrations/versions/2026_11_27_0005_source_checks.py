"""Source checks and imported fact-checks: link health with its history, ClaimReview fields.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

HEALTH = "'ok', 'changed', 'dead', 'unchecked'"
OUTCOMES = "'ok', 'changed', 'gone', 'unresolvable', 'timeout', 'failed', 'refused'"

# The view's columns stay as they were (claim_documents depends on it); the new fields are
# appended to the end of the document.
SOURCE_DOCUMENTS = """
    CREATE OR REPLACE VIEW source_documents AS
    SELECT s.id, s.url, s.created_at,
           json_build_object(
               'id', s.id, 'url', s.url, 'title', s.title, 'publisher', s.publisher,
               'kind', s.kind, 'language', s.language, 'published_at', s.published_at,
               'archived_url', s.archived_url, 'version', s.version,
               'created_by', s.created_by, 'updated_by', s.updated_by,
               'created_at', s.created_at, 'updated_at', s.updated_at{extra}
           ) AS doc
    FROM sources s
"""
NEW_FIELDS = """,
               'health', s.health, 'checked_at', s.checked_at,
               'review_rating', s.review_rating, 'claim_reviewed', s.claim_reviewed"""


def upgrade() -> None:
    # content_hash is the baseline a check compares with: the page's main text as first seen,
    # or as last accepted. next_check_at schedules the background checker; new sources are due
    # at once.
    op.execute(
        f"""
        ALTER TABLE sources
            ADD COLUMN health text NOT NULL DEFAULT 'unchecked' CHECK (health IN ({HEALTH})),
            ADD COLUMN checked_at timestamptz,
            ADD COLUMN content_hash text,
            ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
            ADD COLUMN next_check_at timestamptz NOT NULL DEFAULT now(),
            ADD COLUMN review_rating jsonb CHECK (jsonb_typeof(review_rating) = 'object'),
            ADD COLUMN claim_reviewed text
        """
    )
    op.execute("CREATE INDEX sources_next_check_idx ON sources (next_check_at)")
    op.execute("CREATE INDEX sources_unhealthy_idx ON sources (health) WHERE health IN ('dead', 'changed')")
    op.execute(
        f"""
        CREATE TABLE source_checks (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            source_id     uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
            checked_at    timestamptz NOT NULL DEFAULT now(),
            outcome       text NOT NULL CHECK (outcome IN ({OUTCOMES})),
            health        text NOT NULL CHECK (health IN ({HEALTH})),
            previous_health text NOT NULL CHECK (previous_health IN ({HEALTH})),
            status_code   integer,
            final_url     text,
            redirects     integer NOT NULL DEFAULT 0,
            content_type  text,
            content_hash  text,
            title         text,
            bytes_read    integer NOT NULL DEFAULT 0,
            truncated     boolean NOT NULL DEFAULT false,
            error         text,
            duration_ms   integer NOT NULL DEFAULT 0,
            requested_by  text
        )
        """
    )
    op.execute("CREATE INDEX source_checks_source_idx ON source_checks (source_id, checked_at DESC, id DESC)")
    op.execute(SOURCE_DOCUMENTS.format(extra=NEW_FIELDS))


def downgrade() -> None:
    op.execute(SOURCE_DOCUMENTS.format(extra=""))
    op.execute("DROP TABLE IF EXISTS source_checks")
    op.execute("DROP INDEX IF EXISTS sources_unhealthy_idx")
    op.execute("DROP INDEX IF EXISTS sources_next_check_idx")
    op.execute(
        """
        ALTER TABLE sources
            DROP COLUMN IF EXISTS claim_reviewed,
            DROP COLUMN IF EXISTS review_rating,
            DROP COLUMN IF EXISTS next_check_at,
            DROP COLUMN IF EXISTS consecutive_failures,
            DROP COLUMN IF EXISTS content_hash,
            DROP COLUMN IF EXISTS checked_at,
            DROP COLUMN IF EXISTS health
        """
    )
