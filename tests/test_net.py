"""The one client-address rule (newsroom/net.py)."""

import pytest
from django.test import RequestFactory, override_settings

from newsroom import net

rf = RequestFactory()


def request(peer="203.0.113.9", xff=None):
    extra = {"REMOTE_ADDR": peer}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return rf.get("/", **extra)


@override_settings(NEWSROOM_TRUSTED_PROXIES="")
def test_without_trusted_proxies_a_forged_header_is_ignored():
    """No proxy configured: the socket peer is the client, whatever XFF says."""
    req = request("203.0.113.9", "198.51.100.7, 192.0.2.1")
    assert str(net.client_ip(req)) == "203.0.113.9"
    assert net.client_network(req) == "203.0.113.0/24"


@override_settings(NEWSROOM_TRUSTED_PROXIES="1")
def test_with_one_proxy_the_entry_it_appended_is_the_client():
    """A client-written first entry is ignored; the proxy's own entry counts."""
    req = request("127.0.0.1", "198.51.100.7, 192.0.2.44")
    assert str(net.client_ip(req)) == "192.0.2.44"


@override_settings(NEWSROOM_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
def test_with_cidrs_the_rightmost_untrusted_entry_is_the_client():
    req = request("127.0.0.1", "198.51.100.7, 192.0.2.44, 10.1.2.3")
    assert str(net.client_ip(req)) == "192.0.2.44"


@override_settings(NEWSROOM_TRUSTED_PROXIES="127.0.0.1")
def test_a_peer_that_is_not_a_trusted_proxy_cannot_forge_the_header():
    """A client that reaches the app directly gets no say through XFF."""
    req = request("192.0.2.200", "198.51.100.7")
    assert str(net.client_ip(req)) == "192.0.2.200"


@override_settings(NEWSROOM_TRUSTED_PROXIES="127.0.0.1")
def test_garbage_in_the_chain_is_unknown_not_the_forged_entry():
    req = request("127.0.0.1", "198.51.100.7, not-an-ip")
    assert net.client_ip(req) is None
    assert net.client_network(req) == net.UNKNOWN


@pytest.mark.parametrize(
    "address, network",
    [
        ("192.0.2.77", "192.0.2.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1::/48"),
        ("::ffff:192.0.2.7", "192.0.2.0/24"),
        ("fe80::1%eth0", "fe80::/48"),
        ("", net.UNKNOWN),
        ("x" * 5000, net.UNKNOWN),
    ],
)
def test_one_anonymiser_for_every_address(address, network):
    assert net.anonymise(address) == network


@override_settings(NEWSROOM_TRUSTED_PROXIES="10.0.0.0/33")
def test_a_wrong_proxy_setting_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        net.client_ip(request())


@override_settings(NEWSROOM_TRUSTED_PROXIES="")
def test_visitor_key_is_the_network_and_agent_under_a_daily_key():
    """Same /24 and user agent: one visitor that day, whatever XFF says; another
    agent, network, scope or day: another key; the key hides the address."""
    from datetime import date

    def key(peer="203.0.113.9", ua="UA 1", day=date(2026, 1, 2), *scope):
        req = rf.get("/", REMOTE_ADDR=peer, HTTP_USER_AGENT=ua)
        req.META["HTTP_X_FORWARDED_FOR"] = peer[::-1]
        return net.visitor_key(req, day, *scope)

    base = key()
    assert key(peer="203.0.113.200") == base
    assert len({base, key(ua="UA 2"), key(peer="198.51.100.1")}) == 3
    assert key(day=date(2026, 1, 3)) != base
    assert key("203.0.113.9", "UA 1", date(2026, 1, 2), 7) != base
    assert "203.0.113" not in base and len(base) == 64


def test_bots_and_empty_agents_are_not_readers():
    """Crawlers, unfurlers, scripts and an empty user agent never count."""
    assert net.is_bot("") and net.is_bot("   ")
    assert net.is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert net.is_bot("facebookexternalhit/1.1") and net.is_bot("curl/8.5.0")
    assert not net.is_bot("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0")
