"""The results page's HTML, built in Python (issue 16).

At 1,000,000 articles a search's own work is a few milliseconds, and the
results template cost about a millisecond more: ~100 variable lookups,
loops and conditions through Django's template engine. The page's content
(everything inside ``base.html``'s ``content`` block) is built here, each
value escaped with ``core.html.escape``; ``search/results.html`` keeps the
title, the head and the frame. What the page shows is unchanged.
"""

from __future__ import annotations

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language

from newsroom.core.html import escape
from newsroom.media.html import picture

QUOTED = "&ldquo;{}&rdquo;"
# Facet labels (section, author and tag names, years, months) escaped once
# per process: a page shows ~50, the same across searches.
_label = functools.lru_cache(maxsize=4096)(escape)


def facets_html(
    groups: list[dict], over: int | None = None, by: str = "newest"
) -> SafeString:
    """The facet sidebar, built here: a template loop over ~50 values with
    their conditions cost more than the search itself. ``over``: the counts
    are of ``over`` matches only, the newest or (``by="relevance"``) the
    best (see tantivy_counts.py)."""
    out = []
    if groups and over is not None:
        which = "best" if by == "relevance" else "newest"
        out.append(
            f'<p class="facet__scope">Counts in the {which} {over:,} '
            f"match{'es' if over != 1 else ''}</p>"
        )
    for group in groups:
        out.append(
            f'<section class="facet facet--{group["key"]}">'
            f'<h2 class="facet__title">{group["title"]}</h2>'
            '<ul class="facet__list">'
        )
        for item in group["items"]:
            css = "facet__item"
            if item.get("month"):
                css += " facet__item--month"
            url, label = item["href"], _label(item["label"])
            if item["active"]:
                out.append(
                    f'<li class="{css} facet__item--active"><a href="{url}" '
                    f'aria-current="true" title="Remove this filter">{label}'
                    f'</a> <span class="facet__count">{item["count"]}</span> '
                    '<span aria-hidden="true">&times;</span></li>'
                )
            else:
                out.append(
                    f'<li class="{css}"><a href="{url}">{label}</a> '
                    f'<span class="facet__count">{item["count"]}</span></li>'
                )
        out.append("</ul>")
        if group["more"]:
            out.append(
                f'<p class="facet__more"><a href="{escape(group["more"])}">More '
                f"{escape(group['title'].lower())}</a></p>"
            )
        out.append("</section>")
    return mark_safe("".join(out))  # every value above is escaped


def hits_html(hits, pictures: dict) -> SafeString:
    """The hit list, built here like the facets (every value escaped; the
    headline and snippet HTML come escaped from ``highlight``). URLs: one
    ``reverse()`` per pattern, then the slug put in (slugs need no quoting).
    ``pictures``: lead pictures by article id, read with the public check."""
    if not hits:
        return mark_safe("")
    # What ``localtime`` and ``date:"j M Y"`` give, with the zone looked up
    # once a page and the month names once a language.
    zone = get_current_timezone()
    months = _months()
    article, section, author = _patterns()
    out = []
    for hit in hits:
        image = pictures.get(hit.id)
        out.append(f'<li class="card search-hit{" card--pic" if image else ""}">\n')
        if image is not None:
            out.append(
                f'<a class="search-hit__media" href="'
                f'{escape(article.replace("SLUG", hit.slug))}" tabindex="-1" '
                f'aria-hidden="true">{picture(image, "thumb")}</a>\n'
            )
        if hit.section[1]:
            url = escape(section.replace("SLUG", hit.section[0]))
            out.append(
                f'<p class="card__kicker"><a href="{url}">'
                f"{escape(hit.section[1])}</a></p>\n"
            )
        out.append(
            '<h2 class="card__headline search-hit__headline"><a href="'
            f'{escape(article.replace("SLUG", hit.slug))}" dir="auto">'
            f"{conditional_escape(hit.headline_html)}</a></h2>\n"
            '<p class="search-hit__snippet" dir="auto">'
            f"{conditional_escape(hit.snippet_html)}</p>\n"
            '<p class="card__meta">'
        )
        if hit.authors:
            names = ", ".join(
                f'<a href="{escape(author.replace("SLUG", slug))}">{escape(name)}</a>'
                for slug, name in hit.authors
            )
            out.append(f'<span class="card__byline">{names}</span> &middot; ')
        when = hit.published_at.astimezone(zone)
        out.append(
            f'<time datetime="{when.isoformat()}">'
            f"{when.day} {months[when.month]} {when.year:04d}</time></p>\n"
        )
        for group in hit.via_alias:
            out.append(
                '<p class="search-hit__alias">Matched through the alias '
                f"group {escape(group)}</p>\n"
            )
        out.append("</li>\n")
    return mark_safe("".join(out))  # every value above is escaped


def _patterns() -> tuple[str, str, str]:
    """The article, section and author URLs with "SLUG" for the slug: three
    ``reverse()`` calls (~30 us each) once per script prefix and URLconf,
    not once a page."""
    key = (get_script_prefix(), get_urlconf())
    found = _PATTERNS.get(key)
    if found is None:
        found = _PATTERNS[key] = (
            reverse("web:article", args=["SLUG"]),
            reverse("web:section", args=["SLUG"]),
            reverse("web:author", args=["SLUG"]),
        )
    return found


def _months() -> dict[int, str]:
    """Month number -> "Jan" (``date:"M"``) in the active language."""
    language = get_language()
    found = _MONTHS.get(language)
    if found is None:
        found = _MONTHS[language] = {m: str(MONTHS_3[m]).title() for m in MONTHS_3}
    return found


_PATTERNS: dict[tuple, tuple[str, str, str]] = {}
_MONTHS: dict[str | None, dict[int, str]] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    """A changed URLconf, prefix or language setting (tests) may change them."""
    _PATTERNS.clear()
    _MONTHS.clear()


def content_html(c: dict) -> SafeString:
    """The page inside ``base.html`` from the view's context ``c``
    (was the ``content`` block of ``search/results.html``)."""
    query, params, outcome = c["query"], c["params"], c["outcome"]
    results, filters = outcome.results, params.filters
    q = escape(query)
    out = [
        '<header class="listing-head">\n  <p class="listing-head__kind">Search</p>\n'
        '  <h1 class="listing-head__title">'
        + (f"Results for {QUOTED.format(q)}" if query else "Search the archive")
        + "</h1>\n</header>\n"
    ]
    for problem in params.problems:
        out.append(
            '<p class="search-notice search-notice--problem" role="status">'
            f"{escape(problem)}</p>"
        )
    if results is None:
        out.append(
            '\n<div class="search-help">\n  <p>Type words in the box above. All '
            'words must match; use <code>"quotes"</code> for an exact phrase, '
            "<code>-word</code> to leave a word out, <code>OR</code> for either "
            "of two words, and <code>pref*</code> for any word starting with "
            "<em>pref</em>.</p>\n</div>\n"
        )
        return mark_safe("".join(out))  # every value above is escaped
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in c["hidden"].items()
    )
    bad = params.bad_dates
    day_from = filters.date_from.isoformat() if filters.date_from else ""
    day_to = filters.date_to.isoformat() if filters.date_to else ""
    day_from = escape(bad.get("from", day_from))
    day_to = escape(bad.get("to", day_to))
    invalid = {k: ' aria-invalid="true"' if k in bad else "" for k in ("from", "to")}
    out.append(
        '\n<div class="search-layout">\n'
        '  <aside class="search-facets" id="filters" aria-label="Narrow the results">\n'
        '   <p class="search-filters__open"><a href="#filters">Filter'
        + (" (filters on)" if filters.active else "")
        + "</a></p>\n"
        '   <div class="search-filters">\n'
        '    <form class="search-dates" method="get" action="">\n'
        f"      {hidden}\n"
        f'      <input type="hidden" name="q" value="{q}">\n'
        "      <fieldset>\n"
        "        <legend>Date range</legend>\n"
        '        <label for="search-from">From</label>\n'
        '        <input id="search-from" type="text" inputmode="numeric" '
        'name="from" placeholder="YYYY-MM-DD" pattern="\\d{4}-\\d{2}-\\d{2}" '
        f'aria-describedby="search-date-format"{invalid["from"]} '
        f'value="{day_from}">\n'
        '        <label for="search-to">To</label>\n'
        '        <input id="search-to" type="text" inputmode="numeric" name="to" '
        'placeholder="YYYY-MM-DD" pattern="\\d{4}-\\d{2}-\\d{2}" '
        f'aria-describedby="search-date-format"{invalid["to"]} value="{day_to}">\n'
        '        <small id="search-date-format" class="search-dates__hint">'
        "Year-month-day, e.g. 2026-03-31</small>\n"
        '        <button type="submit" class="search-dates__button">Apply</button>\n'
        "      </fieldset>\n"
        "    </form>\n"
        f"    {c['facets_html']}\n"
    )
    if filters.active:
        out.append(
            f'    <p class="facet__clear"><a href="{escape(c["clear_url"])}">'
            "Clear all filters</a></p>\n"
        )
    total, pages = results.total, c.get("pages") or {}
    if not results.total_exact:
        count = (
            f"About <strong>{total:,}</strong> results "
            '<span class="search-summary__bound">(estimated: between '
            f"{results.total_min:,} and {results.total_max:,})</span>"
        )
    else:
        count = f"<strong>{total:,}</strong> result{'' if total == 1 else 's'}"
    if query:
        count += f" for {QUOTED.format(q)}"
    if total > 10:
        count += f" &middot; page {pages['number']} of {pages['last']}"
    sorts = " &middot; ".join(
        f'<strong aria-current="true">{escape(s["label"])}</strong>'
        if s["active"]
        else f'<a href="{escape(s["url"])}">{escape(s["label"])}</a>'
        for s in c["sorts"]
    )
    out.append(
        '    <p class="search-filters__close"><a href="#results">Hide filters</a></p>\n'
        "   </div>\n"
        "  </aside>\n"
        '  <div class="results" id="results">\n'
        '    <div class="search-summary">\n'
        f'      <p class="search-summary__count" role="status">{count}</p>\n'
        '      <nav class="search-sort" aria-label="Sort results"><span>Sort:</span>\n'
        f"        {sorts}\n"
        "      </nav>\n"
        "    </div>\n"
    )
    notice = '    <p class="search-notice" role="status">{}</p>\n'
    if outcome.respelled:
        out.append(
            notice.format(
                f"No results for {QUOTED.format(q)}. Showing results for "
                f'<a href="{escape(c["respelled_url"])}"><strong>'
                f"{escape(outcome.respelled)}</strong></a> instead."
            )
        )
    if outcome.fuzzy:
        out.append(
            notice.format(
                f"No exact matches for {QUOTED.format(q)}. "
                "Showing results with similar spellings."
            )
        )
    if outcome.relaxed:
        out.append(
            notice.format(
                f"Few articles have all the words of {QUOTED.format(q)}. Showing "
                "articles with any of them, those matching the most first."
            )
        )
    if outcome.did_you_mean:
        out.append(
            notice.format(
                f'Did you mean <a href="{escape(c["did_you_mean_url"])}"><strong>'
                f"{escape(outcome.did_you_mean)}</strong></a>?"
            )
        )
    if c["hits"]:
        out.append(
            f'    <ol class="search-results" start="{pages["first_index"]}">\n'
            f"      {c['hits_html']}\n    </ol>\n"
        )
        if pages["last"] > 1:
            numbers = "".join(
                f'<strong aria-current="page">{p["n"]}</strong> '
                if p["current"]
                else f'<a href="{escape(p["url"])}">{p["n"]}</a> '
                for p in pages["numbers"]
            )
            previous = (
                f'<a rel="prev" href="{escape(pages["previous"])}">&larr; Previous</a>'
                if pages["previous"]
                else "<span></span>"
            )
            following = (
                f'<a rel="next" href="{escape(pages["next"])}">Next &rarr;</a>'
                if pages["next"]
                else "<span></span>"
            )
            out.append(
                '    <nav class="pager search-pager" aria-label="Result pages">\n'
                f"      {previous}\n"
                f'      <span class="search-pager__numbers">{numbers}</span>\n'
                f"      {following}\n    </nav>\n"
            )
    else:
        clear = (
            f' with these filters (<a href="{escape(c["clear_url"])}">clear them</a>)'
            if filters.active
            else ""
        )
        out.append(
            '    <div class="empty search-empty">\n'
            f"      <p>Nothing matched{' ' + QUOTED.format(q) if query else ''}"
            f"{clear}.</p>\n"
            "      <p>Check the spelling, use fewer words, or try a more general "
            "word.</p>\n    </div>\n"
        )
    out.append("  </div>\n</div>\n")
    return mark_safe("".join(out))  # every value above is escaped
