"""Share buttons count on a POST, once per visitor-day, and send the reader on."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from newsroom.articles.tests import factories as f
from newsroom.shares.counters import share_counts, share_totals
from newsroom.shares.models import ShareCount, ShareVisit

from .conftest import UA

pytestmark = pytest.mark.django_db


def test_share_button_counts_and_redirects_to_the_network(reader, settings):
    """POST /share/<network>/<id>/ counts one share and 303s to the network."""
    settings.SITE_URL = "https://news.example"
    a = f.article("Forces open two gaps in the wall")
    response = reader.post(f"/share/facebook/{a.pk}/")
    assert response.status_code == 303
    target = urlsplit(response["Location"])
    assert target.netloc == "www.facebook.com"
    assert parse_qs(target.query)["u"] == [f"https://news.example/article/{a.slug}/"]
    assert share_counts(a.pk)["facebook"] == 1
    # The count stands next to the button on the article page.
    html = reader.get(a.get_absolute_url()).content.decode()
    assert 'share__button--facebook"' in html
    assert 'Facebook <span class="share__count">(1)</span>' in html


def test_every_network_has_a_working_share_address(reader):
    """Each network redirects to its own share dialog; email opens mailto:."""
    a = f.article("Budget passes")
    hosts = {
        "facebook": "www.facebook.com",
        "x": "x.com",
        "linkedin": "www.linkedin.com",
        "whatsapp": "wa.me",
        "telegram": "t.me",
    }
    for network, host in hosts.items():
        response = reader.post(f"/share/{network}/{a.slug}/")
        assert response.status_code == 303, network
        assert urlsplit(response["Location"]).netloc == host, network
    mail = reader.post(f"/share/email/{a.pk}/")
    assert mail.status_code == 303 and mail["Location"].startswith("mailto:?subject=")
    assert "Budget%20passes" in mail["Location"]
    assert set(share_counts(a.pk).values()) == {0, 1}
    assert sum(share_counts(a.pk).values()) == 6


def test_same_visitor_same_day_counts_once_per_network(reader):
    """A second click by the same visitor adds nothing; another network does."""
    a = f.article()
    for _ in range(3):
        assert reader.post(f"/share/x/{a.pk}/").status_code == 303
    reader.post(f"/share/linkedin/{a.pk}/")
    counts = share_counts(a.pk)
    assert counts["x"] == 1 and counts["linkedin"] == 1
    assert ShareVisit.objects.count() == 2


def test_visitors_are_networks_and_user_agents_not_single_addresses():
    """Same /24 and browser is one visitor; another /24 or browser is not."""
    a = f.article()
    url = f"/share/telegram/{a.pk}/"
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.1").post(url)
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.254").post(url)  # same /24
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.101.1").post(url)  # new /24
    Client(HTTP_USER_AGENT=UA + " Edg/1", REMOTE_ADDR="198.51.100.1").post(url)
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="2001:db8:1:1::1").post(url)
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="2001:db8:1:ffff::9").post(url)  # same /48
    assert share_counts(a.pk)["telegram"] == 4


def test_stored_visits_hold_no_address_or_user_agent(reader):
    """What is stored is a keyed hash: neither the IP nor the UA appears."""
    a = f.article()
    reader.post(f"/share/facebook/{a.pk}/")
    visit = ShareVisit.objects.get()
    assert len(visit.key) == 64 and "203.0.113" not in visit.key
    row = str(ShareVisit.objects.values().get())
    assert "203.0.113" not in row and "Firefox" not in row


def test_bots_and_clients_without_user_agent_are_not_counted():
    """Crawlers, unfurlers, scripts and empty UAs go through uncounted."""
    a = f.article()
    agents = [
        "",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 HeadlessChrome/126.0",
    ]
    for agent in agents:
        response = Client(HTTP_USER_AGENT=agent).post(f"/share/facebook/{a.pk}/")
        assert response.status_code == 303, agent
    assert share_counts(a.pk)["facebook"] == 0
    assert not ShareVisit.objects.exists()


def test_bad_share_links_are_404_and_count_nothing(reader):
    """Unknown network, unknown or unpublished article: 404, nothing written."""
    a = f.article()
    draft = f.article(status="draft")
    for url in [
        f"/share/myspace/{a.pk}/",
        "/share/facebook/999999/",
        "/share/facebook/no-such-story/",
        f"/share/facebook/{draft.pk}/",
        f"/share/copy/{a.pk}/",  # copy-link is a POST
    ]:
        assert reader.get(url).status_code in (404, 405), url
    assert reader.get(f"/share/copy/{a.pk}/").status_code == 405
    assert not ShareCount.objects.filter(count__gt=0).exists()


def test_copy_link_counts_through_a_csrf_checked_post():
    """The copy button POSTs with the page's CSRF token and gets JSON back."""
    a = f.article()
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=UA)
    # Without the token the POST is refused and nothing is counted.
    assert browser.post(f"/share/copy/{a.pk}/").status_code == 403
    html = browser.get(a.get_absolute_url()).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    headers = {"HTTP_ACCEPT": "application/json"}
    first = browser.post(
        f"/share/copy/{a.pk}/", {"csrfmiddlewaretoken": token}, **headers
    )
    assert first.status_code == 200
    assert first.json()["counted"] is True and first.json()["count"] == 1
    assert first.json()["url"].endswith(a.get_absolute_url())
    again = browser.post(
        f"/share/copy/{a.pk}/", {"csrfmiddlewaretoken": token}, **headers
    )
    assert again.json() == {**first.json(), "counted": False}
    # Without script the form posts and the reader lands back on the article.
    plain = browser.post(f"/share/copy/{a.pk}/", {"csrfmiddlewaretoken": token})
    assert plain.status_code == 303
    assert plain["Location"] == f"{a.get_absolute_url()}#share"


def test_totals_for_a_list_come_in_one_query(reader, django_assert_num_queries):
    """share_totals() sums every network per article for many articles at once."""
    a, b, c = f.article(), f.article(), f.article()
    reader.post(f"/share/facebook/{a.pk}/")
    reader.post(f"/share/x/{a.pk}/")
    reader.post(f"/share/x/{b.pk}/")
    with django_assert_num_queries(1):
        totals = share_totals([a.pk, b.pk, c.pk])
    assert totals == {a.pk: 2, b.pk: 1, c.pk: 0}


def test_share_counts_appear_on_cards_without_a_query_per_card(
    reader, django_assert_num_queries
):
    """List pages show each card's share total at a fixed query cost."""
    a = f.article("Shared story", section_name="World")
    reader.post(f"/share/facebook/{a.pk}/")
    reader.post(f"/share/whatsapp/{a.pk}/")
    html = reader.get("/section/world/").content.decode()
    assert "2 shares" in html

    def queries(url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert reader.get(url).status_code == 200
        return len(ctx.captured_queries)

    queries("/")  # fills the caches (menu, popular lists)
    few = queries("/section/world/")
    home_few = queries("/")
    for _ in range(8):
        f.article(section_name="World")
    # New stories move the content version, which empties the kept menu
    # (one query, whatever the number of cards): fill it again first.
    queries("/")
    assert queries("/section/world/") == few
    assert queries("/") == home_few


def test_a_cached_share_bar_shows_the_new_count_after_a_share(reader):
    """The share bar is cached, yet a counted share shows on the next view,
    and every view gets its own working CSRF field."""
    a = f.article()
    first = reader.get(a.get_absolute_url()).content.decode()
    assert 'Facebook <span class="share__count">(0)</span>' in first
    assert 'name="csrfmiddlewaretoken" value="' in first
    reader.post(f"/share/facebook/{a.pk}/")
    again = reader.get(a.get_absolute_url()).content.decode()
    assert 'Facebook <span class="share__count">(1)</span>' in again
    assert "csrf-slot" not in again


def test_a_get_or_head_of_a_share_url_only_redirects(reader):
    """A link, a crawler or an <img> on another site fetches the share URL with
    GET: it is sent on to the network, and nothing is counted or stored."""
    a = f.article()
    for n in range(5):
        got = reader.get(f"/share/facebook/{a.pk}/", HTTP_USER_AGENT=f"{UA} {n}")
        assert got.status_code == 302 and "facebook.com" in got["Location"]
    assert reader.head(f"/share/x/{a.pk}/").status_code == 302
    assert sum(share_counts(a.pk).values()) == 0
    assert not ShareVisit.objects.exists()


def test_each_button_is_a_form_with_its_own_csrf_field():
    """Every network button posts a small form with the page's CSRF token (no
    script needed); without the token the POST is refused and counts nothing."""
    a = f.article()
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=UA)
    html = browser.get(a.get_absolute_url()).content.decode()
    for network in ("facebook", "x", "linkedin", "whatsapp", "telegram", "email"):
        form = html.split(f'action="/share/{network}/{a.pk}/"', 1)[1].split("</form>")[
            0
        ]
        assert 'name="csrfmiddlewaretoken" value="' in form, network
    assert browser.post(f"/share/x/{a.pk}/").status_code == 403
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    posted = browser.post(f"/share/x/{a.pk}/", {"csrfmiddlewaretoken": token})
    assert posted.status_code == 303
    assert share_counts(a.pk)["x"] == 1


def test_one_network_adds_at_most_the_daily_cap_whatever_its_agents(settings):
    """12 'visitors' (user agents) from one /24 add 10 shares to an article over
    every share network together; another /24 still counts; 0 lifts the cap."""
    settings.NEWSROOM_SHARES_PER_NETWORK_DAY = 10
    a, b = f.article(), f.article()
    for n in range(12):
        network = ("facebook", "x", "telegram")[n % 3]
        Client(HTTP_USER_AGENT=f"{UA} {n}", REMOTE_ADDR=f"198.51.100.{n}").post(
            f"/share/{network}/{a.pk}/"
        )
    assert sum(share_counts(a.pk).values()) == 10
    assert ShareVisit.objects.filter(article=a).count() == 10  # the rest rolled back
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.101.1").post(f"/share/x/{a.pk}/")
    assert sum(share_counts(a.pk).values()) == 11
    # The cap is per article: the same network can still share another story.
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.1").post(f"/share/x/{b.pk}/")
    assert share_counts(b.pk)["x"] == 1
    settings.NEWSROOM_SHARES_PER_NETWORK_DAY = 0
    Client(HTTP_USER_AGENT=f"{UA} 99", REMOTE_ADDR="198.51.100.1").post(
        f"/share/x/{a.pk}/"
    )
    assert sum(share_counts(a.pk).values()) == 12


def test_the_share_cap_is_a_rolling_day_not_one_that_ends_at_midnight(
    settings, monkeypatch
):
    """A network that spends its 10 shares at 23:59:50 UTC had a whole new
    cap at 00:00:00: 20 shares in twenty seconds, from a script that waits
    for midnight. The cap is now over the last 24 hours: the day before
    weighs by how much of it is still inside them."""
    from newsroom.core import limits

    settings.NEWSROOM_SHARES_PER_NETWORK_DAY = 10
    day = 86_400
    # 23:59:50 UTC tonight: near the real clock, which prunes spent windows.
    now = [(limits.time.time() // day + 1) * day - 10.0]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    a = f.article()

    def share(n: int) -> None:
        Client(HTTP_USER_AGENT=f"{UA} {n}", REMOTE_ADDR=f"198.51.100.{n}").post(
            f"/share/x/{a.pk}/"
        )

    for n in range(10):
        share(n)
    assert share_counts(a.pk)["x"] == 10
    now[0] += 20  # 00:00:10
    for n in range(10, 20):
        share(n)
    assert sum(share_counts(a.pk).values()) == 10
    now[0] += day / 2  # half of yesterday's shares are out of the last 24 h
    for n in range(20, 30):
        share(n)
    assert sum(share_counts(a.pk).values()) == 15
