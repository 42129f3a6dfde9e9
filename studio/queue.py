"""The one way work is handed to django-q2.

async_task knows nothing of transactions. Enqueuing inside a transaction that later rolls
back would wake a worker for rows that never existed, so every enqueue waits for commit.
Tasks take primary keys only: arguments are pickled and delivered at least once.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task


def enqueue_on_commit(func: str, *ids: int, group: str | None = None) -> None:
    def send() -> None:
        kwargs = {"group": group} if group else {}
        async_task(func, *ids, **kwargs)

    transaction.on_commit(send)
