"""The cast every test can use: an admin, agents of two bots, a customer's conversation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from inbox import services as inbox
from studio import services as studio
from studio.access import ADMINS_GROUP

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def bot(db):
    return studio.create_bot("Acme")


@pytest.fixture
def csat_bot(db):
    return studio.create_bot("Acme CSAT", csat={"enabled": True, "scale": 5, "expires_after_minutes": 30})


@pytest.fixture
def other_bot(db):
    return studio.create_bot("Globex")


@pytest.fixture
def admin_user(db):
    user = User.objects.create_user("admin", "admin@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=ADMINS_GROUP)[0])
    return user


@pytest.fixture
def agent(bot, csat_bot):
    return inbox.create_agent(
        username="alice",
        password=PASSWORD,
        name="Alice Agent",
        email="alice@example.com",
        bots=[bot, csat_bot],
        groups=["billing"],
        # Away: tickets raised in tests wait in the queue for a Take, as most tests expect;
        # routing tests set her available.
        status="away",
    )


@pytest.fixture
def other_agent(other_bot):
    return inbox.create_agent(
        username="bob", password=PASSWORD, name="Bob Agent", email="bob@example.com", bots=[other_bot]
    )


def open_ticket(bot, *, subject="Charged twice", category="billing", priority="high"):
    conversation = inbox.start_conversation(
        bot, customer={"name": "Dana", "email": "dana@example.com", "external_id": "cus_1"}
    )
    return inbox.raise_ticket(conversation, subject=subject, category=category, priority=priority)


@pytest.fixture
def ticket(bot, agent):
    return open_ticket(bot)


@pytest.fixture
def csat_ticket(csat_bot, agent):
    return open_ticket(csat_bot)


def activate(bot, key: str) -> None:
    from events.models import Event

    Event.objects.filter(bot=bot, key=key).update(is_active=True)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` test PostgreSQL itself (pg_terminate_backend), tests marked
    `redis` the Redis broker itself: without that service they are deselected, not skipped;
    the PostgreSQL and the Redis passes of CI run them."""
    from django_q.conf import Conf

    missing = set()
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        missing.add("postgres")
    if not Conf.REDIS:
        missing.add("redis")
    deselected = [item for item in items if any(item.get_closest_marker(name) for name in missing)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters (Django's cache) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield


def remove_sqlite(path: Path) -> None:
    for part in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        part.unlink(missing_ok=True)


def pytest_sessionstart(session):
    """Each run has its own test database file (studio/settings_test.py); a run that was
    killed left its file behind, named after its process, which is gone now."""
    for path in (Path(settings.BASE_DIR) / "var").glob("test-*-*.sqlite3"):
        try:
            os.kill(int(path.name.split("-")[1]), 0)
        except ProcessLookupError:
            remove_sqlite(path)
        except (ValueError, PermissionError):
            pass


def pytest_unconfigure(config):
    if getattr(settings, "STUDIO_TEST_DB_IS_TEMPORARY", False):
        remove_sqlite(Path(os.environ["STUDIO_TEST_DB"]))
