"""Django's PostgreSQL backend, with a cheaper health check.

CONN_HEALTH_CHECKS makes Django send `SELECT 1` before the first query of every request and
every task on a kept connection: one more round trip, and one more transaction for the server,
per emit and per run (docs/performance.md). A connection idle between two uses has nothing to
read unless the server is going away: a terminated backend sends its FATAL message then closes,
a restarted server closes or resets the socket. So a socket with nothing to read is taken as
alive, and only one with something to read gets Django's own `SELECT 1`, which fails on a dead
connection and reads anything else the server sent.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def _has_input(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            fd = self.connection.pgconn.socket
        except Exception:  # psycopg.OperationalError on a connection it already knows is bad
            return False
        if not _has_input(fd):
            return True
        return super().is_usable()
