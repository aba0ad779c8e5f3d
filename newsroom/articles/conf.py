"""The articles app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least

conf = AppSettings(
    "articles",
    # Longest Markdown body an editor's form accepts.
    NEWSROOM_ARTICLE_BODY_MAX_CHARS=Option(200_000, int, at_least(1)),
)
