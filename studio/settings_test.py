"""Test settings. django-q2 reads Q_CLUSTER once at import, so `sync` must be set here."""

import os
import secrets

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")

from studio.settings import *  # noqa: F403
from studio.settings import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# sync: tasks run inline when enqueued; save_limit 0 keeps every task so tests can count them.
Q_CLUSTER = {**Q_CLUSTER, "sync": True, "save_limit": 0}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}  # noqa: F405

# A file, not memory, so a real `manage.py qcluster` subprocess sees the same test database
# (the cluster fixture hands it the file's name). One file per test run, so two runs never
# collide; set in the environment so processes this run starts agree on it. A run removes its
# own file at the end (tests/conftest.py), and files of runs that died are removed by the next.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    if not os.environ.get("STUDIO_TEST_DB"):
        os.environ["STUDIO_TEST_DB"] = str(
            BASE_DIR / "var" / f"test-{os.getpid()}-{secrets.token_hex(4)}.sqlite3"  # noqa: F405
        )
        STUDIO_TEST_DB_IS_TEMPORARY = True
    DATABASES["default"]["TEST"] = {"NAME": os.environ["STUDIO_TEST_DB"]}  # noqa: F405
# Login throttling is tested on purpose (tests/studio/test_login_throttle.py); elsewhere it
# would make Client.login() (no request object) fail inside the axes backend.
AXES_ENABLED = False
# Counters stay in the test process (cleared before each test, tests/conftest.py), never in a
# Redis database a cluster test shares.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
