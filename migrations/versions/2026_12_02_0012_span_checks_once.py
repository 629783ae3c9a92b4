"""A body and its claims checked once at commit, not once per claim.

The rule "a claim's span holds its quote in the article's body" is kept by two deferred
constraint triggers (migration 0001): one per claim written, one per article whose body
changes. A new body re-places many claims in the same transaction, and each of their checks
read and decompressed the whole body again, and counted its characters from the start: for
200 claims in a 50,000-character body that was most of the time the commit took.

Now the article's trigger fires for every article written (inserted or updated) and checks all
its claims, reading the body once; a claim's own trigger skips its check when its article was
written by the same transaction, since the article's check at commit covers it. A claim
written alone (POST, PATCH, a verdict) is checked by its own trigger as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CLAIM_CHECK = """
    CREATE OR REPLACE FUNCTION claims_check_anchor() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        body_text text;
    BEGIN
        IF NEW.span_start IS NULL THEN
            RETURN NULL;
        END IF;
        {skip}
        SELECT body INTO body_text FROM articles WHERE id = NEW.article_id;
        IF NOT FOUND THEN
            RETURN NULL;  -- the article is gone; the cascade removes the claim
        END IF;
        IF NEW.span_end > char_length(body_text)
           OR substr(body_text, NEW.span_start + 1, NEW.span_end - NEW.span_start) <> NEW.quote THEN
            RAISE EXCEPTION 'claim % span [%, %) does not hold its quote in the article body',
                NEW.id, NEW.span_start, NEW.span_end
                USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_span_in_body';
        END IF;
        RETURN NULL;
    END $$
"""

# Written by this transaction (xmin) means articles_claims_span_in_body checks it at commit.
SKIP = """
        IF EXISTS (SELECT 1 FROM articles WHERE id = NEW.article_id AND xmin = xid(pg_current_xact_id())) THEN
            RETURN NULL;
        END IF;
"""

ARTICLE_CHECK = """
    CREATE OR REPLACE FUNCTION articles_check_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        body_text text := NEW.body;  -- decompressed once, not once per claim
        body_length integer := char_length(NEW.body);
    BEGIN
        IF EXISTS (
            SELECT 1 FROM claims c
            WHERE c.article_id = NEW.id AND c.span_start IS NOT NULL
              AND (c.span_end > body_length
                   OR substr(body_text, c.span_start + 1, c.span_end - c.span_start) <> c.quote)
        ) THEN
            RAISE EXCEPTION 'article % has claims whose span does not hold their quote', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_span_in_body';
        END IF;
        RETURN NULL;
    END $$
"""

OLD_ARTICLE_CHECK = """
    CREATE OR REPLACE FUNCTION articles_check_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM claims c
            WHERE c.article_id = NEW.id AND c.span_start IS NOT NULL
              AND (c.span_end > char_length(NEW.body)
                   OR substr(NEW.body, c.span_start + 1, c.span_end - c.span_start) <> c.quote)
        ) THEN
            RAISE EXCEPTION 'article % has claims whose span does not hold their quote', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_span_in_body';
        END IF;
        RETURN NULL;
    END $$
"""


def _article_trigger(events: str) -> None:
    op.execute("DROP TRIGGER articles_claims_span_in_body ON articles")
    op.execute(
        f"""
        CREATE CONSTRAINT TRIGGER articles_claims_span_in_body
            AFTER {events} ON articles
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION articles_check_anchors()
        """
    )


def upgrade() -> None:
    op.execute(ARTICLE_CHECK)
    # Every article written, whatever its statement sets: the claims' checks rely on it.
    _article_trigger("INSERT OR UPDATE")
    op.execute(CLAIM_CHECK.replace("{skip}", SKIP))


def downgrade() -> None:
    op.execute(CLAIM_CHECK.replace("{skip}", ""))
    _article_trigger("UPDATE OF body")
    op.execute(OLD_ARTICLE_CHECK)
