"""Settings, read from the environment (see docs/configuration.md)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from mitmachen.env import (
    database_config,
    email_config,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent
_checkout = PACKAGE_DIR.parent.parent
# In a source checkout var/ sits next to pyproject.toml; an installed package uses the cwd.
BASE_DIR = _checkout if (_checkout / "pyproject.toml").exists() else Path.cwd()
VAR_DIR = Path(env_str("MITMACHEN_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("MITMACHEN_DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves its Swagger UI files itself instead of loading them from a CDN
    "django_tasks",
    "django_tasks_db",
    "mitmachen.core",
    "mitmachen.organisations",
    "mitmachen.people",
    "mitmachen.groups",
    "mitmachen.events",
    "mitmachen.messaging",
    "mitmachen.assemblies",
    "mitmachen.reports",
    "mitmachen.mentoring",
    "mitmachen.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session: the reporter's pages never see one.
    "mitmachen.core.middleware.ReporterPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mitmachen.core.language.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mitmachen.core.middleware.RequestLogMiddleware",
]

ROOT_URLCONF = "mitmachen.urls"
WSGI_APPLICATION = "mitmachen.wsgi.application"
ASGI_APPLICATION = "mitmachen.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mitmachen.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_config(env_str("DATABASE_URL"), VAR_DIR / "mitmachen.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["mitmachen.core.auth.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# A session ends after 8 hours of inactivity and when the browser closes: boards meet on shared
# computers in party offices.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
EVENT_REGISTRATION_LIMIT = env_int("MITMACHEN_EVENT_REGISTRATION_LIMIT", 30)  # per IP, 15 min

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# The reporting channel's shredding keys: outside the database and its backups (decision 0020).
REPORTS_KEY_DIR = Path(env_str("MITMACHEN_REPORTS_KEY_DIR", str(VAR_DIR / "report-keys")))
# Argon2id cost of officers' passphrases ("interactive", "moderate" or "sensitive").
REPORTS_ARGON2 = env_str("MITMACHEN_REPORTS_ARGON2", "moderate")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("MITMACHEN_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

globals().update(email_config(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mitmachen <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks and the cache: the database by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL else
    {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "mitmachen_cache"}
}
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Production hardening is on unless running in debug mode; MITMACHEN_HTTPS=false serves plain
# HTTP behind a proxy that terminates TLS elsewhere.
HTTPS = env_bool("MITMACHEN_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("MITMACHEN_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "mitmachen.core.logs.StructuredFormatter"}},
    "filters": {"secret_paths": {"()": "mitmachen.core.logs.SecretPathFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured",
                             "filters": ["secret_paths"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # runserver's request lines: through the filtered console, not logging's last resort.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

# Outbox (messaging): retries with backoff; a claim older than the lease counts as abandoned.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 6)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
OUTBOX_BATCH = env_int("OUTBOX_BATCH", 200)
MESSAGE_ID_DOMAIN = env_str("MESSAGE_ID_DOMAIN", "mitmachen.invalid")
SIGNAL_API_URL = env_str("SIGNAL_API_URL")  # signal-cli-rest-api, e.g. http://127.0.0.1:8080
SIGNAL_NUMBER = env_str("SIGNAL_NUMBER")
# WhatsApp Cloud API: with a phone number id and a token the worker sends WhatsApp messages;
# without them they are prepared for the organiser's phone.
WHATSAPP_API_URL = env_str("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID")
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN")
