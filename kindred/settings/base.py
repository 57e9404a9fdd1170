"""Kindred settings, read from the environment.

KINDRED_DATA_DIR   where the SQLite file, the generated secret key and collected static files live (./var)
DATABASE_URL       e.g. postgres://user@127.0.0.1:5432/kindred; default: SQLite in the data dir
SECRET_KEY         when unset, generated once and kept in the data dir
ALLOWED_HOSTS      comma-separated
REDIS_URL          optional: cache, the background task queue and the channel layer (live delivery, several workers)
KINDRED_REQUEST_THREADS  threads per server process that run requests (4)
KINDRED_DB_POOL_MIN_SIZE / _MAX_SIZE / _TIMEOUT_SECONDS  PostgreSQL pool per process (1, request threads + 4, 30)
KINDRED_DB_PREPARE_THRESHOLD  runs of a statement on a PostgreSQL connection before it is kept prepared (5; off)
EMAIL_URL-ish      EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("KINDRED_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL so two processes starting together cannot write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "kindred.core",
    "kindred.accounts",
    "kindred.circles",
    "kindred.ties",
    "kindred.invitations",
    "kindred.wallet",
    "kindred.matching",
    "kindred.meetups",
    "kindred.deals",
    "kindred.notifications",
    "kindred.conversation",
    "kindred.health",
    "kindred.portability",
    "kindred.demo",
    "huey.contrib.djhuey",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last, as its docs ask: it turns lockouts raised by the backend into responses.
    "axes.middleware.AxesMiddleware",
]

# Threads a server process runs requests' sync code on (kindred/core/asgi.py); more requests at once wait.
# One of them runs Python at a time (the request baton, kindred/core/baton.py); the others are there to wait on
# the database: a PostgreSQL round trip, a SQLite write waiting for the lock. More threads than that cost CPU
# (each request on another thread's cold caches and connection). bench/request_threads.py, the circle home at
# 8 connections, median of three rounds: 2.51 ms of CPU a request with 1 thread, 2.58 with 4, 2.69 with 16.
REQUEST_THREADS = int(os.environ.get("KINDRED_REQUEST_THREADS", "4"))

ROOT_URLCONF = "kindred.urls"
ASGI_APPLICATION = "kindred.asgi.application"
WSGI_APPLICATION = "kindred.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


# PostgreSQL connections come from a pool per process (psycopg_pool, through Django's OPTIONS["pool"]): a request
# borrows one and gives it back when it finishes, so connections are kept (no connect per request) and bounded.
# (Under Django's own ASGI handler each request ran in a thread of its own, and persistent connections piled up
# one per thread until PostgreSQL refused clients; the pool bounds them whatever runs the requests.) A process
# holds at most DB_POOL_MAX_SIZE: by default one per request thread plus a few for the WebSocket consumers'
# thread and the in-process background worker's threads, so a request never waits for a connection that
# another thread of its own process holds idle. A request that finds them all busy waits up to
# DB_POOL_TIMEOUT_SECONDS for one.
DB_POOL_MIN_SIZE = int(os.environ.get("KINDRED_DB_POOL_MIN_SIZE", "1"))
DB_POOL_MAX_SIZE = int(os.environ.get("KINDRED_DB_POOL_MAX_SIZE", str(REQUEST_THREADS + 4)))
DB_POOL_TIMEOUT_SECONDS = float(os.environ.get("KINDRED_DB_POOL_TIMEOUT_SECONDS", "30"))
# After this many runs of a statement on a connection, PostgreSQL keeps it prepared (psycopg's default; Django
# turns it off for the sake of connection poolers in transaction mode). "off": never.
_prepare = os.environ.get("KINDRED_DB_PREPARE_THRESHOLD", "5")
DB_PREPARE_THRESHOLD = None if _prepare == "off" else int(_prepare)


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        # conn_max_age=0: Django's own persistence off (the pool keeps the connections; the two do not mix).
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("OPTIONS", {})
            config["OPTIONS"]["pool"] = {
                "min_size": DB_POOL_MIN_SIZE,
                "max_size": max(DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE),
                "timeout": DB_POOL_TIMEOUT_SECONDS,
                "max_idle": 300,
            }
            # Parameters bound by the server (psycopg's Cursor, not Django's default ClientCursor): a statement a
            # connection runs again is prepared after psycopg's prepare_threshold (5) runs, so neither Python nor
            # PostgreSQL formats, parses and plans it each time. The API's grab on one scratch server, alternating
            # (bench/envelopes_http.py's load, 3 × 4 s each, other work running): server binding 2.26 -> 2.01 ms of
            # server CPU a grab with 4 request threads, 2.19 -> 1.96 with 8; prepared on top, 2.13 -> 2.06. In
            # process: 0.035 ms less of Python and 0.04 ms less of PostgreSQL a grab. (A pgbouncer in transaction
            # mode does not keep prepared statements: KINDRED_DB_PREPARE_THRESHOLD=off behind one.)
            config["OPTIONS"]["server_side_binding"] = True
            config["OPTIONS"]["prepare_threshold"] = DB_PREPARE_THRESHOLD
            test_name = os.environ.get("KINDRED_TEST_DB_NAME")
            if test_name:
                config["TEST"] = {"NAME": test_name}
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "kindred.sqlite3",
        # Kept open by the long-lived request threads (kindred/core/asgi.py): opening one costs ~1.6 ms of CPU.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # Writers take the lock at BEGIN, so they queue on the busy timeout instead of failing
            # with "database is locked" when they upgrade a read transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kindred",
        }
    }
else:
    # One process (several need REDIS_URL). Room for every rendered card, message and page of a large circle:
    # Django's default of 300 entries would drop kept pages long before they are stale.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# The background engine (kindred/core/tasks.py): Huey on a SQLite file of its own in the data dir, with no
# other server, by default; on Redis when REDIS_URL is set. `kindred serve` runs a consumer in-process
# (threads, periodic tasks on); `kindred worker` runs one apart. No task results are kept: every task writes
# what it did to the database.
HUEY: dict[str, Any] = {
    "name": "kindred",
    "immediate": False,
    "results": False,
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update(huey_class="huey.PriorityRedisHuey", url=REDIS_URL)
else:
    HUEY.update(huey_class="huey.SqliteHuey", filename=str(DATA_DIR / "tasks.sqlite3"))


# Live delivery of the circle's conversation (Django Channels, kindred/conversation/live.py). Without Redis the
# layer lives in memory: one process sees every socket, so `kindred serve` refuses --workers > 1 then. With
# REDIS_URL, the Pub/Sub layer: a message is one PUBLISH per circle whatever the number of sockets, each worker
# holds one subscription per circle and fans out in-process. It keeps nothing (at most once, no buffers in
# Redis): the database is the truth and every consumer fills a gap from it, so a lost push costs a query.
# The prefix names the database, so two installations (or test servers) sharing one Redis never mix circles.
def _channel_prefix() -> str:
    db = DATABASES["default"]
    ident = f"{db.get('HOST', '')}:{db.get('PORT', '')}/{db['NAME']}/{db.get('TEST', {}).get('NAME', '')}"
    return "kindred." + hashlib.sha256(ident.encode()).hexdigest()[:12] + "."


# The conversation page connects its live stream over WebSockets (kindred/asgi.py); off, it polls the API.
KINDRED_WEBSOCKETS = True
CHANNEL_LAYERS: dict[str, Any]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _channel_prefix()},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "kindred.conversation.live.LocalChannelLayer",
            "CONFIG": {"capacity": 1000, "group_expiry": 10 * 365 * 86400},
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the session's user read in one statement. Sessions signed in through Django's own
    # path before it (it is written into each session) sign in again once.
    "kindred.accounts.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "circles:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes, database handler: the counts live in the database, so they hold
# across every worker process). Per account and per IP, each on its own: the 101st failed attempt
# on one account within an hour is refused.
LOGIN_FAILURE_LIMIT = int(os.environ.get("KINDRED_LOGIN_FAILURE_LIMIT", "100"))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "kindred.accounts.throttle.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kindred <noreply@localhost>")
SITE_URL = os.environ.get("KINDRED_SITE_URL", "http://localhost:8000").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
# Sessions are read through the cache (the database stays the record: every write goes to both, a miss reads
# the row): a signed-in page skips one query. Only the session store writes sessions (sign-in, sign-out,
# password change all go through it, in the serving process), and the cache is shared by every serving process
# (one process on the in-memory cache; several need REDIS_URL, which is the cache too), so a cached session is
# never one the database no longer has. Whether the user may still be signed in (inactive, deleted, a changed
# password) is checked against the user's row on every request, as before.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the cookie-free meta tag; keep Django's default.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 20

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
