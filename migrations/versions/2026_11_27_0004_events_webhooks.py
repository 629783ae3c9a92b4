"""The change feed (transactional outbox), webhooks with their deliveries, idempotency keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # txid is the writing transaction's id. A reader only sees events whose transaction is
    # older than its snapshot's xmin, i.e. every transaction that could still add an event
    # before the reader's cursor has finished: commits out of order cannot be skipped.
    op.execute(
        """
        CREATE TABLE events (
            txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
            seq          bigint GENERATED ALWAYS AS IDENTITY,
            id           uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
            type         text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
            occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
            order_key    uuid,
            data         jsonb NOT NULL,
            PRIMARY KEY (txid, seq)
        )
        """
    )
    op.execute("CREATE INDEX events_type_idx ON events (type, txid, seq)")

    op.execute(
        """
        CREATE TABLE webhooks (
            id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            url              text NOT NULL CHECK (url ~ '^https?://'),
            event_types      text[] NOT NULL DEFAULT '{}',
            description      text,
            secret           text NOT NULL,
            previous_secret  text,
            previous_secret_expires_at timestamptz,
            enabled          boolean NOT NULL DEFAULT true,
            disabled_reason  text,
            consecutive_failures integer NOT NULL DEFAULT 0,
            version          integer NOT NULL DEFAULT 1,
            created_by       text,
            created_at       timestamptz NOT NULL DEFAULT now(),
            updated_at       timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
            event_id         uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            event_txid       xid8 NOT NULL,
            event_seq        bigint NOT NULL,
            order_key        uuid,
            status           text NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'succeeded', 'failed')),
            attempts         integer NOT NULL DEFAULT 0,
            next_attempt_at  timestamptz NOT NULL DEFAULT now(),
            last_status_code integer,
            last_error       text,
            created_at       timestamptz NOT NULL DEFAULT now(),
            delivered_at     timestamptz,
            UNIQUE (webhook_id, event_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'"
    )
    op.execute(
        """
        CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, order_key, event_txid, event_seq)
        WHERE status = 'pending'
        """
    )
    op.execute(
        "CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id)"
    )

    # Fan-out happens in the writing transaction: a committed event has its deliveries.
    op.execute(
        """
        CREATE FUNCTION events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO webhook_deliveries (webhook_id, event_id, event_txid, event_seq, order_key)
            SELECT w.id, NEW.id, NEW.txid, NEW.seq, NEW.order_key
            FROM webhooks w
            WHERE w.enabled
              AND (cardinality(w.event_types) = 0
                   OR NEW.type = ANY (w.event_types)
                   OR split_part(NEW.type, '.', 1) || '.*' = ANY (w.event_types));
            IF FOUND THEN
                PERFORM pg_notify('claimtrack_deliveries', '');
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_fan_out AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_fan_out()"
    )

    op.execute(
        """
        CREATE TABLE idempotency_keys (
            scope        bytea NOT NULL,
            key          text NOT NULL,
            fingerprint  bytea NOT NULL,
            state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
            status       integer,
            headers      jsonb,
            body         bytea,
            created_at   timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz NOT NULL,
            PRIMARY KEY (scope, key)
        )
        """
    )
    op.execute("CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS idempotency_keys")
    op.execute("DROP TRIGGER IF EXISTS events_fan_out ON events")
    op.execute("DROP FUNCTION IF EXISTS events_fan_out()")
    op.execute("DROP TABLE IF EXISTS webhook_deliveries")
    op.execute("DROP TABLE IF EXISTS webhooks")
    op.execute("DROP TABLE IF EXISTS events")
