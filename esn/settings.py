"""Settings for the ESN, read once from the environment.

Defaults are safe for production: DEBUG is off, a SECRET_KEY is required when it is off,
cookies are secure. `make run` and `make test` set the development values through
`esn/embedded.py`; `.env.example` lists every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    "axes",
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
    "sso",
    "scim",
    # Optional two-step sign-in for password accounts (TOTP and recovery codes, django-otp).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "twofactor",
    # Community health in aggregate: roll-ups, small-number suppression, the measurement page.
    "analytics",
    "esn",
]

MIDDLEWARE = [
    # First: everything logged while serving a request carries its id (esn/logs.py).
    "esn.middleware.RequestIdMiddleware",
    # Second: counts every request, its time (all the middleware below included) and its
    # database queries for /metrics (esn/metrics.py; no query, no network).
    "esn.metrics.RequestMetricsMiddleware",
    "esn.middleware.HealthCheckMiddleware",
    # /metrics for Prometheus, like /healthz before host validation and the HTTPS redirect;
    # only with METRICS_TOKEN as a bearer token.
    "esn.metrics.MetricsEndpointMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "esn.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The page's language: the person's own, else the site default; a visitor's cookie or
    # browser (instead of django.middleware.locale.LocaleMiddleware).
    "esn.middleware.LanguageMiddleware",
    # request.user.is_verified(): whether this session passed the two-step code (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "esn.middleware.ViewerMiddleware",
    "esn.middleware.TimeZoneMiddleware",
    "esn.middleware.DemoNotFoundMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Re-checks single sign-on sessions with the identity provider (sso/middleware.py).
    "sso.middleware.ProviderRecheckMiddleware",
    "esn.middleware.ContentSecurityPolicyMiddleware",
    "esn.middleware.RateLimitMiddleware",
    "esn.middleware.LoginRequiredMiddleware",
    # Sends administrators to two-step enrolment or the code when the site requires it.
    "twofactor.middleware.TwoStepPolicyMiddleware",
    "esn.middleware.LastSeenMiddleware",
    # Active people per day and segment, as Redis HyperLogLogs (issue 15; never fails a request).
    "analytics.middleware.VisitMiddleware",
    # Turns a sign-in lock into people.views.sign_in_locked's page (AXES_LOCKOUT_CALLABLE).
    "axes.middleware.AxesMiddleware",
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
                # LANGUAGES (each named in itself) and LANGUAGE_CODE, the page's language.
                "django.template.context_processors.i18n",
                "esn.context_processors.site",
                "digests.context_processors.inbox",
            ],
            # {% partialdef %} in every template, as django-template-partials did before 24.x.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# Django's form renderer with the common widgets written out in Python (esn/form_renderer.py).
FORM_RENDERER = "esn.form_renderer.FastWidgetRenderer"

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
# DATABASE_URL points at PgBouncer in transaction mode (docker-compose.yml): a server connection
# is ours for one transaction only, so no cursor may outlive one (Django's server-side cursors
# for .iterator() do, outside a transaction). Nothing else here relies on the session: the one
# long lock is transaction-scoped (analytics.rollup), and PgBouncer keeps each client's time
# zone. Migrations and backups connect to PostgreSQL directly (compose's migrate service,
# BACKUP_DATABASE_URL).
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_TRANSACTION_POOLING
# An optional streaming replica, for the read-only pages that tolerate a few seconds of lag
# (esn/db.py lists them); never for anything a person has just written.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_TRANSACTION_POOLING
    # Tests read the replica's pages from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["esn.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # First: django-axes refuses a locked account+address before any password is checked.
    "people.backends.SignInLockBackend",
    # Before the password backend: it refuses employees' passwords when SSO_ONLY_FOR_EMPLOYEES.
    "sso.backends.EmployeePasswordGuard",
    "people.backends.AccountBackend",
    "sso.backends.ProviderBackend",
]
LOGIN_URL = "login"

# Sign-in lock (django-axes): after SIGN_IN_FAILURE_LIMIT failures on one account from one
# address, that account is refused from that address for SIGN_IN_COOLOFF_MINUTES after the
# last failure. Per account AND address: behind a proxy everyone shares an address, and an
# attacker elsewhere cannot lock someone out of their own desk. The account is the one the
# typed name resolves to (people.backends.sign_in_key); a password reset lifts the lock.
SIGN_IN_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
SIGN_IN_COOLOFF_MINUTES = env_int("SIGN_IN_COOLOFF_MINUTES", 30)
# Proxies in front of the site that append to X-Forwarded-For (one for the documented TLS
# proxy). 0: the connecting address is the client's. See esn.ratelimit.client_address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# ...and only when the request arrives from one of these addresses or networks: the TLS proxy's,
# the same list gunicorn believes X-Forwarded-Proto from (gunicorn.conf.py). Anyone reaching the
# app server directly cannot claim another address.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "people.backends.sign_in_key"
AXES_WHITELIST_CALLABLE = "people.backends.not_a_password_attempt"
AXES_CLIENT_IP_CALLABLE = "esn.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "people.views.sign_in_locked"
# A locked-out attempt does not push the end of the lock further: the wait shown stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Successful sign-ins are not logged by axes (last_login says enough).
AXES_DISABLE_ACCESS_LOG = True
# Two-step sign-in (twofactor/): the name authenticator apps show next to the codes. A wrong
# code makes the next try wait 1, 2, 4... seconds (django-otp's throttle), and counts as a
# failed sign-in for the account and address (django-axes, above).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "ESN")
# How long the code step waits for the code after a correct password.
TWO_STEP_PENDING_SECONDS = env_int("TWO_STEP_PENDING_SECONDS", 600)

# Request limits (esn.middleware.RateLimitMiddleware), counted in the cache: set
# CACHE_USE_REDIS=1 with several web processes so they count together.
RATE_LIMIT_REQUESTS_PER_MINUTE = env_int("RATE_LIMIT_REQUESTS_PER_MINUTE", 200)
RATE_LIMIT_PASSWORD_RESETS_PER_HOUR = env_int("RATE_LIMIT_PASSWORD_RESETS_PER_HOUR", 2)
RATE_LIMIT_RESET_EMAILS_PER_ACCOUNT_PER_DAY = env_int(
    "RATE_LIMIT_RESET_EMAILS_PER_ACCOUNT_PER_DAY", 3
)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (sso/). Off unless OIDC_ISSUER is set: the site then
# works with local accounts only. Discovery (<issuer>/.well-known/openid-configuration) is
# fetched at the first sign-in, not here, so a provider outage never stops the site starting.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_secret("OIDC_CLIENT_SECRET")
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your organisation")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# How often a signed-in SSO session is re-checked with the provider (refresh token).
OIDC_RECHECK_SECONDS = env_int("OIDC_RECHECK_SECONDS", 15 * 60)
# Claims read into the profile; each a comma-separated list, the first present one wins.
OIDC_CLAIM_NAME = env_list("OIDC_CLAIM_NAME", ["name"])
OIDC_CLAIM_GIVEN_NAME = env_list("OIDC_CLAIM_GIVEN_NAME", ["given_name"])
OIDC_CLAIM_FAMILY_NAME = env_list("OIDC_CLAIM_FAMILY_NAME", ["family_name"])
OIDC_CLAIM_EMAIL = env_list("OIDC_CLAIM_EMAIL", ["email"])
OIDC_CLAIM_DEPARTMENT = env_list("OIDC_CLAIM_DEPARTMENT", ["department"])
OIDC_CLAIM_LOCATION = env_list("OIDC_CLAIM_LOCATION", ["location", "locality"])
OIDC_CLAIM_TITLE = env_list("OIDC_CLAIM_TITLE", ["job_title"])
# Provisioning (scim/): the bearer token a SCIM client (Entra ID, Okta) presents at /scim/v2/.
# More tokens can be issued in admin; empty and none issued, every SCIM request gets 401.
SCIM_BEARER_TOKEN = env_secret("SCIM_BEARER_TOKEN")
# Employees sign in only through the provider; guests (and superusers, the way in when the
# provider is down) keep their passwords.
SSO_ONLY_FOR_EMPLOYEES = env_bool("SSO_ONLY_FOR_EMPLOYEES", False)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages people can choose (people.User.language); the site's default is data
# (people.LanguageSettings), English until an admin changes it.
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# The language a visitor picks on the sign-in page (Django's set_language view); once signed
# in, their own setting (people.User.language) decides.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Media are never served from a public URL: post images go through a view that applies
# the visibility policy (posts.views.post_image).
MEDIA_URL = "/media/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Media on an S3-compatible object store (esn/storage.py) when MEDIA_S3_BUCKET is set: what
# several web machines need to share uploads. The bucket stays private: images are served
# after the access check as redirects to URLs signed for MEDIA_SIGNED_URL_SECONDS.
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 60)
# The address browsers reach the store at, when it differs from the one the app uses
# (compose: the app talks to http://minio:9000, browsers to https://media.localhost).
MEDIA_S3_PUBLIC_ENDPOINT_URL = env_str("MEDIA_S3_PUBLIC_ENDPOINT_URL").rstrip("/")
if MEDIA_S3_BUCKET:
    _media_endpoint = env_str("MEDIA_S3_ENDPOINT_URL") or None
    STORAGES["default"] = {
        "BACKEND": "esn.storage.MediaStorage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": _media_endpoint,
            "public_endpoint_url": MEDIA_S3_PUBLIC_ENDPOINT_URL,
            "region_name": env_str("MEDIA_S3_REGION") or None,
            # Empty: boto3's own chain (instance role, AWS_* variables, ~/.aws).
            "access_key": env_secret("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_secret("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("MEDIA_S3_PREFIX"),
            # Most self-hosted stores (MinIO, Ceph) want bucket names in the path; AWS takes
            # either.
            "addressing_style": env_str("MEDIA_S3_ADDRESSING_STYLE")
            or ("path" if _media_endpoint else None),
            "signature_version": "s3v4",
            "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
            # Never replace a stored file in place: a new avatar gets a new name and the old
            # one is deleted after the change commits, as on disk.
            "file_overwrite": False,
            # Objects get the bucket's own ACL (private); no public-read is ever asked for.
            "default_acl": None,
        },
    }


# Where images may come from in the page's Content-Security-Policy: the signed redirects lead
# to the store's public address (AWS itself when no endpoint is set).
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_media_address = MEDIA_S3_PUBLIC_ENDPOINT_URL or env_str("MEDIA_S3_ENDPOINT_URL")
MEDIA_ORIGINS = (
    [_origin(_media_address) if _media_address else "https://*.amazonaws.com"]
    if MEDIA_S3_BUCKET
    else []
)

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
            # Django's, with one Redis client per pool instead of one per operation, and a
            # Redis error taken as a cache miss (esn/cache.py: the site works while it is away).
            "BACKEND": "esn.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "esn",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL and env_bool("CACHE_USE_REDIS", False)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions: with one cache for every process (CACHE_USE_REDIS), a request reads its session
# from the cache instead of the database, which stays the record (written through, read when
# the cache misses or fails). With a cache per process a session ended in one process could
# live on in another's copy, so then the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)

# Celery. Reliability settings follow shared/RELIABILITY.md.
CELERY_BROKER_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# The worker and beat log through LOGGING (JSON lines in production, esn/logs.py) instead of
# replacing the root logger's handlers with Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
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
    # Community health: yesterday's figures (and the week before, recomputed), at night.
    "roll-up-analytics": {
        "task": "analytics.tasks.roll_up_recent",
        "schedule": crontab(hour=2, minute=40),
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
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
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

# One JSON object per line with the request's id (esn/logs.py) unless LOG_FORMAT=text; text
# by default while developing.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "esn.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "esn.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s %(request_id)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
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
# exceed CELERY_TASK_TIME_LIMIT so a slow but living chunk is never doubled. 100 people a
# chunk share the candidates query's read of their sources' posts (bench/README.md, issue 16).
DIGEST_CHUNK_SIZE = env_int("DIGEST_CHUNK_SIZE", 100)
DIGEST_CLAIM_LEASE_SECONDS = env_int("DIGEST_CLAIM_LEASE_SECONDS", 600)
CSRF_FAILURE_VIEW = "esn.views.csrf_failure"

# --- Observability (esn/metrics.py, esn/errors.py; README "Observability") ---
# /metrics answers Prometheus only with this bearer token (or METRICS_TOKEN_FILE); while it is
# empty /metrics is a 404. Under gunicorn with several workers, also set the environment
# variable PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself, not here).
METRICS_TOKEN = env_secret("METRICS_TOKEN")
# Error tracking with Sentry (or a Sentry-compatible service such as GlitchTip): off unless
# SENTRY_DSN (or SENTRY_DSN_FILE) is set. No cookies, Authorization headers, request bodies or
# local variables are sent (esn.errors.scrub_event), nor who the user is.
SENTRY_DSN = env_secret("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT")
SENTRY_RELEASE = env_str("SENTRY_RELEASE")
# Share of requests and tasks traced for performance (0 to 1); 0, the default, sends errors only.
try:
    SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE") or 0)
except ValueError:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1") from None
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1")
if SENTRY_DSN:
    # Here, so web processes, Celery workers and management commands all report.
    from esn.errors import init_error_tracking

    init_error_tracking(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
