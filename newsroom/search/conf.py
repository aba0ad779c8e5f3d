"""The search app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least


def rate(value: str) -> str | None:
    """A check: "count/seconds", both positive whole numbers."""
    count, slash, seconds = value.partition("/")
    if slash and count.isdigit() and seconds.isdigit() and int(count) and int(seconds):
        return None
    return 'must be "count/seconds", e.g. "60/60"'


conf = AppSettings(
    "search",
    # This machine's name among the search nodes ("" = its host name).
    NEWSROOM_NODE_NAME=Option("", str),
    # Searches and suggestion lookups per network (an IPv4 /24, IPv6 /48),
    # as "count/seconds" like the API's limits: far above what readers
    # reach, even many behind one address.
    NEWSROOM_SEARCH_RATE=Option("60/60", str, rate),
    NEWSROOM_SUGGEST_RATE=Option("240/60", str, rate),
    # Days of search analytics (daily aggregates) kept; older days are
    # deleted automatically.
    NEWSROOM_SEARCH_ANALYTICS_DAYS=Option(90, int, at_least(1)),
    # How many searches from one network count towards a query's daily total.
    NEWSROOM_SEARCH_ANALYTICS_PER_NETWORK=Option(3, int, at_least(1)),
)
