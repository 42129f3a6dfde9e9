"""Settings read from the environment, with defaults that run out of the box.

Production needs at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL; see README.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "studio",
    "events",
    "inbox",
    "tables",
    "flows",
    "api",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studio.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database outage answers 503 with Retry-After (studio/unavailable.py).
    "studio.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

# --- Login throttling (django-axes) ---------------------------------------------------------
# Every login (admin, /accounts/login/, the API's token endpoint) goes through the axes backend:
# after LOGIN_FAILURE_LIMIT failures from one IP address (whatever the usernames), or for one
# username from one IP address, further tries from that IP / that pair are refused with 429 for
# LOGIN_COOLOFF_MINUTES. Never on the username alone: anyone could then lock anyone out from
# everywhere. A success resets the count. Behind a proxy, set AXES_IPWARE_META_PRECEDENCE_ORDER.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # the pair, or the address
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("AXES_IPWARE_META_PRECEDENCE_ORDER", "REMOTE_ADDR")

ROOT_URLCONF = "home.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# Persistent connections: without them django-q2 opens a new PostgreSQL connection per task
# (measured 20 ms vs 1 ms). Health checks make a connection dropped between tasks reconnect.
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)
DATABASES = {
    "default": dj_database_url.parse(
        # Unset or empty (DATABASE_URL= in a shell or an env file): the embedded SQLite file.
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'studio.sqlite3'}",
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked" when
    # a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend with a health check that needs no round trip on an idle connection.
    DATABASES["default"]["ENGINE"] = "studio.postgresql"
if DATABASES["default"]["ENGINE"] == "studio.postgresql" and env_bool("DATABASE_PREPARE", True):
    # Server-side binding, and a statement run 5 times on a connection is prepared: planning
    # was most of the server's CPU for the statements every event and run repeats (the run's
    # load: 0.97 ms planned each time, 0.10 ms prepared; docs/performance.md). Django leaves
    # both off for poolers in transaction mode (PgBouncer before 1.21 cannot carry prepared
    # statements): DATABASE_PREPARE=0 behind one. Options given in DATABASE_URL win.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("server_side_binding", True)
    options.setdefault("prepare_threshold", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Requests larger than this are refused with 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "studio@localhost")

# --- Outbound calls -----------------------------------------------------------------------
# Hosts (names or addresses) that api_call may reach even though they resolve to loopback,
# private or link-local addresses. Empty by default: such targets are refused.
OUTBOUND_ALLOWED_HOSTS = env_list("OUTBOUND_ALLOWED_HOSTS")
# Seconds before the first retry of an api_call (doubling after each try, at most 10 s), and
# the wall-time budget of all its tries, which must stay below the task timeout.
FLOW_HTTP_BACKOFF_SECONDS = float(env_str("FLOW_HTTP_BACKOFF_SECONDS", "0.5"))
FLOW_HTTP_MAX_TOTAL_SECONDS = env_int("FLOW_HTTP_MAX_TOTAL_SECONDS", 60)

# --- Flow runs ----------------------------------------------------------------------------
# Nodes one execution of a run may walk before it is failed: stops loops with no waiting node.
FLOW_MAX_STEPS = env_int("FLOW_MAX_STEPS", 200)
# A claimed run belongs to its worker for this long after each step; past it, a re-delivered
# task or the sweeper takes the run over (the worker is presumed dead). Keep it above the
# longest node (an api_call's FLOW_HTTP_MAX_TOTAL_SECONDS).
FLOW_RUN_LEASE_SECONDS = env_int("FLOW_RUN_LEASE_SECONDS", 300)
# A run taken from a worker past its lease this many times in a row (without recording a step
# in between) fails with an error saying so instead of being redone forever.
FLOW_RUN_MAX_TAKEOVERS = env_int("FLOW_RUN_MAX_TAKEOVERS", 3)
# A worker whose run lost its database connection reconnects for this long, then goes on
# from the run's last checkpoint (past it, the task fails and the sweeper retries the run).
FLOW_DB_RECONNECT_SECONDS = env_int("FLOW_DB_RECONNECT_SECONDS", 60)
# The sweeper re-enqueues runs left `queued` this long (their task was lost).
FLOW_RUN_REQUEUE_AFTER_SECONDS = env_int("FLOW_RUN_REQUEUE_AFTER_SECONDS", 60)

# --- Anonymous chat and flow starts ------------------------------------------------------
# Per minute; 0 turns a limit off. Counted in the default cache (studio/ratelimit.py): the
# local-memory cache of each web process, or Redis when REDIS_URL is set.
CHAT_STARTS_PER_MINUTE = env_int("CHAT_STARTS_PER_MINUTE", 10)  # new chats per address
CHAT_MESSAGES_PER_MINUTE = env_int("CHAT_MESSAGES_PER_MINUTE", 60)  # customer messages per address
CHAT_MESSAGES_PER_CONVERSATION_PER_MINUTE = env_int("CHAT_MESSAGES_PER_CONVERSATION_PER_MINUTE", 20)
FLOW_STARTS_PER_BOT_PER_MINUTE = env_int("FLOW_STARTS_PER_BOT_PER_MINUTE", 600)  # conversation flows

# --- Task queue ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "studio"),
    "workers": env_int("Q_WORKERS", os.cpu_count() or 2),
    # A task is killed after `timeout` seconds and handed out again after `retry` seconds
    # without acknowledgement; timeout < retry so a slow task is never run twice at once.
    "timeout": env_int("Q_TIMEOUT", 120),
    "retry": env_int("Q_RETRY", 180),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 5),
    "queue_limit": 500,
    "bulk": env_int("Q_BULK", 10),
    "poll": float(env_str("Q_POLL", "0.1")),
    # -1: successful tasks are not stored. FlowRun rows are the record of what ran; storing
    # each success again cost the cluster 3x its throughput (docs/performance.md).
    # Failures are still stored.
    "save_limit": env_int("Q_SAVE_LIMIT", -1),
    # A recycled worker starts cold (database connection, TLS context for api_call, graph
    # cache: ~50 ms); at django-q2's default of 500 tasks that was ~0.1 ms per task. Memory is
    # bounded by max_rss instead (KiB; a worker past it is replaced after its task).
    "recycle": env_int("Q_RECYCLE", 5000),
    "max_rss": env_int("Q_MAX_RSS_KB", 512 * 1024),
    "catch_up": False,
    "ack_failures": True,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # One statement locks and returns a batch of ready tasks (studio/queue.py);
    # Q_BROKER_CLASS="" falls back to django-q2's own ORM broker.
    if broker_class := env_str("Q_BROKER_CLASS", "studio.queue.OrmBroker"):
        Q_CLUSTER["broker_class"] = broker_class

# The cache holds only rate-limit counters: shared through Redis when there is one.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "studio",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    # JSON only, through a parser that caps size and depth: no body can cause a 500.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("AUTH_THROTTLE_RATE", "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bot studio API",
    "DESCRIPTION": "Bots, flows, events, the inbox and flow runs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share values get one name each (a flow's trigger types, agent statuses).
    "ENUM_NAME_OVERRIDES": {
        "TriggerTypeEnum": "flows.models.Flow.Trigger",
        "AgentStatusEnum": "inbox.models.AgentProfile.Status",
    },
}

# --- Security (effective when DEBUG is off) -----------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# X-Forwarded-Proto is believed only when a trusted proxy that sets it (and strips it from
# clients) is in front: otherwise any client could claim its plain-HTTP request is HTTPS.
if env_bool("TRUSTED_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Scripts only from our own files; see studio/security.py.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request's full URL at INFO, query string (and any api_key in it) included.
    "loggers": {"django.db.backends": {"level": "INFO"}, "httpx": {"level": "WARNING"}},
}
