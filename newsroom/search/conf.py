"""The search app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option

conf = AppSettings(
    "search",
    # This machine's name among the search nodes ("" = its host name).
    NEWSROOM_NODE_NAME=Option("", str),
)
