"""Pictures in a real Chromium: the lead image loads at 390 and 1280 px with no
layout shift, and axe-core finds no picture without alt text (nor the page
faults issue 13 lists: no h1, skipped levels, unnamed or tiny links)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import wait_until
from newsroom.articles.models import Author
from newsroom.articles.tests import factories as f
from newsroom.media import samples
from newsroom.media.library import add_image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parent / "fixtures" / "axe" / "axe.min.js"
RULES = [
    "image-alt",
    "role-img-alt",
    "svg-img-alt",
    "image-redundant-alt",
    "aria-hidden-focus",
    "link-name",
    "target-size",
    "heading-order",
    "page-has-heading-one",
    "empty-heading",
    "label",
]
# Sums every layout shift the page makes (the CLS input), from the first paint.
CLS_PROBE = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture
def story():
    lead, _ = add_image(
        samples.photo(1600, 1000, seed=7),
        "harbour.jpg",
        alt="Boats in the harbour at dawn",
        caption="The harbour before the storm.",
        credit="Photo: Test Desk / CC0",
    )
    portrait, _ = add_image(
        samples.photo(400, 400, seed=8), "amira.jpg", alt="Amira Haddad"
    )
    a = f.article(
        "Storm nears the coast",
        standfirst="Fishing boats stayed in port.",
        lead_image=lead,
        body="One.\n\n" * 30 + f'![A map of the coast](image:{lead.pk} "The coast")',
    )
    Author.objects.filter(slug="amira-haddad").update(photo=portrait)
    for n in range(12):
        f.article(f"Other story {n}", lead_image=lead if n % 2 else None)
    return a


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # not an inline <script>: the site's CSP
    result = page.evaluate(
        "(rules) => axe.run(document, {runOnly: {type: 'rule', values: rules}})",
        RULES,
    )
    return [
        {"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_lead_image_loads_without_layout_shift(live_server, browser, story, width):
    """At 390 and 1280 px the lead picture loads from our own /media/ (a
    rendition no wider than needed), keeps its ratio, and the page's layout
    does not shift while it arrives."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.add_init_script(CLS_PROBE)
    try:
        page.goto(live_server.url + story.get_absolute_url())
        img = page.locator(".story__lead img")
        img.wait_for()
        wait_until(
            page,
            "document.querySelector('.story__lead img').complete "
            "&& document.querySelector('.story__lead img').naturalWidth > 0",
        )
        info = img.evaluate(
            "i => ({src: i.currentSrc, w: i.clientWidth, h: i.clientHeight,"
            " nw: i.naturalWidth})"
        )
        assert "/media/r/" in info["src"] and info["src"].endswith(".webp")
        assert info["w"] <= width
        assert abs(info["h"] - info["w"] * 1000 / 1600) <= 2  # its own ratio
        assert info["nw"] >= info["w"]  # sharp: not upscaled by the browser
        page.wait_for_timeout(300)
        assert page.evaluate("window.__cls") < 0.01
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["article", "/", "/section/world/", "/search/?q=story"]
)
@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_no_picture_without_alt_and_no_listed_fault(
    live_server, browser, story, path, width
):
    """axe-core: every picture has alt text (or is decorative), and the page
    has an h1, no skipped heading level, no unnamed link, no tiny target."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        url = story.get_absolute_url() if path == "article" else path
        page.goto(live_server.url + url)
        violations = _axe(page)
        assert violations == [], json.dumps(violations, indent=1)
        if path == "article":
            assert page.locator("img").count() >= 2
    finally:
        context.close()
