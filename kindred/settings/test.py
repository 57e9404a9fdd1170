"""Tests: fast password hashing, mail kept in memory, static files served from finders, tasks run at once."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run at once, in memory, when enqueued (after the commit, through core.tasks.enqueue_on_commit); the
# engine's own tests start a real consumer on the configured storage (a SQLite file, or Redis in CI).
HUEY = {**HUEY, "immediate": True}  # noqa: F405
# pytest-django's live_server speaks HTTP only (no WebSocket): the in-process browser tests see the
# conversation page fall back to polling. The WebSocket path is tested against a real `kindred serve`.
KINDRED_WEBSOCKETS = False
# Each pytest-xdist worker keeps its cache keys apart on a shared Redis: a test's start forgets every key
# of ours (kindred.core.fragments.forget_all), which must not empty the cache under the other worker's test.
CACHES = {
    **CACHES,  # noqa: F405
    "default": {
        **CACHES["default"],  # noqa: F405
        "KEY_PREFIX": f"kindred-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
    },
}
