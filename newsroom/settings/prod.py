"""Production: DEBUG off, secure cookies, HSTS; secrets from env or var/.

``NEWSROOM_HTTPS`` (default on) says the site is reached over HTTPS, usually
through a TLS-terminating proxy that sets ``X-Forwarded-Proto`` (trusted only
from ``NEWSROOM_TRUSTED_PROXIES``). ``make run`` turns it off because it serves
plain HTTP on 127.0.0.1 only.
"""

from .base import *  # noqa: F403
from .base import VAR_DIR
from .env import env_bool, env_int, env_str, secret_key_from_file

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY") or secret_key_from_file(VAR_DIR / "secret_key")

HTTPS = env_bool("NEWSROOM_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe each node over plain HTTP on its own address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
# Both are commitments for every host under the domain, and preload one that
# takes months to undo: the operator opts in (newsroom.W001 warns when on).
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool(
    "NEWSROOM_HSTS_INCLUDE_SUBDOMAINS", False
)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("NEWSROOM_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Django's advice to include subdomains and preload: off on purpose (above).
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
