"""System checks of what the studio needs from its environment."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# UPDATE/INSERT ... RETURNING: the closing UPDATE, resuming runs waiting on a ticket, the
# ORM broker's poll and the inserts that answer with their ids are one statement each.
SQLITE_MINIMUM = (3, 35, 0)


@register()
def sqlite_version(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    engines = {db["ENGINE"] for db in settings.DATABASES.values()}
    if "django.db.backends.sqlite3" not in engines or sqlite3.sqlite_version_info >= SQLITE_MINIMUM:
        return []
    return [
        Error(
            f"SQLite {sqlite3.sqlite_version} is too old: the studio needs SQLite "
            f"{'.'.join(map(str, SQLITE_MINIMUM))} or newer (UPDATE ... RETURNING).",
            hint="Use a Python linked with a newer SQLite, or set DATABASE_URL to a PostgreSQL database.",
            id="studio.E001",
        )
    ]
