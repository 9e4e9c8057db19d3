"""Ronghe settings. Every value comes from the environment (see README's table), read here and only
here, once, through the typed helpers of config/env.py: a value that is not of its type or range stops
start-up with the variable's name. Apps read ``django.conf.settings``, never the environment.

With no variables set the project runs on the embedded default: SQLite, local media
files, a file-based cache and a Celery broker on the local filesystem, all under
``RONGHE_VAR_DIR``. ``DATABASE_URL``, ``REDIS_URL`` and ``S3_BUCKET`` switch to
PostgreSQL, Redis and S3-compatible storage; ``DJANGO_ENV=production`` turns on the
deployment hardening that ``manage.py check --deploy`` asks for.
"""

import re
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_address_ports,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    fernet_keys_problem,
    secret_key_problem,
)
from console import redis_roles
from observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RONGHE_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ValueError(f"DJANGO_ENV must be development, production or test, got {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION and DJANGO_ENV != "test")

_DEV_SECRET_KEY = "ronghe-embedded-development-key-not-for-production-use-0123456789"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if not SECRET_KEY:
    raise ValueError("DJANGO_SECRET_KEY is required when DJANGO_ENV=production")
# Outside production the development key is allowed, and `check --deploy` flags it (console/checks.py).
USING_DEVELOPMENT_SECRET_KEY = SECRET_KEY == _DEV_SECRET_KEY
if PRODUCTION and USING_DEVELOPMENT_SECRET_KEY:
    raise ValueError("DJANGO_SECRET_KEY is the published development key; generate your own (see README)")
if PRODUCTION and (_problem := secret_key_problem(SECRET_KEY)):
    raise ValueError(f"DJANGO_SECRET_KEY {_problem} when DJANGO_ENV=production")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Encrypts API SecretKeys at rest. The embedded default derives one from SECRET_KEY
# so a fresh machine works; production sets its own (a Fernet key, see README).
CREDENTIAL_ENCRYPTION_KEY = env_str("CREDENTIAL_ENCRYPTION_KEY", "")
if PRODUCTION and not CREDENTIAL_ENCRYPTION_KEY:
    raise ValueError("CREDENTIAL_ENCRYPTION_KEY is required when DJANGO_ENV=production")
if CREDENTIAL_ENCRYPTION_KEY and (_problem := fernet_keys_problem(CREDENTIAL_ENCRYPTION_KEY)):
    raise ValueError(f"CREDENTIAL_ENCRYPTION_KEY: {_problem}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "observability",
    # Two-step verification (console/mfa.py): TOTP devices and the recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "console",
    "selfservice",
    "campaigns",
    "materials",
    "fusion",
    "video",
    "api",
    "billing",
    # The project package itself, for the commands that span the apps (seed_demo).
    "config",
]

MIDDLEWARE = [
    # First, so every other middleware's log lines carry the request's context too.
    "observability.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "console.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "console.middleware.MemberMiddleware",
    "console.middleware.MfaMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "console.context_processors.console_shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
                                         conn_health_checks=True)
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "ronghe.sqlite3"),
            # The web process and the Celery worker share the file: wait for locks,
            # and take the write lock at BEGIN so two writers never deadlock.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            "CONN_MAX_AGE": 600,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker, results -------------------------------------------------------------
# Redis by role, each on its own database, every key prefixed (console/redis_roles.py, README).
REDIS_URL = env_str("REDIS_URL", "")
# Under pytest-xdist each test worker gets a key space of its own (and so its own queues): xdist sets
# PYTEST_XDIST_WORKER before the settings are imported, and the workers tests start inherit it.
REDIS_KEY_PREFIX = redis_roles.key_prefix(
    env_str("REDIS_KEY_PREFIX", "") or env_str("CACHE_KEY_PREFIX", "ronghe"),
    test_worker=env_str("PYTEST_XDIST_WORKER", "") if DJANGO_ENV == "test" else "")
REDIS_ROLE_URLS = redis_roles.role_urls(REDIS_URL, {role: env_str(variable, "")
                                                    for role, variable in redis_roles.ROLE_URL_VARIABLES.items()})
# How long the API's rate limiter fails open (per process, in memory) while Redis is unreachable.
RATE_LIMIT_FAIL_OPEN_SECONDS = env_int("RATE_LIMIT_FAIL_OPEN_SECONDS", 60, minimum=0)
# How often beat runs the sweepers (reviews, stuck jobs, settlement): bounds catching up after an outage.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
if REDIS_URL:
    CACHES = {alias: {"BACKEND": "console.redis_roles.PrefixedRedisCache", "LOCATION": REDIS_ROLE_URLS[role],
                      "KEY_PREFIX": REDIS_KEY_PREFIX} for alias, role in (("default", "cache"), ("throttle", "limits"))}
    CELERY_BROKER_URL = REDIS_ROLE_URLS["broker"]
    CELERY_BROKER_TRANSPORT = "console.brokers:RedisTransport"  # survives broker restarts under load
    CELERY_RESULT_BACKEND = REDIS_ROLE_URLS["results"]
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:",
        # A task that is not acked within this window is redelivered: keep it above the
        # longest task, or a slow task runs twice while the first is still going.
        "visibility_timeout": CELERY_TASK_TIME_LIMIT * 3,
        # A broker host gone without closing the TCP connection is noticed in seconds.
        "socket_timeout": 10, "socket_connect_timeout": 2, "socket_keepalive": True, "health_check_interval": 5,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:"}
else:
    CACHES = {alias: {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": str(VAR_DIR / folder)} for alias, folder in (("default", "cache"),
                                                                               ("throttle", "throttle"))}
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "results", "control", "wake"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "console.brokers:FilesystemTransport"
    CELERY_RESULT_BACKEND = f"file://{_celery_dir / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        # The exchange table: kombu's default is ./control, relative to each process's cwd,
        # so a worker started elsewhere would not see the web process's bindings.
        "control_folder": str(_celery_dir / "control"),
        # Publishers wake the consumers through FIFOs here instead of consumers polling the queue.
        "wake_folder": str(_celery_dir / "wake"),
        "store_processed": False,
        "visibility_timeout": CELERY_TASK_TIME_LIMIT * 3,
    }
VAR_DIR.mkdir(parents=True, exist_ok=True)  # beat's schedule lives here with any database
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# How long GET /healthz/ waits for a worker to answer its ping task.
HEALTHZ_WORKER_TIMEOUT = env_int("HEALTHZ_WORKER_TIMEOUT", 5)
# Bearer token of GET /healthz/ready/ (database, cache, storage, a worker per queue); unset: no readiness endpoint.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN", "")

# --- media ------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
S3_BUCKET = env_str("S3_BUCKET", "")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("S3_REGION", "us-east-1"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            # Presigned links with SigV4 (X-Amz-Expires): botocore otherwise presigns with the
            # deprecated SigV2 in us-east-1, which several S3-compatible stores refuse.
            "signature_version": env_str("S3_SIGNATURE_VERSION", "s3v4"),
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 3600),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL}}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_URL = "/static/"
# Where collectstatic writes and whitenoise serves from in production.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production whitenoise serves straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Uploads are sniffed and size-checked by the apps; this only caps a whole request body.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 16 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- auth, i18n ----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "test":
    # Production-strength hashing would dominate the suite's time (every fixture makes ten logins).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:overview"
LOGOUT_REDIRECT_URL = "console:login"
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
# Failures from devices and addresses that never signed in to a login, per login and window,
# before it refuses new sources (its known ones still get in): console/login_throttle.py.
LOGIN_NEW_SOURCE_FAILURE_LIMIT = env_int("LOGIN_NEW_SOURCE_FAILURE_LIMIT", 20)
LOGIN_KNOWN_SOURCE_DAYS = env_int("LOGIN_KNOWN_SOURCE_DAYS", 90)
# Two-step verification (console/mfa.py): the name authenticator apps show beside the login.
OTP_TOTP_ISSUER = env_str("MFA_ISSUER", "Ronghe")
# Wrong codes are throttled by the sign-in lockout (console/login_throttle.py), per login and source;
# django-otp's own per-device delay would also refuse the right code typed just after a wrong one.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# The operators' read-only Django admin (console/admin.py), mounted at this path by config/urls.py.
# Off in production until set, so its address is the deployment's own choice, not a guessable one.
ADMIN_PATH = env_str("ADMIN_PATH", "" if PRODUCTION else "django-admin/").strip().strip("/")
if ADMIN_PATH and (not re.fullmatch(r"[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*", ADMIN_PATH)
                   or any(not part.strip(".") for part in ADMIN_PATH.split("/"))):
    raise ValueError(f"ADMIN_PATH must be a URL path of letters, digits and . _ ~ - (like ops-7f3k/admin), "
                     f"got {ADMIN_PATH!r}")
ADMIN_PATH = f"{ADMIN_PATH}/" if ADMIN_PATH else ""

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
# Beat's schedule (month start at 00:05 on the 1st...) follows the console's time zone.
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

# --- mail ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ronghe <noreply@ronghe.local>")

# --- security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancer probes and Prometheus reach each web node directly, in plain HTTP on the private
    # network (deploy/README.md): health and metrics answer them instead of redirecting to HTTPS.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Reverse proxies in front of the app that append to X-Forwarded-For (console/client.py); 0 trusts none.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

# Content-Security-Policy (django-csp) on every page: scripts, styles and everything else from this
# origin only; no inline script, no inline style, no eval (static/js/console.js applies the few
# computed positions and widths through the CSSOM). Images may also come from the media store.
def _media_origins() -> list[str]:
    from urllib.parse import urlsplit

    if not S3_BUCKET:
        return []
    endpoint = env_str("S3_ENDPOINT_URL")
    if not endpoint:
        return ["https://*.amazonaws.com"]
    parts = urlsplit(endpoint)
    if env_str("S3_ADDRESSING_STYLE", "path") == "virtual":
        return [f"{parts.scheme}://{S3_BUCKET}.{parts.netloc}"]
    return [f"{parts.scheme}://{parts.netloc}"]


CSP_MEDIA_ORIGINS = env_list("CSP_MEDIA_ORIGINS", _media_origins())
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", *CSP_MEDIA_ORIGINS],
        # Video materials and results play from the same store as images.
        "media-src": ["'self'", *CSP_MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- product ------------------------------------------------------------------------------
# The overview page's cards, in order: each app contributes its own (console/overview.py).
CONSOLE_OVERVIEW_FIGURES = [
    "campaigns.figures.overview_figure",
    "materials.figures.overview_figure",
    "billing.figures.overview_figure",
]
# How each app's audit rows read: states and machine reasons in the reader's language (console/audit.py).
CONSOLE_AUDIT_DESCRIBERS = [
    "campaigns.history.describe",
    "materials.history.describe",
    "billing.history.describe",
]
# The operators' one account list: columns each app adds to it (console/overview.py).
CONSOLE_OPERATOR_ACCOUNT_COLUMNS = [
    "materials.figures.operator_account_columns",
    "billing.figures.operator_account_columns",
]
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Stable id of this deployment, written into the AIGC implicit label (GB 45438-2025).
CONTENT_PROPAGATOR = env_str("CONTENT_PROPAGATOR", "Ronghe")
# Regions the API answers for in X-TC-Region (a client may also leave the header out): Tencent
# Cloud's public regions by default, so code written for the cloud keeps its region.
API_REGIONS = env_list("API_REGIONS", [
    "ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-hongkong",
    "ap-singapore", "ap-jakarta", "ap-bangkok", "ap-mumbai", "ap-seoul", "ap-tokyo", "na-ashburn",
    "na-siliconvalley", "na-toronto", "eu-frankfurt", "sa-saopaulo",
])

# Private addresses the API may fetch caller URLs from (exact IP:port pairs, e.g. an on-premises
# image server); every other private, loopback or link-local address stays refused (api/fetch.py).
API_FETCH_ALLOW = env_address_ports("API_FETCH_ALLOW")

# Self-service: verification links, invitations, and the sign-up / reset / resend rate limits.
SIGNUP_VERIFY_MAX_AGE = env_int("SIGNUP_VERIFY_MAX_AGE", 3 * 24 * 3600, minimum=60)
SIGNUP_INVITATION_DAYS = env_int("SIGNUP_INVITATION_DAYS", 7, minimum=1)
SELFSERVICE_RATE_WINDOW = env_int("SELFSERVICE_RATE_WINDOW", 3600, minimum=1)
SELFSERVICE_RATE_PER_IP = env_int("SELFSERVICE_RATE_PER_IP", 20, minimum=1)
SELFSERVICE_RATE_PER_EMAIL = env_int("SELFSERVICE_RATE_PER_EMAIL", 3, minimum=1)

# Materials: free quota, proof uploads, the review sweeper, and the review's match thresholds.
MATERIAL_QUOTA_BASE = env_int("MATERIAL_QUOTA_BASE", 10, minimum=0)
MATERIAL_PROOF_MAX_BYTES = env_int("MATERIAL_PROOF_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
MATERIAL_REVIEW_DEADLINE_SECONDS = env_int("MATERIAL_REVIEW_DEADLINE_SECONDS", 300, minimum=1)
# Embedding distance under which a face is the gallery person (dlib: same person < 0.6; measured
# same-person pairs 0.38–0.43, different people 0.70+).
REVIEW_FACE_MATCH_DISTANCE = env_float("REVIEW_FACE_MATCH_DISTANCE", 0.5, minimum=0.0)
REVIEW_PHASH_DISTANCE = env_int("REVIEW_PHASH_DISTANCE", 6, minimum=0)

# Threads each engine process uses (OpenCV's parallel loops). The fusion and video workers run one
# pool process per core, so more threads per process only fight over the same cores.
FUSION_ENGINE_THREADS = env_int("FUSION_ENGINE_THREADS", 1, minimum=1)

# Fusion jobs: how long the API and the test-effect page wait, and how long results are kept
# (signed result links live as long).
FUSION_JOB_DEADLINE_SECONDS = env_int("FUSION_JOB_DEADLINE_SECONDS", 20, minimum=1)
FUSION_CONSOLE_JOB_DEADLINE_SECONDS = env_int("FUSION_CONSOLE_JOB_DEADLINE_SECONDS", 60, minimum=1)
FUSION_RESULT_TTL_SECONDS = env_int("FUSION_RESULT_TTL_SECONDS", 7 * 24 * 3600, minimum=60)
# FuseFaceUltra's url results live a day, as on the cloud.
FUSION_ULTRA_RESULT_TTL_SECONDS = env_int("FUSION_ULTRA_RESULT_TTL_SECONDS", 24 * 3600, minimum=60)

# Video face fusion (README "Video face fusion"): the template upload's size limit (the cloud's own
# 20 s / 25 fps / 4K limits are fixed), how long a job may go without a sign of life from its
# worker before the sweeper hands it to another, how often, the frames per segment (the unit of
# parallel work and of resuming), the monthly free seconds, and who uploads to UserDesignatedUrl
# (composed here: the API's fetcher holds the SSRF rules, and the video app sits below the API).
VIDEO_MATERIAL_MAX_BYTES = env_int("VIDEO_MATERIAL_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
VIDEO_JOB_STALL_SECONDS = env_int("VIDEO_JOB_STALL_SECONDS", 60, minimum=5)
VIDEO_JOB_MAX_ATTEMPTS = env_int("VIDEO_JOB_MAX_ATTEMPTS", 3, minimum=1)
VIDEO_SEGMENT_FRAMES = env_int("VIDEO_SEGMENT_FRAMES", 50, minimum=5)
FREE_PACK_VIDEO_SECONDS = env_int("FREE_PACK_VIDEO_SECONDS", 300, minimum=0)
VIDEO_RESULT_UPLOADER = "api.fetch.presigned_put"

# The API: the largest request body (FuseFaceUltra's 10 MB base64 template, six 5 MB base64 photos,
# a logo and the JSON around them).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 48 * 1024 * 1024, minimum=1024)

# Billing: the default FuseFace QPS, the monthly free pack, bill due days, the settlement sweeper.
FUSEFACE_DEFAULT_QPS = env_int("FUSEFACE_DEFAULT_QPS", 10, minimum=1)
# FuseFaceUltra's own limit before any of its QPS is bought (the cloud's is 2 per second).
FUSEFACEULTRA_DEFAULT_QPS = env_int("FUSEFACEULTRA_DEFAULT_QPS", 2, minimum=1)
FREE_PACK_CALLS = env_int("FREE_PACK_CALLS", 1000, minimum=0)
BILL_DUE_DAYS = env_int("BILL_DUE_DAYS", 15, minimum=0)
BILLING_SWEEP_AFTER_SECONDS = env_int("BILLING_SWEEP_AFTER_SECONDS", 30, minimum=0)

# Retention (README "Retention"): one hourly run (console.retention) of each app's steps, in order
# (results before the rows that name them). Results and console photos live their TTL above; a closed
# job's row (the call's operational log, with the caller's address for video) JOB_RETENTION_DAYS,
# six months as the Cybersecurity Law asks of network logs; a usage record no money moved on
# USAGE_RECORD_RETENTION_DAYS, ten years as the tax rules keep 涉税资料 (at least 400 days: past its
# month's bill, due date and invoice). Charged usage records, the ledger and audit events are kept.
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 180, minimum=1)
USAGE_RECORD_RETENTION_DAYS = env_int("USAGE_RECORD_RETENTION_DAYS", 3660, minimum=400)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, minimum=1)
RETENTION_STEPS = [
    "fusion.services.fusion_results_purge",
    "fusion.retention.fusion_orphan_results_delete",
    "fusion.retention.fusion_jobs_delete",
    "video.services.video_results_purge",
    "video.retention.video_segments_delete",
    "video.retention.video_orphan_results_delete",
    "video.retention.video_jobs_delete",
    "billing.retention.usage_records_delete",
]

# --- observability (README "Observability") -------------------------------------------------------
# Log lines as text, or as JSON objects (one a line) carrying RequestId, AppID, action and job id.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# Bearer token of GET /metrics (and of a worker's METRICS_WORKER_PORT); unset: no metrics endpoint.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# A Celery worker's own metrics endpoint (its pool processes' counters); 0: none.
METRICS_WORKER_PORT = env_int("METRICS_WORKER_PORT", 0, minimum=0)
# prometheus_client's multi-process mode: the folder every process of one service on one host writes its
# metrics to, created empty before the service starts (prometheus_client reads the variable itself, at
# import, before these settings; the endpoint reads it from here).
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
# The figures read at each scrape of /metrics, each app its own (observability/exposition.py).
METRICS_COLLECTORS = [
    "console.metrics.queue_metrics",
    "materials.metrics.review_metrics",
    "billing.metrics.usage_metrics",
]
# Errors to Sentry, images and secrets scrubbed (observability/sentry.py); unset: nothing is sent.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from observability.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", DJANGO_ENV),
                release=env_str("SENTRY_RELEASE", ""),
                traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0))
