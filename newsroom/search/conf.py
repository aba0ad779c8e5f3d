"""The search app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least

conf = AppSettings(
    "search",
    # This machine's name among the search nodes ("" = its host name).
    NEWSROOM_NODE_NAME=Option("", str),
    # Searches and suggestion lookups per network (an IPv4 /24, IPv6 /48) per
    # minute: far above what readers reach, even many behind one address.
    NEWSROOM_SEARCH_RATE=Option(60, int, at_least(1)),
    NEWSROOM_SUGGEST_RATE=Option(240, int, at_least(1)),
    # Days of search analytics (daily aggregates) kept; older days are
    # deleted automatically.
    NEWSROOM_SEARCH_ANALYTICS_DAYS=Option(90, int, at_least(1)),
    # How many searches from one network count towards a query's daily total.
    NEWSROOM_SEARCH_ANALYTICS_PER_NETWORK=Option(3, int, at_least(1)),
)
