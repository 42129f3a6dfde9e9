"""Fixed-window request counters in Django's cache, for the anonymous chat and flow starts.

`allow(key, per_minute)` counts one hit and says whether the caller is still within its limit
for the current minute. The counters live in the default cache: per process with the built-in
local-memory cache (the limit then holds per web process), shared by every process when
REDIS_URL points the cache at Redis (settings). A limit of 0 turns a counter off.
"""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def allow(key: str, per_minute: int) -> bool:
    if per_minute <= 0:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    cache_key = f"ratelimit:{key}:{window}"
    # add() creates the counter atomically when it is new; incr() is atomic on Redis and
    # under the local-memory cache's lock.
    if cache.add(cache_key, 1, timeout=WINDOW_SECONDS * 2):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    return count <= per_minute


def client_address(request) -> str:
    """The caller's address, read the way login throttling reads it (behind a trusted proxy,
    AXES_IPWARE_META_PRECEDENCE_ORDER names the header)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"
