"""`manage.py check` (and every command that runs the checks: migrate, runserver, qcluster)
refuses an SQLite too old for UPDATE ... RETURNING, with the way out in the hint."""

from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

# Only the check reads the added database; no connection is opened to it.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture
def sqlite_database(settings):
    settings.DATABASES = {
        **settings.DATABASES,
        "embedded": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    }


def test_an_sqlite_without_returning_is_refused_with_a_hint(sqlite_database, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(SystemCheckError) as failure:
        call_command("check")
    assert "studio.E001" in str(failure.value)
    assert "SQLite 3.31.1 is too old" in str(failure.value)
    assert "DATABASE_URL" in str(failure.value)


def test_a_current_sqlite_passes(sqlite_database, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 40, 1))
    call_command("check")
