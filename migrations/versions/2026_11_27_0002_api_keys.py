"""API keys: scoped, stored only as a hash, revocable; an optional per-key rate-limit counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_keys (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
            token_prefix  text NOT NULL,
            token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
            scopes        text[] NOT NULL CHECK (
                              cardinality(scopes) > 0
                              AND scopes <@ ARRAY['read', 'write', 'verify', 'admin']::text[]),
            created_by    text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            revoked_at    timestamptz,
            last_used_at  timestamptz
        )
        """
    )
    # Fixed-window request counters, shared by every worker process; rows of past windows
    # are removed as new windows begin.
    op.execute(
        """
        CREATE UNLOGGED TABLE rate_limit_windows (
            key_id        uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
            window_start  timestamptz NOT NULL,
            requests      integer NOT NULL,
            PRIMARY KEY (key_id, window_start)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS rate_limit_windows")
    op.execute("DROP TABLE IF EXISTS api_keys")
