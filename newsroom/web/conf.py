"""The web app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least

conf = AppSettings(
    "web",
    # Seconds a rendered page is kept by the front cache; 0 turns it off.
    NEWSROOM_PAGE_CACHE_SECONDS=Option(0, int, at_least(0)),
    # Bytes of rendered pages one process keeps at most.
    NEWSROOM_PAGE_CACHE_BYTES=Option(32 << 20, int, at_least(0)),
    # Staff sign in to the admin with a TOTP code besides the password.
    NEWSROOM_ADMIN_TOTP=Option(False, bool),
    # The Permissions-Policy header on every response; empty: none sent.
    NEWSROOM_PERMISSIONS_POLICY=Option("", str),
)
