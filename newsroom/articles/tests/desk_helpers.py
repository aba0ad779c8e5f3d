"""Helpers for the desk tests: accounts in a role, and a form as a browser sends it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser

from django.contrib.auth.models import Group, User
from django.db import connection, connections
from django.test import Client

from newsroom.articles.roles import ROLE_CHOICES, sync_roles


def account(name: str, role: str) -> User:
    sync_roles()
    user = User.objects.create_user(name, password="not-a-real-pass-123", is_staff=True)
    user.groups.set([Group.objects.get(name=ROLE_CHOICES[role])])
    return user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _FormReader(HTMLParser):
    """The fields of the admin's main form, with the values a browser submits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._selected: list[str] = []
        self._first_option: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.data.setdefault(name, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]
        elif tag == "select" and name:
            self._select, self._selected, self._first_option = name, [], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        if tag == "textarea":
            self._textarea = None
        if tag == "select" and self._select:
            self.data[self._select] = self._selected or (
                [] if self._first_option is None else [self._first_option]
            )
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            # Browsers send textarea line endings as CRLF.
            text = (
                data[1:]
                if data.startswith("\n") and not self.data[self._textarea][0]
                else data
            )
            self.data[self._textarea][0] += text.replace("\r\n", "\n").replace(
                "\n", "\r\n"
            )


def form_data(html: str, **changes) -> dict:
    """The admin form's fields as submitted, with ``changes`` applied."""
    reader = _FormReader()
    reader.feed(html)
    data: dict = {k: (v if len(v) != 1 else v[0]) for k, v in reader.data.items()}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def during(
    monkeypatch, owner, name: str, action: Callable[[], object]
) -> tuple[threading.Thread, dict]:
    """Run ``action()`` (another editor's deletion, say) on a thread of its
    own, with its own database connection, when ``owner.name`` (a view's
    save, a check) is first called: it commits at once unless it has to wait
    for the transaction in progress. What it returns, or the exception it
    raised (a 500, raised by the test client), lands in the dict under
    ``"delete"``; join the thread before reading it."""
    codes: dict = {}
    thread = thread_of(action, codes, "delete", errors="delete")
    real = getattr(owner, name)

    def meanwhile(*args, **kwargs):
        thread.start()
        thread.join(timeout=0.5)  # it commits now, unless it waits for us
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, meanwhile)
    return thread, codes


def blocked_on_a_lock(timeout: float = 30) -> bool:
    """Whether another connection waits for a lock (PostgreSQL; polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def post_on_a_thread(client, url: str, data: dict) -> tuple[threading.Thread, dict]:
    """POST ``data`` to ``url`` from another thread (its own connection);
    the thread and a dict that gets the response under "response"."""
    return on_a_thread(lambda: client.post(url, data), key="response")


def on_a_thread(
    target: Callable[[], object], key: str = "run"
) -> tuple[threading.Thread, dict]:
    """Run ``target()`` on a thread of its own (its own connection); the
    thread and a dict that gets what it returned under ``key``, or the
    exception it raised under "error"."""
    out: dict = {}
    thread = thread_of(target, out, key)
    thread.start()
    return thread, out


def thread_of(
    target: Callable[[], object], out: dict, key: str, errors: str = "error"
) -> threading.Thread:
    """A thread, not started, that runs ``target()`` on its own connection:
    what it returns lands in ``out[key]``, an exception in ``out[errors]``."""

    def run() -> None:
        try:
            out[key] = target()
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            out[errors] = exc
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def hold_saves_of(
    monkeypatch, admin_class, username: str
) -> tuple[threading.Event, threading.Event]:
    """``admin_class``'s saves by ``username`` stop once made, their
    transaction not committed: ``saved`` is set then, and they go on (and
    commit) when ``release`` is set. Returns (saved, release)."""
    saved, release = threading.Event(), threading.Event()
    real_save = admin_class.save_model

    def save_and_hold(self, request, obj, form, change):
        real_save(self, request, obj, form, change)
        if request.user.username == username:
            saved.set()
            release.wait(timeout=60)

    monkeypatch.setattr(admin_class, "save_model", save_and_hold)
    return saved, release
