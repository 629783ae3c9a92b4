"""Wording entries in the history: what each verdict was about.

A claim's history gains entries of ``kind`` ``reworded`` besides the verdicts: written when a
claim's ``text`` or ``quote`` changes (by PATCH, and later by re-anchoring after a body edit),
with ``wording`` = ``{text_before, text_after, quote_before, quote_after}`` and the status
unchanged (``status = previous_status``). Verdicts have ``kind = 'verdict'`` and no wording.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STATUSES = "'unverified', 'in_review', 'verified', 'misleading', 'disputed', 'false', 'unverifiable'"

DOCUMENT = """
    CREATE OR REPLACE FUNCTION verification_document(v verifications) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', v.id, 'claim_id', v.claim_id, 'kind', v.kind, 'status', v.status,
            'previous_status', v.previous_status,
            'rating', rating_document(v.rating_value, v.rating_text),
            'note', v.note, 'evidence', v.evidence, 'wording', v.wording, 'actor', v.actor,
            'claim_version', v.claim_version, 'created_at', api_time(v.created_at))
"""

OLD_DOCUMENT = """
    CREATE OR REPLACE FUNCTION verification_document(v verifications) RETURNS json
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN json_build_object(
            'id', v.id, 'claim_id', v.claim_id, 'status', v.status, 'previous_status', v.previous_status,
            'rating', rating_document(v.rating_value, v.rating_text),
            'note', v.note, 'evidence', v.evidence, 'actor', v.actor, 'claim_version', v.claim_version,
            'created_at', api_time(v.created_at))
"""


# The links of a claim in force, as a history entry records them as its evidence.
EVIDENCE = """
    CREATE FUNCTION claim_evidence(claim uuid) RETURNS jsonb
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'source_id', cs.source_id, 'relation', cs.relation, 'excerpt', cs.excerpt)
                       ORDER BY cs.added_at, cs.source_id), '[]'::jsonb)
                FROM claim_sources cs WHERE cs.claim_id = claim)
"""


def upgrade() -> None:
    # PostgreSQL refuses to add checked columns to a table whose row type a function's body
    # uses; the function is made again below with the new fields.
    op.execute("DROP FUNCTION verification_document(verifications)")
    op.execute(
        """
        ALTER TABLE verifications
            ADD COLUMN kind text NOT NULL DEFAULT 'verdict',
            ADD COLUMN wording jsonb,
            ADD CONSTRAINT verifications_kind_check CHECK (kind IN ('verdict', 'reworded')),
            ADD CONSTRAINT verifications_wording_check CHECK (
                (kind = 'verdict' AND wording IS NULL)
                OR (kind = 'reworded' AND status = previous_status
                    AND jsonb_typeof(wording) = 'object'
                    AND wording ?& ARRAY['text_before', 'text_after', 'quote_before', 'quote_after']))
        """
    )
    # No verdict sets a claim back to unverified, but a claim not yet judged can be reworded.
    op.execute(
        """
        ALTER TABLE verifications
            DROP CONSTRAINT verifications_status_check,
            ADD CONSTRAINT verifications_status_check
                CHECK (status IN (STATUSES) AND (status <> 'unverified' OR kind = 'reworded'))
        """.replace("STATUSES", STATUSES)
    )
    op.execute(DOCUMENT.replace("CREATE OR REPLACE", "CREATE"))
    op.execute(EVIDENCE)


def downgrade() -> None:
    op.execute("DROP FUNCTION claim_evidence(uuid)")
    # The schema before this one has no place for wording entries: they go (the history is
    # append-only, so its guard steps aside for this).
    op.execute("ALTER TABLE verifications DISABLE TRIGGER verifications_append_only")
    op.execute("DELETE FROM verifications WHERE kind = 'reworded'")
    op.execute("ALTER TABLE verifications ENABLE TRIGGER verifications_append_only")
    op.execute("DROP FUNCTION verification_document(verifications)")
    op.execute(
        f"""
        ALTER TABLE verifications
            DROP CONSTRAINT verifications_status_check,
            ADD CONSTRAINT verifications_status_check CHECK (status IN ({STATUSES}) AND status <> 'unverified')
        """
    )
    op.execute(
        "ALTER TABLE verifications DROP CONSTRAINT verifications_wording_check,"
        " DROP CONSTRAINT verifications_kind_check, DROP COLUMN wording, DROP COLUMN kind"
    )
    op.execute(OLD_DOCUMENT.replace("CREATE OR REPLACE", "CREATE"))
