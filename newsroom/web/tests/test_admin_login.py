"""The admin's sign-in (issue 12, item 5): lockout per account and per
network (django-axes through newsroom.net's client rule), and optional TOTP
two-factor sign-in for staff (NEWSROOM_ADMIN_TOTP, django-otp)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser(
        "editor", "editor@example.org", PASSWORD
    )


def attempt(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_sixty_wrong_passwords_then_the_right_one_is_refused(editor):
    """60 wrong passwords for one account lock it: from the 5th on every
    answer is a 429 page (never a 500), and the right password afterwards is
    refused too: the session does not reach the admin."""
    client = Client(REMOTE_ADDR="198.51.100.20")
    statuses = [attempt(client, "editor", f"guess-{n}").status_code for n in range(60)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert set(statuses[4:]) == {429}  # the 5th failure locks
    right = attempt(client, "editor", PASSWORD)
    assert right.status_code == 429
    assert b"Too many failed sign-ins" in right.content
    assert not signed_in(client)


def test_the_lockout_is_per_account_from_any_network(editor):
    """Guesses at one account spread over many networks still lock it."""
    for n in range(6):
        attempt(Client(REMOTE_ADDR=f"192.0.{n}.9"), "editor", f"guess-{n}")
    fresh = Client(REMOTE_ADDR="203.0.113.200")
    assert attempt(fresh, "editor", PASSWORD).status_code == 429
    assert not signed_in(fresh)


def test_the_lockout_is_per_network_and_a_forged_forwarded_for_does_not_dodge_it(
    editor,
):
    """Guesses at many accounts from one /24 lock that network, whatever
    X-Forwarded-For each request claims (no trusted proxy is configured), so
    the real account's right password from the same network is refused;
    another network still signs in."""
    for n in range(6):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        forged = {"HTTP_X_FORWARDED_FOR": f"10.{n}.{n}.{n}"}
        attempt(client, f"nobody{n}", "guess", **forged)
    same_net = Client(REMOTE_ADDR="198.51.100.250")
    forged = {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    assert attempt(same_net, "editor", PASSWORD, **forged).status_code == 429
    other = Client(REMOTE_ADDR="203.0.113.7")
    assert attempt(other, "editor", PASSWORD).status_code == 302
    assert signed_in(other)


def totp_now(device) -> str:
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def test_with_totp_on_a_password_alone_does_not_reach_the_admin(editor, settings):
    """NEWSROOM_ADMIN_TOTP on: the right password without a code re-shows
    the form; a session signed in by password only is sent to the login page;
    password plus the current code of the enrolled device reaches the admin,
    and that code cannot be used twice."""
    settings.NEWSROOM_ADMIN_TOTP = True
    out = StringIO()
    call_command("enrol_totp", "editor", stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=editor)

    client = Client(REMOTE_ADDR="198.51.100.30")
    alone = attempt(client, "editor", PASSWORD)
    assert alone.status_code == 200 and b'name="otp_token"' in alone.content
    assert not signed_in(client)

    password_only = Client()
    password_only.force_login(editor)
    assert password_only.get("/admin/").status_code == 302

    wrong = client.post(
        LOGIN, {"username": "editor", "password": PASSWORD, "otp_token": "000000"}
    )
    assert wrong.status_code == 200 and not signed_in(client)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code's back-off, skipped
    device.throttling_failure_timestamp = None
    device.save()

    code = totp_now(device)
    good = client.post(
        LOGIN, {"username": "editor", "password": PASSWORD, "otp_token": code}
    )
    assert good.status_code == 302 and good["Location"] == "/admin/"
    assert signed_in(client)

    replay = Client(REMOTE_ADDR="198.51.100.31")
    again = replay.post(
        LOGIN, {"username": "editor", "password": PASSWORD, "otp_token": code}
    )
    assert again.status_code == 200 and not signed_in(replay)


def test_with_totp_off_the_password_is_enough(editor, settings):
    """NEWSROOM_ADMIN_TOTP off (the default): Django's admin login, no code."""
    settings.NEWSROOM_ADMIN_TOTP = False
    client = Client(REMOTE_ADDR="198.51.100.40")
    page = client.get(LOGIN)
    assert b"otp_token" not in page.content
    assert attempt(client, "editor", PASSWORD).status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize(
    "args",
    [
        ("ed\udcffitor",),
        ("editor", "--name", "phone\udcff"),
        ("editor", "--name", "p" * 65),
        ("editor", "--name", ""),
    ],
    ids=["name not utf-8", "device not utf-8", "device too long", "device empty"],
)
def test_enrol_totp_refuses_a_name_it_cannot_store_in_one_line(args):
    """enrol_totp refuses a username or device name that is not UTF-8 (a
    terminal in another encoding), and a device name empty or longer than
    its column (64), in one line with no device made. The first two ended
    in a UnicodeEncodeError traceback; the long name was stored past its
    column on SQLite and was a DataError on PostgreSQL; the empty one was
    taken."""
    from django.core.management.base import CommandError
    from django_otp.plugins.otp_totp.models import TOTPDevice

    get_user_model().objects.create_user("editor", password="x", is_staff=True)
    with pytest.raises(CommandError, match="UTF-8|name"):
        call_command("enrol_totp", *args, stdout=StringIO())
    assert not TOTPDevice.objects.exists()
