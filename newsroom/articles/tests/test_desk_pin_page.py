"""A single pin's own page (Articles → Pins → a pin) as two editors, a
crafted POST and the pin's History see it: a Save from a page someone else
saved the pin after is refused, never a silent overwrite."""

from __future__ import annotations

import pytest

from newsroom.articles.admin_desk import PinAdmin
from newsroom.articles.desk import Pin
from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, hold_saves_of, logged_in, post_on_a_thread

pytestmark = pytest.mark.django_db(transaction=True)

STALE = "Someone changed this pin after you opened it"


def _pin() -> tuple[Pin, str]:
    pin = Pin.objects.create(article=f.article("Lead A"), position=0)
    return pin, f"/admin/articles/pin/{pin.pk}/change/"


def test_a_save_from_a_stale_pin_page_is_refused_and_keeps_the_other_change():
    """Two editors open the same pin. One moves it to position 3 and saves;
    the other, from the page as she opened it, sets an expiry and saves. Hers
    is refused with a message, her typed expiry still in the form, and the
    pin keeps position 3: her Save wrote position 0 back in silence."""
    pin, url = _pin()
    one, two = (logged_in(account(n, "editor")) for n in ("one", "two"))
    stale = form_data(one.get(url).content.decode())
    fresh = form_data(two.get(url).content.decode(), position="3")
    assert two.post(url, fresh).status_code == 302
    stale.update(expires_at_0="2099-01-01", expires_at_1="12:00:00")
    refused = one.post(url, stale)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert STALE in page
    assert 'value="2099-01-01"' in page
    pin.refresh_from_db()
    assert (pin.position, pin.expires_at) == (3, None)


def test_an_unchanged_pin_page_saves_and_a_fresh_one_saves_again():
    pin, url = _pin()
    editor = logged_in(account("one", "editor"))
    data = form_data(editor.get(url).content.decode(), position="2")
    assert editor.post(url, data).status_code == 302
    data = form_data(editor.get(url).content.decode(), position="1")
    assert editor.post(url, data).status_code == 302
    pin.refresh_from_db()
    assert pin.position == 1


def test_two_saves_of_one_pin_at_once_the_second_waits_then_is_refused(
    monkeypatch,
):
    """Both editors Save at the same moment from the same version. The
    second waits for the first's transaction, then sees the pin changed and
    is refused; both passed the check and the second undid the first."""
    pin, url = _pin()
    one, two = (logged_in(account(n, "editor")) for n in ("eddie", "olga"))
    first = form_data(one.get(url).content.decode(), position="4")
    second = form_data(two.get(url).content.decode(), position="7")
    saved, release = hold_saves_of(monkeypatch, PinAdmin, "eddie")
    holder, held = post_on_a_thread(one, url, first)
    assert saved.wait(timeout=30)
    thread, answer = post_on_a_thread(two, url, second)
    thread.join(timeout=1)
    waited = thread.is_alive()
    release.set()
    holder.join(timeout=30)
    thread.join(timeout=30)
    assert held["response"].status_code == 302
    assert "response" in answer, answer.get("error")
    assert answer["response"].status_code == 200
    assert STALE in answer["response"].content.decode()
    assert waited
    pin.refresh_from_db()
    assert pin.position == 4


@pytest.mark.parametrize(
    "forged",
    [None, "", "abc", "9" * 400, "\u0661", "1\x00"],
    ids=["missing", "empty", "word", "huge", "arabic-digit", "nul"],
)
def test_a_pin_page_posted_with_a_forged_version_saves_nothing(forged):
    """A Save of a pin's page whose version (hidden) is missing, empty, a
    word, huge, a non-ASCII digit or holds a NUL: refused with the page's
    message, no 500, the pin as it was."""
    pin, url = _pin()
    editor = logged_in(account("one", "editor"))
    data = form_data(editor.get(url).content.decode(), position="5")
    if forged is None:
        data.pop("based_on", None)
    else:
        data["based_on"] = forged
    answer = editor.post(url, data)
    assert answer.status_code == 200
    assert STALE in answer.content.decode()
    pin.refresh_from_db()
    assert pin.position == 0


def test_a_pin_reverted_from_its_history_saves_and_a_stale_revert_is_refused():
    """The History page's revert of a pin is a Save as the pin's page is:
    made from the pin as it is, it saves (no 500 on PostgreSQL, where its
    version check locks the row); made before someone saved the pin, it is
    refused."""
    pin, url = _pin()
    first = pin.history.earliest().history_id
    editor = logged_in(account("one", "editor"))
    data = form_data(editor.get(url).content.decode(), position="6")
    assert editor.post(url, data).status_code == 302
    revert = f"/admin/articles/pin/{pin.pk}/history/{first}/"
    data = form_data(editor.get(revert).content.decode())
    assert editor.post(revert, data).status_code == 302
    pin.refresh_from_db()
    assert pin.position == 0
    stale = form_data(editor.get(revert).content.decode())
    data = form_data(editor.get(url).content.decode(), position="2")
    assert editor.post(url, data).status_code == 302
    refused = editor.post(revert, stale)
    assert refused.status_code == 200
    assert STALE in refused.content.decode()
    pin.refresh_from_db()
    assert pin.position == 2
