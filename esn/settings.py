"""Settings for the ESN, read once from the environment.

Defaults are safe for production: DEBUG is off, a SECRET_KEY is required when it is off,
cookies are secure. `make run` and `make test` set the development values through
`esn/embedded.py`; `.env.example` lists every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return env_str(name)


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in production, "
            "or DEBUG=1 for local development (`make run` does this for you)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEMO_MODE = env_bool("DEMO_MODE", False)
# A guest whose sponsor leaves keeps access this many days, for someone else to sponsor them.
GUEST_SPONSOR_GRACE_DAYS = env_int("GUEST_SPONSOR_GRACE_DAYS", 14)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "taggit",
    "notifications",
    "people",
    "posts",
    "hashtags",
    "groups",
    "digests",
    "welcome",
    "esn",
]

MIDDLEWARE = [
    "esn.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "esn.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "esn.middleware.ViewerMiddleware",
    "esn.middleware.TimeZoneMiddleware",
    "esn.middleware.DemoNotFoundMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "esn.middleware.ContentSecurityPolicyMiddleware",
    "esn.middleware.LoginRequiredMiddleware",
    "esn.middleware.LastSeenMiddleware",
]

ROOT_URLCONF = "esn.urls"
WSGI_APPLICATION = "esn.wsgi.application"

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
                "esn.context_processors.site",
                "digests.context_processors.inbox",
            ],
            # {% partialdef %} in every template, as django-template-partials did before 24.x.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# PostgreSQL only. `make run` / `make test` point DATABASE_URL at the embedded server.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test` (they start an embedded "
        "PostgreSQL under var/), or set DATABASE_URL=postgres://user@host:5432/esn."
    )
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The ESN runs on PostgreSQL only: DATABASE_URL must be postgres://")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = ["people.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
# Every string is marked for translation, but no translation ships yet. Off, `{% translate %}`
# skips the per-string language lookup: ~3 ms on a 20-post feed page (bench/feed.py).
# Turn it on together with the first locale.
USE_I18N = env_bool("USE_I18N", False)
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Media are never served from a public URL: post images go through a view that applies
# the visibility policy (posts.views.post_image).
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: anything larger than this is streamed to a temporary file, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The request body may carry 4 images of the allowed size plus the form; bigger bodies
# are refused by Django before they reach our validation.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Cache: Redis when configured (shared by web processes), local memory otherwise.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "esn",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL and env_bool("CACHE_USE_REDIS", False)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery. Reliability settings follow shared/RELIABILITY.md.
CELERY_BROKER_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 900,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "plan-digests": {
        "task": "digests.tasks.plan_digests",
        "schedule": crontab(minute="*/5"),
    },
    "clear-expired-sessions": {
        "task": "esn.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "forget-old-sign-in-failures": {
        "task": "people.tasks.forget_old_sign_in_failures",
        "schedule": crontab(minute="*/30"),
    },
    # Mentions, replies and invitations still unread after the site's delay, by email.
    "send-unread-emails": {
        "task": "digests.tasks.send_unread_emails",
        "schedule": 60.0,
    },
    # Inbox events a worker was never told about (Redis down when they were recorded).
    "sweep-inbox-events": {
        "task": "digests.tasks.sweep_inbox_events",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# Email: console in development unless EMAIL_BACKEND / EMAIL_HOST says otherwise.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST") or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ESN <esn@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production defaults; DEBUG (development over plain http) relaxes the https ones.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Preloading HSTS commits the whole domain (and its subdomains) to HTTPS in browsers for good;
# that is the operator's decision (SECURE_HSTS_PRELOAD=1), not a missing setting.
SILENCED_SYSTEM_CHECKS = env_list(
    "SILENCED_SYSTEM_CHECKS", [] if SECURE_HSTS_PRELOAD else ["security.W021"]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Product limits, stated in error messages.
POST_MAX_LENGTH = env_int("POST_MAX_LENGTH", 5000)
COMMENT_MAX_LENGTH = env_int("COMMENT_MAX_LENGTH", 2000)
POST_MAX_IMAGES = 4
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_MAX_PIXELS = 40_000_000
HASHTAG_MAX_LENGTH = 64
MENTIONS_MAX_PER_POST = 50

TAGGIT_CASE_INSENSITIVE = True
DJANGO_NOTIFICATIONS_CONFIG = {"USE_JSONFIELD": True}
# The inbox uses the notifications app's model with real foreign keys to what a row is about.
NOTIFICATIONS_NOTIFICATION_MODEL = "digests.InboxItem"

# Digests (digests/planning.py). A chunk is a few seconds of work; a row left "sending" for
# longer than the lease belonged to a worker that died and is taken again. The lease must
# exceed CELERY_TASK_TIME_LIMIT so a slow but living chunk is never doubled.
DIGEST_CHUNK_SIZE = env_int("DIGEST_CHUNK_SIZE", 50)
DIGEST_CLAIM_LEASE_SECONDS = env_int("DIGEST_CLAIM_LEASE_SECONDS", 600)
CSRF_FAILURE_VIEW = "esn.views.csrf_failure"
