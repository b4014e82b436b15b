"""Settings for Cầu Nối, read from the environment.

The embedded default needs no environment at all: SQLite in ./var, the in-memory channel
layer, the database task queue and a secret key generated once into ./var. Production sets
CAUNOI_PRODUCTION=true and at least SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL;
see README.md for the whole list.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from redis.asyncio.retry import Retry as AsyncRedisRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as RedisRetry

from caunoi.config.env import env_bool, env_int, env_list, env_str, env_ws_origin, raw

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(env_str("CAUNOI_DATA_DIR", str(REPO_DIR / "var"))).resolve()

PRODUCTION = env_bool("CAUNOI_PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when CAUNOI_PRODUCTION=true.")


def _secret_key() -> str:
    configured = raw("SECRET_KEY")
    if configured:
        if PRODUCTION and len(configured) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production.")
        return configured
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production.")
    # The embedded default keeps one generated key in the data directory, so sessions and
    # tokens survive a restart of `make demo` without anybody having to configure anything.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # Written whole under a temporary name, then linked into place: two processes starting
        # together (the test workers, the server and its task worker) never read a half-written
        # key, and the second one keeps the first one's.
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
                f.write(secrets.token_urlsafe(64))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, key_file)
        finally:
            os.unlink(tmp)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "ninja",  # serves Swagger UI from our own static files (the CSP allows no CDN)
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "caunoi.core",
    "caunoi.audit",
    "caunoi.accounts",
    "caunoi.places",
    "caunoi.network",
    "caunoi.codes",
    "caunoi.triage",
    "caunoi.patients",
    "caunoi.protocols",
    "caunoi.consults",
    "caunoi.notifications",
    "caunoi.video",
    "caunoi.referrals",
    "caunoi.training",
    "caunoi.transfers",
    "caunoi.quality",
    "caunoi.programmes",
    "caunoi.fhir",
    "caunoi.monitoring",
    "caunoi.home",
    "caunoi.demo",  # last: it may import every app, and nothing imports it
]

MIDDLEWARE = [
    # First: a body over REQUEST_MAX_MB is refused before anything reads it.
    "caunoi.core.request_size.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compress 4-6x: what matters most on a 256 kbit/s link. Django's GZip middleware
    # pads its output against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "caunoi.accounts.middleware.TwoFactorMiddleware",
    # Every read of patient data through the access helpers: one audit row per request.
    "caunoi.patients.reads.PatientReadAuditMiddleware",
    "caunoi.accounts.middleware.UserLanguageMiddleware",
    # NUL characters and lone surrogates are refused before any view reads them.
    "caunoi.core.input_text.RefuseUnstorableTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Axes must come last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "caunoi.config.urls"
ASGI_APPLICATION = "caunoi.config.asgi.application"
WSGI_APPLICATION = "caunoi.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caunoi.notifications.views.unread_count",
                "caunoi.home.context.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'caunoi.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_sqlite)
_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL))
# Seconds a connection is kept for the next request of the same gunicorn thread. PostgreSQL
# spends 10-20 ms of CPU starting a backend, more than most pages take: keep it (checked before
# reuse, so a restarted server costs one reconnect). SQLite's "connection" is a file opened in
# microseconds. The ASGI server never keeps one (caunoi/config/asgi.py says why).
_db["CONN_MAX_AGE"] = env_int(
    "DB_CONN_MAX_AGE",
    60 if _db["ENGINE"] == "django.db.backends.postgresql" else 0,
    minimum=0,
)
_db["CONN_HEALTH_CHECKS"] = _db["CONN_MAX_AGE"] > 0
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the task worker writes; IMMEDIATE transactions take
    # the write lock up front, so two writers queue instead of failing with "database is
    # locked" half-way through a transaction.
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    # PostgreSQL compiles a query with LLVM once its estimated cost passes jit_above_cost: the
    # patient list's plan (estimated high, run in 20 ms) spent 350-550 ms compiling. Short
    # queries are what this platform runs, so JIT is off for its sessions. PgBouncer refuses
    # startup options: there, set it for the database (deploy/README.md).
    if not env_bool("PGBOUNCER", False):
        _db["OPTIONS"].setdefault("options", "-c jit=off")
    if env_bool("PGBOUNCER", False):
        # PgBouncer in transaction mode hands each transaction to any server connection: a
        # cursor (iterator()) or a prepared statement left on one is missing on the next.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
        _db["OPTIONS"]["prepare_threshold"] = None  # Django's default, said out loud
DATABASES = {"default": _db}
# Dashboards and exports read from a streaming replica when there is one (caunoi/core/db.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    _where = dj_database_url.parse(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {  # the primary's options; only where it is differs
        **_db,
        **{k: _where[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        # A standby that drops packets must not hold a dashboard for the system's TCP timeout.
        "OPTIONS": {"connect_timeout": 3, **_db["OPTIONS"]},
        "CONN_HEALTH_CHECKS": True,  # a standby restarted meanwhile: reconnect, not an error
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["caunoi.core.db.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) are a PostgreSQL optimisation; on SQLite the index still works
# without the extra columns, which is all the embedded default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Realtime, cache, tasks -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# Seconds a call to Redis may take to connect or answer, and a live push as a whole. Redis
# carries only extras (live updates, who is online): a write request must not hang on it.
# A command that finds its pooled connection closed (Redis restarted since) is tried once more
# on a new connection instead of failing.
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 2, minimum=1)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": REDIS_TIMEOUT,
                        # Longer than the layer's 5-second blocking receive, which would
                        # otherwise time out on a healthy but quiet server.
                        "socket_timeout": 5 + 2 * REDIS_TIMEOUT,
                        "retry": AsyncRedisRetry(NoBackoff(), 1, (RedisConnectionError,)),
                    }
                ],
                "prefix": env_str("REDIS_PREFIX", "caunoi"),
            },
        }
    }
    CACHES = {
        "default": {
            # Django's RedisCache, answering misses while Redis is unreachable (see the module).
            "BACKEND": "caunoi.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REDIS_PREFIX", "caunoi"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                "retry": RedisRetry(NoBackoff(), 1, (RedisConnectionError,)),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# The task worker (`caunoi worker`) writes a heartbeat row this often; /healthz fails when the
# newest is older than WORKER_HEARTBEAT_MAX_AGE seconds. A task still RUNNING whose worker has
# not beaten for TASK_LEASE_SECONDS is given to another worker (every task is safe to run
# twice: at-least-once).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60, minimum=1)
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 120, minimum=1)
if min(WORKER_HEARTBEAT_MAX_AGE, TASK_LEASE_SECONDS) < 2 * WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "WORKER_HEARTBEAT_SECONDS must be at most half of WORKER_HEARTBEAT_MAX_AGE and of "
        "TASK_LEASE_SECONDS, or a live worker would look dead."
    )
# Days the results of finished tasks are kept (the worker prunes older ones once a day).
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 14, minimum=1)

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "caunoi.accounts.backends.LoginThrottleBackend",
    "caunoi.network.backends.NetworkAdminBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Proxies in front of the application that append to X-Forwarded-For (nginx on the same host:
# 1). With 0 the connection's peer is the client and the header is ignored: a client cannot
# choose the address that its failed log-ins are counted against (caunoi/core/client_address.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "caunoi.core.client_address.client_address"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
# Locked out: this username from this address only. Locking a username everywhere would hand
# anyone who knows (or guesses) a username a switch to lock its owner out; a whole commune or
# hospital often shares one address, so the address alone is not locked either. Guessing one
# account's password from many addresses is slowed per username instead (LOGIN_THROTTLE_*).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "caunoi.accounts.views.locked_out"
# After this many failed log-ins for one username (from anywhere, counted in the cache for
# LOGIN_THROTTLE_WINDOW_MINUTES), each further attempt waits 1, 2, 4 … seconds, at most
# LOGIN_THROTTLE_MAX_SECONDS. A browser that signed in to the account before is not slowed.
LOGIN_THROTTLE_FREE_FAILURES = env_int("LOGIN_THROTTLE_FREE_FAILURES", 5, minimum=1)
LOGIN_THROTTLE_MAX_SECONDS = env_int("LOGIN_THROTTLE_MAX_SECONDS", 300, minimum=1)
LOGIN_THROTTLE_WINDOW_MINUTES = env_int("LOGIN_THROTTLE_WINDOW_MINUTES", 24 * 60, minimum=1)
OTP_TOTP_ISSUER = "Cầu Nối"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists devices, never their secrets
# People holding one of these roles (network.Role values) must use two-factor sign-in; they are
# sent to enrolment until they have. Superusers too, whenever the list is not empty. Production
# requires it of administrators, coordinators, specialists and officers; the embedded default
# (the demo, the test suite) requires it of nobody, though anyone may turn it on for themselves.
OTP_REQUIRED_ROLES = env_list(
    "OTP_REQUIRED_ROLES",
    ["admin", "coordinator", "specialist", "officer"] if PRODUCTION else [],
)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_MINUTES", 60, minimum=5) * 60

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "caunoi.core.errors.csrf_failure"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION and TRUSTED_PROXY_COUNT > 0:
    # Only a trusted proxy's word that the request came over HTTPS is believed; with no proxy
    # counted, a client could claim it. One setting decides whom to trust for both headers.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30, minimum=0)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Where pages open their websocket (/ws/…): "" is the page's own origin (nginx passes /ws/ to
# the ASGI server); ":8001" the page's host on another port (`caunoi serve` with a websocket
# server of its own); "wss://live.example.org" another origin. Checked here, allowed by the CSP.
LIVE_WS_URL = env_ws_origin("LIVE_WS_URL")
if LIVE_WS_URL.startswith(":"):
    # The page's own host on that port: each host the site answers to (".example.org", a
    # domain and its subdomains, is "*.example.org" and "example.org" in a CSP).
    _ws_hosts: list[str] = []
    for _host in ALLOWED_HOSTS:
        if _host == "*":
            _ws_hosts = ["*"]
            break
        if _host.startswith("["):
            continue  # a CSP source cannot name an IPv6 address
        _ws_hosts += [f"*{_host}", _host[1:]] if _host.startswith(".") else [_host]
    _ws_sources = [f"{s}://{h}{LIVE_WS_URL}" for h in _ws_hosts for s in ("ws", "wss")]
else:
    _ws_sources = [LIVE_WS_URL] if LIVE_WS_URL else []

# Everything is served from our own origin; no inline script and no inline style, so an
# injected <script> in patient-entered text cannot run even if escaping were ever missed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF, *_ws_sources],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Language, time ----------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# The first path wins. caunoi/locale_django completes Django's own Vietnamese (forms, the admin
# and its JavaScript catalogue): Django 6.1's catalogue lacks strings our pages show, such as the
# empty choice "- Select an option -" and the admin's filter_horizontal widget.
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "locale_django"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
FORMAT_MODULE_PATH = ["caunoi.formats"]

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Resumable uploads' bytes while they arrive (caunoi/consults/resumable.py): a local folder,
# since pieces are written at an offset, which Django's storage API does not do.
RESUMABLE_UPLOAD_DIR = Path(env_str("RESUMABLE_UPLOAD_DIR", str(DATA_DIR / "resumable")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed file names let browsers keep CSS and JS for a year: a repeat visit over a
    # 256 kbit/s link then downloads only the page itself.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", False)

# --- Consultations --------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
ATTACHMENTS_PER_CONSULT = env_int("ATTACHMENTS_PER_CONSULT", 20, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FILES = ATTACHMENTS_PER_CONSULT
FILE_UPLOAD_PERMISSIONS = 0o640
# Uploads in bounded memory. A request body over REQUEST_MAX_MB is refused from its
# Content-Length before it is read, or as soon as a chunked one grows past it
# (caunoi/core/request_size.py): by default three files at the size limit and the form.
REQUEST_MAX_BYTES = (
    env_int("REQUEST_MAX_MB", 3 * ATTACHMENT_MAX_BYTES // (1024 * 1024) + 1, minimum=1)
    * 1024
    * 1024
)
if REQUEST_MAX_BYTES <= ATTACHMENT_MAX_BYTES:
    raise ImproperlyConfigured("REQUEST_MAX_MB must be larger than ATTACHMENT_MAX_MB.")
# Django's defaults, said out loud: an uploaded file over 2.5 MB waits on disk, not in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Images (caunoi/consults/files.py): phones take 12-50 megapixels (50 MP is 8160 × 6120);
# a JPEG decodes at a half or less of that, other formats at full size, hence the second cap.
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 50, minimum=1) * 1_000_000
IMAGE_MAX_DECODED_BYTES = env_int("IMAGE_MAX_DECODED_MB", 64, minimum=1) * 1024 * 1024
IMAGE_PROCESSING_CONCURRENCY = env_int("IMAGE_PROCESSING_CONCURRENCY", 2, minimum=1)

# --- Referrals ---------------------------------------------------------------------------------------
# A referral is flagged when the patient has not arrived this many hours after leaving, and when
# no counter-referral came back this many days after discharge.
REFERRAL_ARRIVAL_HOURS = env_int("REFERRAL_ARRIVAL_HOURS", 24, minimum=1)
REFERRAL_COUNTER_DAYS = env_int("REFERRAL_COUNTER_DAYS", 7, minimum=1)

# --- Monitoring -------------------------------------------------------------------------------------
# The indicators read pre-computed consultation facts; a dashboard, export or API call older than
# this many seconds since the last refresh brings them up to date first (0: on every read).
MONITORING_FACTS_MAX_AGE = env_int("MONITORING_FACTS_MAX_AGE", 60, minimum=0)

# --- DHIS2 ------------------------------------------------------------------------------------------
# Where the monthly indicators are pushed (dataValueSets). The mapping of indicators to data
# elements and of provinces/facilities to organisation units is kept in the admin.
DHIS2_URL = env_str("DHIS2_URL", "")
DHIS2_USERNAME = env_str("DHIS2_USERNAME", "")
DHIS2_PASSWORD = env_str("DHIS2_PASSWORD", "")
DHIS2_ORG_UNIT_ID_SCHEME = env_str("DHIS2_ORG_UNIT_ID_SCHEME", "UID")
if DHIS2_ORG_UNIT_ID_SCHEME not in ("UID", "CODE"):
    raise ImproperlyConfigured("DHIS2_ORG_UNIT_ID_SCHEME must be UID or CODE.")
DHIS2_TIMEOUT = env_int("DHIS2_TIMEOUT", 30, minimum=1)

# --- Live video -----------------------------------------------------------------------------------
# STUN/TURN for WebRTC. Two browsers on one network need neither; through NAT, run coturn
# (Debian package "coturn") with use-auth-secret and the same secret here (README.md).
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_str("TURN_SECRET", "")
TURN_TTL_SECONDS = env_int("TURN_TTL_SECONDS", 6 * 60 * 60, minimum=60)
if TURN_URLS and not TURN_SECRET:
    raise ImproperlyConfigured("TURN_URLS needs TURN_SECRET (coturn's static-auth-secret).")

# The SFU (caunoi/video/sfu.py): Janus's HTTP API as the server reaches it, and as browsers do
# (default: the same); its token_auth_secret and its VideoRoom admin_key. Empty: every call is
# a mesh.
JANUS_URL = env_str("JANUS_URL", "")
JANUS_PUBLIC_URL = env_str("JANUS_PUBLIC_URL", "")
JANUS_TOKEN_SECRET = env_str("JANUS_TOKEN_SECRET", "")
JANUS_ADMIN_KEY = env_str("JANUS_ADMIN_KEY", "")
JANUS_TOKEN_TTL_SECONDS = env_int("JANUS_TOKEN_TTL_SECONDS", 4 * 60 * 60, minimum=60)
JANUS_TIMEOUT_SECONDS = env_int("JANUS_TIMEOUT_SECONDS", 5, minimum=1)
JANUS_ROOM_PUBLISHERS = env_int("JANUS_ROOM_PUBLISHERS", 12, minimum=1)
JANUS_ROOM_BITRATE = env_int("JANUS_ROOM_BITRATE", 512_000, minimum=64_000)
# The password Janus's HTTP event handler sends (user "janus") to /video/janus/events/.
JANUS_EVENTS_SECRET = env_str("JANUS_EVENTS_SECRET", "")
# Where Janus writes a room's recordings (its rooms are created with this rec_dir), read by the
# platform's task worker: the same folder, or a shared mount when Janus runs elsewhere. Empty:
# sessions are not recorded.
JANUS_RECORDINGS_DIR = env_str("JANUS_RECORDINGS_DIR", "")
# A session's recording is deleted this many days after it was made.
VIDEO_RECORDING_RETENTION_DAYS = env_int("VIDEO_RECORDING_RETENTION_DAYS", 180, minimum=1)
if JANUS_URL and not JANUS_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("JANUS_URL is Janus's HTTP API: http://… or https://….")
if JANUS_URL and not (JANUS_TOKEN_SECRET and JANUS_ADMIN_KEY):
    raise ImproperlyConfigured(
        "JANUS_URL needs JANUS_TOKEN_SECRET (Janus's token_auth_secret) and JANUS_ADMIN_KEY "
        "(its VideoRoom admin_key)."
    )

# --- Email --------------------------------------------------------------------------------------
# Django 6.1's MAILERS. With no EMAIL_HOST, mail is printed on the console (the embedded
# default); production points EMAIL_HOST at its SMTP relay.
_email_host = env_str("EMAIL_HOST", "")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 20, minimum=1),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cầu Nối <no-reply@caunoi.local>")
# The address people reach the platform at, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Notifications beyond e-mail (caunoi/notifications/channels.py). SMS: a gateway's HTTP API,
# off while SMS_GATEWAY_URL is empty. Web push: a VAPID key pair's private key (base64url DER
# or PEM; `vapid --gen` of py-vapid makes one), off while empty.
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN", "")
SMS_SENDER = env_str("SMS_SENDER", "CAUNOI")
SMS_UNICODE = env_bool("SMS_UNICODE", False)
WEBPUSH_VAPID_PRIVATE_KEY = env_str("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_CONTACT = env_str("WEBPUSH_CONTACT", "mailto:admin@caunoi.local")
# The push services browsers subscribe with (a subscription naming another host is refused: the
# server would post wherever it says). Chrome, Edge, Firefox, Safari.
WEBPUSH_SERVICES = env_list(
    "WEBPUSH_SERVICES",
    [
        "fcm.googleapis.com",
        "android.googleapis.com",
        "updates.push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
# Browsers' push services are HTTPS; the tests' recording service is neither HTTPS nor listed.
WEBPUSH_ALLOW_HTTP = env_bool("WEBPUSH_ALLOW_HTTP", False)
# The Ed25519 key that signs CME certificates as verifiable credentials (32 bytes, base64url;
# `caunoi certificate-key` prints a new one). Empty: derived from SECRET_KEY (training/README).
CERTIFICATE_SIGNING_KEY = env_str("CERTIFICATE_SIGNING_KEY", "")

# --- API ----------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = env_int("API_PAGE_SIZE", 50, minimum=1)
NINJA_PAGINATION_MAX_LIMIT = 500
API_TOKEN_PREFIX = "cn"  # noqa: S105 -- a visible marker, not a secret

# --- Pages --------------------------------------------------------------------------------------
PAGE_SIZE = env_int("PAGE_SIZE", 25, minimum=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
