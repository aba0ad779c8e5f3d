"""The comments app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option

conf = AppSettings(
    "comments",
    # Guard rules switched off by name ({"rate_network": False}); all on
    # by default.
    NEWSROOM_COMMENTS_RULES=Option({}, dict),
    # The proof-of-work path's options over its defaults (confirmation/proof.py).
    NEWSROOM_COMMENTS_POW=Option({}, dict),
    # {"BACKEND": dotted path, "OPTIONS": {...}}; None = the image code.
    NEWSROOM_CONFIRMATION=Option(None, (dict, type(None))),
    # Only the test settings turn this on (answers codes for tests).
    NEWSROOM_CONFIRMATION_TEST_HOOK=Option(False, bool),
)
