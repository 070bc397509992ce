"""KetaCare settings: one module, driven by environment variables, SQLite by default.

Every variable read here is documented in README.md ("Configuration").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("KETACARE_DATA_DIR", PROJECT_DIR / "var")).resolve()


def env(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "")
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def _secret_key() -> str:
    """Use KETACARE_SECRET_KEY; otherwise keep a generated key in the data folder."""
    key = env("KETACARE_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("KETACARE_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("KETACARE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in env("KETACARE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "ketacare.core",
    "ketacare.accounts",
    "ketacare.patients",
    "ketacare.measures",
    "ketacare.safety",
    "ketacare.notify",
    "ketacare.intake",
    "ketacare.evaluations",
    "ketacare.plans",
    "ketacare.scheduling",
    "ketacare.treatments",
    "ketacare.api",
    "ketacare.fhir",
    "ketacare.demo",
    "ketacare.aftercare",
    "ketacare.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ketacare.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ketacare.accounts.middleware.IdleTimeoutMiddleware",
    "ketacare.accounts.middleware.ActiveClinicMiddleware",
    "ketacare.portal.middleware.PortalBoundaryMiddleware",
    "ketacare.accounts.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketacare.urls"
WSGI_APPLICATION = "ketacare.wsgi.application"
ASGI_APPLICATION = "ketacare.asgi.application"

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
                "ketacare.accounts.context_processors.clinic_context",
                "ketacare.safety.banner.risk_banner",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "ketacare.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Django's own backends with the audit log's commit-time append (ketacare/dbbackends/).
_OUR_ENGINES = {
    "django.db.backends.sqlite3": "ketacare.dbbackends.sqlite3",
    "django.db.backends.postgresql": "ketacare.dbbackends.postgresql",
}
if DATABASES["default"]["ENGINE"] not in _OUR_ENGINES:
    raise ImproperlyConfigured(
        f"DATABASE_URL: KetaCare runs on SQLite or PostgreSQL, not {DATABASES['default']['ENGINE']}"
    )
DATABASE_VENDOR = DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
DATABASES["default"]["ENGINE"] = _OUR_ENGINES[DATABASES["default"]["ENGINE"]]
if DATABASE_VENDOR == "sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 60  # one connection per worker thread, reused
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writing transaction takes the write lock when it starts, so two
        # requests never both read the audit chain head and then race to append.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests run on an in-memory database (Django's default for SQLite, named here because
    # pytest-django recognises SQLite by Django's engine name, not ours, under xdist).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    if str(DATABASES["default"]["NAME"]).startswith(str(DATA_DIR)):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATABASE_VENDOR == "postgresql" and not DATABASES["default"].get("NAME"):
    DATABASES["default"]["NAME"] = "ketacare"  # DATABASE_URL may name only the server
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and security ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

# Automatic log-off after this many idle minutes (clinical workstations are shared).
IDLE_TIMEOUT_MINUTES = env_int("KETACARE_IDLE_TIMEOUT_MINUTES", 15)
SESSION_COOKIE_AGE = 12 * 3600  # hard ceiling; the idle timeout usually ends a session first
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A stale form says so in words (and shows the crisis lines on patient pages): core.views.
CSRF_FAILURE_VIEW = "ketacare.core.views.csrf_failure"
HTTPS = env_bool("KETACARE_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("KETACARE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# django-axes: lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("KETACARE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("KETACARE_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

OTP_TOTP_ISSUER = "KetaCare"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("KETACARE_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders so a checkout works without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Logging: never the query string (it may name a patient) --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("KETACARE_LOG_LEVEL", "WARNING")},
    "loggers": {
        # django.request logs full URLs of failing requests; ours drop the query.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- API ------------------------------------------------------------------------------------
API_PAGE_SIZE_MAX = 100
FHIR_PAGE_SIZE_DEFAULT = 20
NINJA_PAGINATION_PER_PAGE = 25
# Behind a reverse proxy that sets X-Forwarded-For, record the client's address from it.
TRUST_X_FORWARDED_FOR = env_bool("KETACARE_TRUST_X_FORWARDED_FOR", False)

# --- Notifications, self-report links and background work (notify/, measures/) --------------
# Email goes through Django's mail framework; the console backend prints messages (a trial).
EMAIL_BACKEND = env("KETACARE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("KETACARE_DEFAULT_FROM_EMAIL", "KetaCare <no-reply@localhost>")
EMAIL_HOST = env("KETACARE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KETACARE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("KETACARE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("KETACARE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("KETACARE_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
# A class with send(to, body); the default logs each text message to the `ketacare.sms` logger.
KETACARE_SMS_BACKEND = env("KETACARE_SMS_BACKEND", "ketacare.notify.sms.ConsoleSmsBackend")
# How long a self-report link stays valid, and the address patients reach this server at.
KETACARE_SELF_REPORT_HOURS = env_int("KETACARE_SELF_REPORT_HOURS", 72)
KETACARE_BASE_URL = env("KETACARE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# `ketacare worker` runs the measurement schedule (due items, links, reminders) this often.
KETACARE_SCHEDULE_MINUTES = env_int("KETACARE_SCHEDULE_MINUTES", 15)
# The watch pass (unacknowledged alerts, risk-flag escalation) runs this often in the worker.
KETACARE_WATCH_SECONDS = env_int("KETACARE_WATCH_SECONDS", 30)
# Staff pages poll for new risk flags this often (the banner appears without a reload).
KETACARE_FLAG_POLL_SECONDS = env_int("KETACARE_FLAG_POLL_SECONDS", 15)
# How long a patient's safety-plan link (/sp/<token>/) stays valid.
KETACARE_SAFETY_PLAN_LINK_DAYS = env_int("KETACARE_SAFETY_PLAN_LINK_DAYS", 90)
# Background tasks live in the database (django-tasks): a restart loses nothing, and any
# number of `ketacare worker` processes share the queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# LOGGING above is inferred as dict[str, object]; its "loggers" entry is a plain dict.
LOGGING["loggers"]["ketacare.sms"] = {  # type: ignore[index]
    "handlers": ["console"],
    "level": "INFO",
    "propagate": False,
}

# --- Cache (rate limits) ----------------------------------------------------------------------
# Rate limits on public pages (consultation form, self-report links) need counters that every
# worker process shares: a file cache under the data folder on one machine; set
# KETACARE_CACHE_URL=redis://host:6379/0 when several machines serve the clinic.
CACHE_URL = env("KETACARE_CACHE_URL")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
# Accepted consultation requests per client address per hour (intake/spam.py).
KETACARE_CONSULTATION_RATE_LIMIT = env_int("KETACARE_CONSULTATION_RATE_LIMIT", 5)
