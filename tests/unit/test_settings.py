"""Every setting is declared once (api/settings.py): the README's table is printed from the
declarations, and ``Settings.from_env`` reads each one by its type, under its variable."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import Settings, markdown_table

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = [field.metadata["env"] for field in dataclasses.fields(Settings)]
ALIASES = [alias for field in dataclasses.fields(Settings) for alias in field.metadata["aliases"]]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES + ALIASES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _readme_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Configuration\n") :]
    start = section.index("| variable |")
    return section[start : section.index("\n\n", start) + 1]


def test_the_readme_table_is_the_one_the_declarations_print() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "api.settings"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert printed == markdown_table()
    assert _readme_table() == printed, "README's configuration table is stale: python -m api.settings"


def test_every_setting_has_a_variable_of_its_own_and_a_meaning() -> None:
    assert len(set(VARIABLES + ALIASES)) == len(VARIABLES + ALIASES)
    assert "DATABASE_URL" in VARIABLES
    assert all(name.startswith("CLAIMTRACK_") for name in VARIABLES if name != "DATABASE_URL")
    assert all(field.metadata["help"] for field in dataclasses.fields(Settings))


def test_without_variables_every_setting_is_its_default(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env() == Settings()


def test_each_variable_reaches_its_setting_by_its_type(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://db.example/claims")
    clean_env.setenv("CLAIMTRACK_DATA_DIR", "/srv/claimtrack")
    clean_env.setenv("CLAIMTRACK_PORT", "9000")
    clean_env.setenv("CLAIMTRACK_POOL_ACQUIRE_TIMEOUT", "2.5")
    clean_env.setenv("CLAIMTRACK_ACCESS_LOG", "no")
    clean_env.setenv("CLAIMTRACK_PGBOUNCER", "yes")
    clean_env.setenv("CLAIMTRACK_CORS_ALLOW_ORIGINS", " https://a.example , ,https://b.example")
    clean_env.setenv("CLAIMTRACK_LOG_LEVEL", "debug")
    clean_env.setenv("CLAIMTRACK_LOG_FORMAT", " Text ")
    settings = Settings.from_env()
    assert settings.database_url == "postgresql://db.example/claims"
    assert settings.data_dir == Path("/srv/claimtrack")
    assert settings.port == 9000
    assert settings.pool_acquire_timeout == 2.5
    assert settings.access_log is False
    assert settings.pgbouncer is True
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "text"


@pytest.mark.parametrize(
    ("value", "on_by_default", "off_by_default"),
    [
        ("1", True, True),
        ("true", True, True),
        ("yes", True, True),
        ("0", False, False),
        ("false", False, False),
        ("no", False, False),
        ("", True, False),
        ("maybe", True, False),
    ],
)
def test_a_boolean_is_on_or_off_by_its_words_else_its_default(
    clean_env: pytest.MonkeyPatch, value: str, on_by_default: bool, off_by_default: bool
) -> None:
    clean_env.setenv("CLAIMTRACK_SOURCE_CHECKS", value)  # on by default
    clean_env.setenv("CLAIMTRACK_METRICS_PUBLIC", value)  # off by default
    settings = Settings.from_env()
    assert settings.source_checks is on_by_default
    assert settings.metrics_public is off_by_default


def test_an_empty_number_is_the_default_and_a_wrong_one_stops_the_start(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("CLAIMTRACK_PORT", "")
    clean_env.setenv("CLAIMTRACK_KEY_CACHE_SECONDS", "")
    assert Settings.from_env().port == 8000
    assert Settings.from_env().key_cache_seconds == 30.0
    clean_env.setenv("CLAIMTRACK_PORT", "80.5")
    with pytest.raises(SystemExit, match=r"setting CLAIMTRACK_PORT must be an integer, got '80\.5'"):
        Settings.from_env()
    clean_env.setenv("CLAIMTRACK_PORT", "80")
    clean_env.setenv("CLAIMTRACK_KEY_CACHE_SECONDS", "soon")
    with pytest.raises(SystemExit, match="setting CLAIMTRACK_KEY_CACHE_SECONDS must be a number, got 'soon'"):
        Settings.from_env()
    clean_env.setenv("CLAIMTRACK_KEY_CACHE_SECONDS", "1")
    clean_env.setenv("CLAIMTRACK_LOG_FORMAT", "xml")
    with pytest.raises(SystemExit, match="CLAIMTRACK_LOG_FORMAT must be auto, json or text, got 'xml'"):
        Settings.from_env()
