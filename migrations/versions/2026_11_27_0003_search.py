"""Finding claims: language-aware full-text search, trigram matching across articles, filter indexes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Two stored generated columns keep what the searches need next to each claim:
- ``search_vector``: text (weight A) and quote (weight B) stemmed with the text search
  configuration of the claim's language; one GIN index serves every language (a query is
  looked up in it as read by every configuration, and each claim found is then matched with
  its own language's reading).
- ``match_text`` / ``match_numbers``: the claim's text in a normalised spelling for pg_trgm
  (one spelling per number: "3.600", "3,600", "3 600" are all 3600) and the set of numbers
  it names. Claims are matched only with claims naming the same numbers, so the number set is
  what finds the candidates (a btree on it); the trigram index is needed only for the claims
  that name no number. Looking candidates up by trigrams alone does not scale: claims of one
  pattern ("There were N passengers in P in Y") share most of their trigrams, and at a million
  claims a sentence has tens of thousands of trigram neighbours that differ only in numbers.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The languages with their own stemming; every other language is searched with 'simple'.
CONFIGURATIONS = {"de": "german", "en": "english", "ru": "russian"}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    cases = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in CONFIGURATIONS.items())
    op.execute(
        f"""
        CREATE FUNCTION claim_search_configuration(language text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN CASE lower(split_part(language, '-', 1)) {cases} ELSE 'simple' END
        """
    )
    # Text search functions taking a regconfig are immutable; the text-to-regconfig cast is only
    # stable because it reads search_path, which the pg_catalog prefix makes irrelevant.
    op.execute(
        """
        CREATE FUNCTION claim_search_regconfig(language text) RETURNS regconfig
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN ('pg_catalog.' || claim_search_configuration(language))::regconfig
        """
    )
    op.execute(
        """
        CREATE FUNCTION claim_search_vector(language text, text text, quote text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            RETURN setweight(to_tsvector(claim_search_regconfig(language), text), 'A')
                || setweight(to_tsvector(claim_search_regconfig(language), quote), 'B')
        """
    )

    # Lower case, ё as е, and one spelling per number: thousands separators dropped (". , ' ’"
    # and the no-break spaces; a plain space only after a group of 1-3 digits, so "2019 150"
    # stays two numbers), then a decimal comma becomes a point.
    op.execute(
        r"""
        CREATE FUNCTION claim_match_text(text text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$
            SELECT regexp_replace(
                       regexp_replace(
                           regexp_replace(
                               translate(lower(text), 'ё', 'е'),
                               '(?<=[0-9])[.,''’\u00a0\u202f\u2009](?=[0-9]{3}(?![0-9]))', '', 'g'),
                           '(?<![0-9])([0-9]{1,3}) (?=[0-9]{3}(?![0-9]))', '\1', 'g'),
                       '(?<=[0-9]),(?=[0-9])', '.', 'g')
            $$
        """
    )
    op.execute(
        r"""
        CREATE FUNCTION claim_match_numbers(text text) RETURNS numeric[]
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN ARRAY(
                SELECT DISTINCT m[1]::numeric
                FROM regexp_matches(claim_match_text(text), '([0-9]+(?:\.[0-9]+)?)', 'g') AS m
                ORDER BY 1)
        """
    )

    op.execute(
        """
        ALTER TABLE claims
            ADD COLUMN search_vector tsvector
                GENERATED ALWAYS AS (claim_search_vector(language, text, quote)) STORED,
            ADD COLUMN match_text text GENERATED ALWAYS AS (claim_match_text(text)) STORED,
            ADD COLUMN match_numbers numeric[] GENERATED ALWAYS AS (claim_match_numbers(text)) STORED
        """
    )
    op.execute("CREATE INDEX claims_search_idx ON claims USING gin (search_vector)")
    op.execute("CREATE INDEX claims_match_numbers_idx ON claims (match_numbers)")
    op.execute(
        "CREATE INDEX claims_match_text_idx ON claims USING gin (match_text gin_trgm_ops)"
        " WHERE match_numbers = '{}'"
    )

    # The other filters of GET /v1/claims and its second order.
    op.execute("CREATE INDEX claims_created_idx ON claims (created_at DESC, id DESC)")
    op.execute("CREATE INDEX claims_claimant_idx ON claims (lower(claimant)) WHERE claimant IS NOT NULL")
    op.execute("CREATE INDEX articles_outlet_idx ON articles (lower(outlet)) WHERE outlet IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS articles_outlet_idx")
    op.execute("DROP INDEX IF EXISTS claims_claimant_idx")
    op.execute("DROP INDEX IF EXISTS claims_created_idx")
    op.execute(
        """
        ALTER TABLE claims
            DROP COLUMN IF EXISTS match_numbers,
            DROP COLUMN IF EXISTS match_text,
            DROP COLUMN IF EXISTS search_vector
        """
    )
    op.execute("DROP FUNCTION IF EXISTS claim_match_numbers(text)")
    op.execute("DROP FUNCTION IF EXISTS claim_match_text(text)")
    op.execute("DROP FUNCTION IF EXISTS claim_search_vector(text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS claim_search_regconfig(text)")
    op.execute("DROP FUNCTION IF EXISTS claim_search_configuration(text)")
    # pg_trgm stays: other schema objects may have come to use it, and keeping it is harmless.
