"""The focal point picker on a picture's admin page, in a real Chromium.

The picker was a mouse-only shortcut: a click on the picture filled the two
number fields. An editor on the keyboard (or a screen reader) could only type
fractions into those fields, with no way to see where the point fell, and a
field left empty put the dot at "NaN%"."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations
from newsroom.articles.tests.desk_helpers import account
from newsroom.media import samples
from newsroom.media.library import add_image
from newsroom.media.models import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "not-a-real-pass-123"


def open_picture(page, base: str) -> Image:
    image, _ = add_image(samples.photo(640, 400, seed=5), "boats.jpg", alt="Boats")
    account("eddie", "editor")
    page.goto(base + "/admin/login/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"{base}/admin/media/image/{image.pk}/change/")
    page.locator(".focal-picker img").wait_for()
    return image


def where(page) -> tuple[str, str]:
    return (
        page.locator("#id_focal_x").input_value(),
        page.locator("#id_focal_y").input_value(),
    )


def test_the_focal_point_moves_with_the_arrow_keys_and_says_where_it_is(
    live_server, page, axe_source
):
    """Tab reaches the picker; arrow keys move the point 5 % a press (1 %
    with Shift), fill the fields, move the dot and say where the point is
    in a status line a screen reader reads; the page does not scroll; the
    save keeps it. axe finds nothing serious on the page."""
    image = open_picture(page, live_server.url)
    picker = page.locator(".focal-picker")
    page.locator("#id_alt").focus()
    for _ in range(6):  # from the field before it, Tab reaches the picker
        if page.evaluate("document.activeElement.classList.contains('focal-picker')"):
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.classList.contains('focal-picker')")
    assert "arrow keys" in (picker.get_attribute("aria-label") or "")
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowLeft")
    assert where(page) == ("0.59", "0.45")
    assert page.evaluate("window.scrollY") == scrolled
    status = page.locator(".focal-picker__where")
    assert status.get_attribute("role") == "status"
    assert status.inner_text() == "Focal point: 59% from the left, 45% from the top"
    left = page.evaluate("document.querySelector('.focal-picker__dot').style.left")
    assert left == "59%"
    for _ in range(30):  # held at the edge
        page.keyboard.press("ArrowDown")
    assert where(page)[1] == "1.00"
    serious = axe_violations(page, axe_source)
    assert serious == [], serious
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state()
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (0.59, 1.0)


def test_a_click_still_sets_it_and_an_empty_field_hides_the_dot(live_server, page):
    """The mouse keeps working; a field emptied by hand hides the dot (it
    was drawn at "NaN%") and the status says the point is not set."""
    open_picture(page, live_server.url)
    img = page.locator(".focal-picker img")
    box = img.bounding_box()
    img.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    x, y = (float(v) for v in where(page))
    assert abs(x - 0.25) <= 0.02 and abs(y - 0.75) <= 0.02
    page.locator("#id_focal_x").fill("")
    dot = page.locator(".focal-picker__dot")
    assert not dot.is_visible()
    assert "not set" in page.locator(".focal-picker__where").inner_text()
    page.locator("#id_focal_x").fill("0.3")
    assert dot.is_visible()
