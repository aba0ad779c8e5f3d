"""Settings shared by every environment; values come from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("NEWSROOM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form sent without its cookie: the site's page saying how to send it again.
CSRF_FAILURE_VIEW = "newsroom.web.errors.csrf_failure"

SITE_NAME = env_str("NEWSROOM_SITE_NAME", "The Newsroom")
SITE_URL = env_str("NEWSROOM_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django's admin with optional TOTP sign-in (NEWSROOM_ADMIN_TOTP).
    "newsroom.web.admin_apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "newsroom.core",
    "newsroom.media",
    "newsroom.articles",
    "newsroom.web",
    "newsroom.search",
    "newsroom.comments",
    "newsroom.shares",
    "newsroom.ingest",
    "newsroom.api",
    "newsroom.ops",
    "ninja",  # only for its bundled Swagger UI files: API docs use no CDN
    "csp",
]

MIDDLEWARE = [
    # X-Forwarded-Proto counts only from a trusted proxy (newsroom/net.py).
    "newsroom.web.middleware.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response, static
    # files included (newsroom/web/middleware.py; docs/operations.md).
    "newsroom.web.middleware.CSPMiddleware",
    "newsroom.web.middleware.PermissionsPolicyMiddleware",
    # WhiteNoise, without serving the manifest (staticfiles.json).
    "newsroom.web.middleware.StaticFilesMiddleware",
    "newsroom.api.middleware.ApiMiddleware",  # CORS and JSON errors on /api/
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # the locked-out page (a 429)
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "newsroom" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsroom.web.context_processors.site",
            ],
        },
    },
]


def database_from_url(url: str, var_dir: Path) -> dict:
    """Database settings: PostgreSQL (or any URL) when given, else SQLite in WAL."""
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        return config
    return {
        # Django's SQLite backend: writers queue on a lock file, and the file
        # is created 0600 and var/ 0700 (newsroom/db/sqlite3).
        "ENGINE": "newsroom.db.sqlite3",
        "NAME": str(var_dir / "newsroom.sqlite3"),
        # Keep connections: opening SQLite and running the PRAGMAs on every
        # request costs more than serving a cached page.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the
            # write lock at BEGIN so two writers queue on the busy timeout
            # instead of failing with "database is locked" on lock upgrade.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_from_url(env_str("DATABASE_URL"), VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def caches_from_url(url: str, prefix: str) -> dict:
    """Django's own Redis cache when ``REDIS_URL`` is set: every process and
    node then shares rate limits, single-use spends (newsroom.core.limits)
    and the front cache's invalidation. It fails soft: with Redis away pages
    are still served (``newsroom.core.cache``). Else a per-process cache, as
    on one machine with one server process."""
    if url:
        return {
            "default": {
                "BACKEND": "newsroom.core.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
        }
    }


REDIS_URL = env_str("REDIS_URL")
CACHES = caches_from_url(REDIS_URL, env_str("NEWSROOM_CACHE_PREFIX", "newsroom"))

# --- What a page may load and do (docs/operations.md, "Browser policies") ----
# No inline script or style anywhere: every script and stylesheet is a file
# under /static/. Share buttons post to /share/, which redirects to the
# network's share page; browsers check form-action on those redirects, so the
# networks of newsroom/shares/networks.py are listed (a test keeps them in
# step). The API's Swagger UI relaxes styles and images for itself only.
SHARE_FORM_TARGETS = [
    "https://www.facebook.com",
    "https://x.com",
    "https://www.linkedin.com",
    "https://wa.me",
    "https://api.whatsapp.com",  # where wa.me sends on
    "https://t.me",
    "mailto:",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],  # the ALTCHA proof-of-work's worker file
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *SHARE_FORM_TARGETS],
    },
}
# Features no page uses, refused to every frame (the Permissions-Policy header).
NEWSROOM_PERMISSIONS_POLICY = env_str(
    "NEWSROOM_PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), publickey-credentials-get=(), usb=(), xr-spatial-tracking=()",
)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# --- The admin's sign-in (newsroom/web/admin_site.py; docs/desk.md) ----------
# django-axes first: it refuses a locked-out account or network before any
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures before a lockout, counted per account and, separately, per client
# network (newsroom.net: a forged X-Forwarded-For changes nothing).
AXES_FAILURE_LIMIT = env_int("NEWSROOM_ADMIN_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NEWSROOM_ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "newsroom.net.network_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# A success does not wipe the failures: a valid account of one's own must not
# reset the count of guesses at another's.
AXES_RESET_ON_SUCCESS = False
# Staff sign in with a password and a code from an authenticator app
# (django-otp TOTP; enrol with manage.py enrol_totp). Off: password only.
NEWSROOM_ADMIN_TOTP = env_bool("NEWSROOM_ADMIN_TOTP", False)
OTP_TOTP_ISSUER = SITE_NAME

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "newsroom.web.storage.StaticStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# The picture library (newsroom.media; see docs/media.md): an upload larger
# than this many bytes, or of more pixels than this, is refused.
NEWSROOM_MEDIA_MAX_BYTES = env_int("NEWSROOM_MEDIA_MAX_BYTES", 25 * 1024 * 1024)
NEWSROOM_MEDIA_MAX_PIXELS = env_int("NEWSROOM_MEDIA_MAX_PIXELS", 50_000_000)
# Pictures an import names are fetched from public addresses only; networks
# listed here ("10.0.0.0/8,192.168.1.0/24") are trusted as well (an intranet).
NEWSROOM_FETCH_ALLOWED_NETWORKS = env_list("NEWSROOM_FETCH_ALLOWED_NETWORKS", [])

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS (port 587)
# TLS from the first byte (port 465, "SMTPS"): STARTTLS there waits for a
# greeting the server never sends in plain text. One or the other, not both.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds any step of talking to the relay may take (connecting, each answer).
# Django's default, no limit, let a relay that takes the connection and never
# answers hold the one who sends forever.
EMAIL_TIMEOUT = max(1, env_int("EMAIL_TIMEOUT", 10))
# Mail that a request causes (a reader's post, a moderator's approval) goes
# from a thread of each process's own after the commit, so no reader waits
# for the relay (newsroom/core/background.py); off: within the request.
NEWSROOM_MAIL_IN_BACKGROUND = env_bool("NEWSROOM_MAIL_IN_BACKGROUND", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newsroom@localhost")

# Search backends, Django's alias-dict idiom (see docs/search.md). Tantivy
# OPTIONS: PATH; optional HEAP_SIZE, THREADS (the indexer's writer), BOOSTS
# (per field), RECENCY_HALF_LIFE_DAYS, RECENCY_WEIGHT, RESCORE_WINDOW,
# FACET_CACHE_SECONDS, EXACT_COUNT_MAX, COMMON_MIN_DOCS, PHRASE_BODY_MAX_DOCS,
# PHRASE_BODY_WINDOW, CHAIN_MAX_POSTINGS, PREFIX_BODY_MAX_POSTINGS.
NEWSROOM_SEARCH_BACKENDS = {
    "default": {
        "BACKEND": "newsroom.search.backends.tantivy.TantivyBackend",
        "OPTIONS": {"PATH": str(VAR_DIR / "search")},
    }
}

LOG_LEVEL = env_str("LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # A flood of refusals (429) is logged once per route and network a minute.
        "refusals": {"()": "newsroom.web.logs.RefusalsOncePerMinute"},
    },
    "handlers": {
        # The level is the handler's too: Django's own loggers ("django",
        # level INFO) hand their records to this handler past the root's level.
        "console": {
            "class": "logging.StreamHandler",
            "level": LOG_LEVEL,
            "filters": ["refusals"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Who the client is (newsroom/net.py; see docs/operations.md) -------------
# The proxies in front of the site: a count ("1" for one nginx) or addresses
# and CIDRs ("127.0.0.1,10.0.0.0/8"). Empty: none, and X-Forwarded-For is
# ignored. One rule for comments, shares, reads, reports, the API and search.
NEWSROOM_TRUSTED_PROXIES = env_str("NEWSROOM_TRUSTED_PROXIES", "")
# X-Forwarded-Proto says "https" only through the same proxies: with none
# configured, a client's own header must not make request.is_secure() true
# (newsroom.web.middleware also drops it when another peer sent it).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if NEWSROOM_TRUSTED_PROXIES.strip() else None
)

# Where rate limits and single-use spends live (newsroom/core/limits.py):
# empty picks the default cache when it is shared (Redis), else the database;
# "database" or a cache alias forces one. Never a per-process cache.
NEWSROOM_LIMITS_STORE = env_str("NEWSROOM_LIMITS_STORE", "")

# --- Comments (newsroom.comments; see docs/comments.md) ---------------------
# The confirmation code, Django's alias-dict idiom: a dotted BACKEND + OPTIONS.
NEWSROOM_CONFIRMATION = {
    "BACKEND": "newsroom.comments.confirmation.image.ImageCodeBackend",
    "OPTIONS": {"LENGTH": 5, "TIMEOUT": 600},
}
NEWSROOM_COMMENTS_ENABLED = env_bool("NEWSROOM_COMMENTS_ENABLED", True)
# "none", "first" (first-time commenters) or "all"; articles may override it.
NEWSROOM_COMMENTS_MODERATION = env_str("NEWSROOM_COMMENTS_MODERATION", "first")
NEWSROOM_COMMENTS_MODERATORS = env_list("NEWSROOM_COMMENTS_MODERATORS", [])
NEWSROOM_COMMENTS_MIN_FILL_SECONDS = env_int("NEWSROOM_COMMENTS_MIN_FILL_SECONDS", 3)
NEWSROOM_COMMENTS_LIMITS = {
    "BODY_MIN": 2,
    "BODY_MAX": 5000,
    "LINKS_MAX": 2,  # more links than this: held for moderation
    "RATE_NETWORK": (5, 60),  # comments per network per seconds
    "RATE_ARTICLE": (60, 60),  # comments per article per seconds
    "DUPLICATE_HOURS": 24,
    "MAX_DEPTH": 4,  # replies indent to this depth, deeper ones stay at it
    "THREADS_PER_PAGE": 50,  # whole threads per page of comments (page and API)
    "REPLIES_PER_THREAD": 5,  # replies shown with a thread; "N more replies" after
    "REPLIES_PER_VIEW": 250,  # replies a thread's own view shows at a time
    "LINK_MAX_AGE_DAYS": 7,  # moderation and unsubscribe links
    "CODES_MINTED": (30, 600),  # new codes/challenges per network per seconds
    "CODES_WRONG": (10, 600),  # wrong answers per network per seconds
    "REPORTS_PER_NETWORK": (3, 86400),  # reports one network adds to a comment
    "MODERATOR_MAILS": (20, 3600),  # emails about held comments per seconds
    "REPLY_MAILS": (10, 3600),  # reply notifications to one address per seconds
    "ADDRESS_MAILS": (200, 3600),  # commenters' addresses mailed a link per seconds
    "RELAY_PAUSE": 300,  # seconds no mail is tried after the relay hung
}
# The accessible path: an ALTCHA proof-of-work instead of the image code.
# HOLD: comments confirmed this way wait for a moderator.
NEWSROOM_COMMENTS_POW = {
    "ALGORITHM": "PBKDF2/SHA-256",
    "COST": 1000,
    "MAX_NUMBER": env_int("NEWSROOM_COMMENTS_POW_MAX_NUMBER", 2000),
    "TIMEOUT": 600,
    "HOLD": env_bool("NEWSROOM_COMMENTS_POW_HOLD", True),
}
# Guard rules by name; NEWSROOM_COMMENTS_RULES_OFF switches some off by env.
NEWSROOM_COMMENTS_RULES = {
    name: name not in env_list("NEWSROOM_COMMENTS_RULES_OFF", [])
    for name in (
        "length",
        "banned_email",
        "banned_network",
        "rate_network",
        "rate_article",
        "duplicate",
        "banned_words",
        "suspect_words",
        "staff_name",
        "links",
    )
}
NEWSROOM_COMMENTS_BANNED_WORDS = env_list("NEWSROOM_COMMENTS_BANNED_WORDS", [])
NEWSROOM_COMMENTS_SUSPECT_WORDS = env_list("NEWSROOM_COMMENTS_SUSPECT_WORDS", [])

# Importers (newsroom/ingest, see docs/import.md): records per transaction,
# processes rendering Markdown on the bulk path, the section when none is given.
NEWSROOM_IMPORT_BATCH_SIZE = env_int("NEWSROOM_IMPORT_BATCH_SIZE", 1000)
NEWSROOM_IMPORT_WORKERS = env_int("NEWSROOM_IMPORT_WORKERS", 1)
NEWSROOM_IMPORT_DEFAULT_SECTION = env_str("NEWSROOM_IMPORT_DEFAULT_SECTION", "News")
NEWSROOM_IMPORT_PROGRESS_SECONDS = env_int("NEWSROOM_IMPORT_PROGRESS_SECONDS", 5)
NEWSROOM_IMPORT_SQLITE_CACHE_MB = env_int("NEWSROOM_IMPORT_SQLITE_CACHE_MB", 256)
# Longest article body (characters) the admin and imports accept.
NEWSROOM_ARTICLE_BODY_MAX_CHARS = env_int("NEWSROOM_ARTICLE_BODY_MAX_CHARS", 200_000)
# Bounds on what an import reads (docs/import.md, "Bounded reading"): bytes of
# one file after gunzipping, of one record (a line, a row, a page), of a file
# parsed whole (a feed) or fetched from a URL; the fetch's deadline and redirects.
NEWSROOM_IMPORT_MAX_BYTES = env_int("NEWSROOM_IMPORT_MAX_BYTES", 16 << 30)
NEWSROOM_IMPORT_MAX_RECORD_BYTES = env_int("NEWSROOM_IMPORT_MAX_RECORD_BYTES", 16 << 20)
NEWSROOM_IMPORT_MAX_DOCUMENT_BYTES = env_int(
    "NEWSROOM_IMPORT_MAX_DOCUMENT_BYTES", 64 << 20
)
NEWSROOM_IMPORT_FETCH_SECONDS = env_int("NEWSROOM_IMPORT_FETCH_SECONDS", 60)
NEWSROOM_IMPORT_FETCH_REDIRECTS = env_int("NEWSROOM_IMPORT_FETCH_REDIRECTS", 5)
# Networks (CIDR) a fetch may reach besides public addresses (an intranet feed).
NEWSROOM_FETCH_ALLOWED_NETWORKS = env_list("NEWSROOM_FETCH_ALLOWED_NETWORKS", [])

# Shares, read counts, popular lists, related, feeds and sitemaps
# (newsroom.shares, search/related.py, web/jsonld.py, articles/{feeds,sitemaps}; see
# docs/essentials.md). Read inside functions, never at import time.
NEWSROOM_SHARES_CACHE_SECONDS = env_int("NEWSROOM_SHARES_CACHE_SECONDS", 30)
NEWSROOM_READS_FLUSH_SECONDS = env_int("NEWSROOM_READS_FLUSH_SECONDS", 10)
NEWSROOM_READS_FLUSH_EVERY = env_int("NEWSROOM_READS_FLUSH_EVERY", 500)
# What one client network (/24, /48) may add to one article's count per day,
# whatever user agents it sends (newsroom.shares.reads / counters). 0: no cap.
NEWSROOM_READS_PER_NETWORK_DAY = env_int("NEWSROOM_READS_PER_NETWORK_DAY", 20)
NEWSROOM_SHARES_PER_NETWORK_DAY = env_int("NEWSROOM_SHARES_PER_NETWORK_DAY", 10)
NEWSROOM_STATS_KEEP_DAYS = env_int("NEWSROOM_STATS_KEEP_DAYS", 8)
NEWSROOM_MOST_CACHE_SECONDS = env_int("NEWSROOM_MOST_CACHE_SECONDS", 120)
NEWSROOM_RELATED_CACHE_SECONDS = env_int("NEWSROOM_RELATED_CACHE_SECONDS", 600)
NEWSROOM_FEED_ITEMS = env_int("NEWSROOM_FEED_ITEMS", 50)
NEWSROOM_SITEMAP_PAGE_SIZE = env_int("NEWSROOM_SITEMAP_PAGE_SIZE", 50000)
NEWSROOM_SITEMAP_CACHE_SECONDS = env_int("NEWSROOM_SITEMAP_CACHE_SECONDS", 600)
NEWSROOM_PUBLISHER_LOGO_URL = env_str("NEWSROOM_PUBLISHER_LOGO_URL", "")

# --- Public API (newsroom.api; see docs/api.md) ------------------------------
# Origins allowed to call the API from a browser ("*" for any); empty: none.
NEWSROOM_API_CORS_ORIGINS = env_list("NEWSROOM_API_CORS_ORIGINS", [])
# Requests per client network (/24, /48) per window, "count/seconds".
NEWSROOM_API_RATE_LIMITS = {
    "read": env_str("NEWSROOM_API_RATE_READ", "300/60"),
    "write": env_str("NEWSROOM_API_RATE_WRITE", "20/60"),
}
NEWSROOM_API_CACHE_SECONDS = env_int("NEWSROOM_API_CACHE_SECONDS", 60)

# --- Reader pages (newsroom.web; see docs/operations.md) ---------------------
# Seconds an anonymous page (home, section, tag, author, article) is kept
# rendered per process; share bar, comments and CSRF stay live. 0: off.
NEWSROOM_PAGE_CACHE_SECONDS = env_int("NEWSROOM_PAGE_CACHE_SECONDS", 0)
# Bytes of pages the front cache keeps per process (oldest dropped first).
NEWSROOM_PAGE_CACHE_BYTES = env_int("NEWSROOM_PAGE_CACHE_BYTES", 32 << 20)

# --- Several app servers (newsroom.search.nodes; see docs/operations.md) -----
# This machine's name among the search nodes (default: the host name). Two
# index directories on one host need two names.
NEWSROOM_NODE_NAME = env_str("NEWSROOM_NODE_NAME", "")
# Seconds a node's indexer may be silent before prune_search_outbox stops
# keeping rows for it (it then rebuilds from the database when it returns).
NEWSROOM_SEARCH_NODE_TIMEOUT = env_int("NEWSROOM_SEARCH_NODE_TIMEOUT", 86400)
# /readyz fails when this node's index is more than this many seconds behind
# the outbox.
NEWSROOM_SEARCH_MAX_LAG = env_int("NEWSROOM_SEARCH_MAX_LAG", 30)
