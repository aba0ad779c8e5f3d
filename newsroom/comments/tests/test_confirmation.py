"""The confirmation code: image, binding, case, expiry, single use, no bypass."""

from __future__ import annotations

import importlib
import io
import sys
import threading
import time

import pytest
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client
from PIL import Image

from newsroom.articles.tests import factories as f
from newsroom.comments.confirmation import answer_for, get_backend, scope
from newsroom.comments.confirmation.base import SALT

pytestmark = pytest.mark.django_db


class _PastSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 601)


def test_code_is_case_insensitive_and_forgives_spaces():
    """A reader may type the code in lower case, with spaces between characters."""
    backend = get_backend()
    challenge = backend.issue()
    code = answer_for(challenge.token, 1)
    here = scope(1, "127.0.0.0/24")
    assert len(code) == 5
    assert backend.verify(challenge.token, code.lower(), here).ok
    assert backend.verify(challenge.token, " ".join(code), here).ok
    assert backend.verify(challenge.token, code.upper(), here).ok


def test_a_code_is_bound_to_its_article_and_network():
    """The answer read for one article on one network is wrong anywhere else."""
    backend = get_backend()
    token = backend.issue().token
    code = answer_for(token, 1, "198.51.100.0/24")
    assert backend.verify(token, code, scope(1, "198.51.100.0/24")).ok
    assert backend.verify(token, code, scope(2, "198.51.100.0/24")).reason == "wrong"
    assert backend.verify(token, code, scope(1, "203.0.113.0/24")).reason == "wrong"


def test_wrong_missing_forged_and_expired_codes_are_refused_with_a_reason():
    """Each way a code can fail says which, so the reader gets the right message."""
    backend = get_backend()
    challenge = backend.issue()
    here = scope(1, "127.0.0.0/24")
    assert backend.verify(challenge.token, "ZZZZZ", here).reason == "wrong"
    assert backend.verify(challenge.token, "", here).reason == "missing"
    assert backend.verify(challenge.token[:-2] + "xx", "x", here).reason == "invalid"
    assert backend.verify("", "x", here).reason == "invalid"
    old = _PastSigner(salt=SALT).sign("oldchallenge")
    answer = backend.code_for("oldchallenge", here)
    assert backend.verify(old, answer, here).reason == "expired"


def test_there_is_no_written_question_to_answer():
    """The page's alternative is not text a bot can read: no question, no sum."""
    backend = get_backend()
    assert not hasattr(backend.issue(), "question")
    challenge = backend.issue()
    here = scope(1, "127.0.0.0/24")
    # The old question's answers ("11", "eleven") are just wrong codes now.
    assert not any(backend.verify(challenge.token, str(n), here).ok for n in range(20))


def test_blind_guessing_passes_less_than_once_in_ten_thousand():
    """23 characters, 5 places, one try per code: about 1 in 6.4 million."""
    from newsroom.comments.confirmation.image import ALPHABET, ImageCodeBackend

    assert len(ALPHABET) ** get_backend().length > 6_000_000
    assert len(ALPHABET) ** 3 > 10_000  # the shortest LENGTH allowed
    with pytest.raises(ImproperlyConfigured):
        ImageCodeBackend({"LENGTH": 2})


def test_a_code_can_be_spent_once():
    """Spending records the code; the second spend of the same code fails."""
    backend = get_backend()
    challenge = get_backend().issue()
    answer = answer_for(challenge.token, 1)
    verdict = backend.verify(challenge.token, answer, scope(1, "127.0.0.0/24"))
    assert backend.spend(verdict.challenge_id) is True
    assert backend.spend(verdict.challenge_id) is False


def test_image_is_a_png_drawn_by_the_server_and_forged_tokens_get_404(client):
    """The code image comes from our own URL, is not cached, and needs a real token."""
    a = f.article()
    challenge = get_backend().issue()
    url = f"{challenge.image_url}?article={a.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (220, 70)
    # Drawn from the id: every worker draws the same picture for one code.
    assert client.get(url).content == response.content
    # Another network sees another code for the same token.
    elsewhere = client.get(url, REMOTE_ADDR="198.51.100.7").content
    assert elsewhere != response.content
    assert (
        client.get(f"/comments/code/forged:abc:def.png?article={a.pk}").status_code
        == 404
    )
    assert client.get(challenge.image_url).status_code == 404  # no article


class HeldDrawing:
    """Stands in for ``render_png``: counts the drawings running at once and
    holds each until ``release`` is set, so those asked together overlap."""

    def __init__(self, real) -> None:
        self.real = real
        self.running = self.most = self.calls = 0
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, *args) -> bytes:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(timeout=30)
            return self.real(*args)
        finally:
            with self.lock:
                self.running -= 1


@pytest.mark.django_db(transaction=True)
def test_a_crowd_asking_for_code_images_gets_a_few_drawn_at_a_time(
    monkeypatch, settings
):
    """Thirty requests for code images at once (a client asking for
    hundreds): the process draws at most ``RENDERS_AT_ONCE`` of them at a
    time; a request that finds no slot free within ``RENDER_WAIT`` gets 503
    with Retry-After, and those drawn are PNGs. Every one was drawn at once,
    so one client could take every core of every worker."""
    settings.NEWSROOM_CONFIRMATION = {
        "BACKEND": "newsroom.comments.confirmation.image.ImageCodeBackend",
        "OPTIONS": {"RENDERS_AT_ONCE": 2, "RENDER_WAIT": 0.2},
    }
    a = f.article()
    backend = get_backend()
    held = HeldDrawing(backend.render_png)
    monkeypatch.setattr(backend, "render_png", held)
    urls = [f"{backend.issue().image_url}?article={a.pk}" for _ in range(30)]
    barrier = threading.Barrier(len(urls))
    answers: list = []

    def ask(url: str) -> None:
        try:
            barrier.wait(timeout=30)
            answers.append(Client().get(url))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    # Those held drawing are let go once every other request has its answer
    # (or once more than the bound are drawing: the old code's failure).
    deadline = time.monotonic() + 30
    while (
        len(answers) < len(urls) - 2 and held.running <= 2
    ) and time.monotonic() < deadline:
        time.sleep(0.02)
    held.release.set()
    for t in threads:
        t.join(timeout=60)
    assert held.most == 2
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 2 + [503] * 28
    for r in answers:
        if r.status_code == 503:
            assert r["Retry-After"] == "1" and "no-store" in r["Cache-Control"]
        else:
            assert Image.open(io.BytesIO(r.content)).size == (220, 70)
    # The slots are free again: the next request is drawn.
    assert Client().get(urls[0]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_api_challenge_draws_its_image_within_the_same_bound(monkeypatch, settings):
    """The API's challenge carries its image inline: drawing it takes one of
    the process's slots too, and with none free it answers 503 ``busy`` with
    Retry-After (it drew every image at once, whatever was drawing)."""
    settings.NEWSROOM_CONFIRMATION = {
        "BACKEND": "newsroom.comments.confirmation.image.ImageCodeBackend",
        "OPTIONS": {"RENDERS_AT_ONCE": 1, "RENDER_WAIT": 0},
    }
    a = f.article()
    backend = get_backend()
    held = HeldDrawing(backend.render_png)
    monkeypatch.setattr(backend, "render_png", held)
    url = f"{backend.issue().image_url}?article={a.pk}"

    def draw() -> None:
        try:
            Client().get(url)
        finally:
            connections.close_all()

    drawing = threading.Thread(target=draw)
    drawing.start()
    deadline = time.monotonic() + 30
    while held.running < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        response = Client().post(
            "/api/v1/comments/challenge",
            {"article_id": a.pk},
            content_type="application/json",
        )
    finally:
        held.release.set()
        drawing.join(timeout=60)
    assert held.most == 1
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "busy"
    assert response["Retry-After"] == "1"


def test_the_drawing_bound_and_wait_are_checked_at_startup():
    """RENDERS_AT_ONCE below 1, or a RENDER_WAIT that is not 0 to 30
    seconds, is refused when the backend is made."""
    from newsroom.comments.confirmation.image import ImageCodeBackend

    for options in (
        {"RENDERS_AT_ONCE": 0},
        {"RENDER_WAIT": -1},
        {"RENDER_WAIT": "nan"},
        {"RENDER_WAIT": 3600},
    ):
        with pytest.raises(ImproperlyConfigured):
            ImageCodeBackend(options)


def test_new_code_endpoint_gives_a_fresh_token_and_image(client):
    """The "new code" button's JSON: a different code each time, and no question."""
    a = f.article()
    first = client.get(f"/comments/code/new?article={a.pk}").json()
    second = client.get(f"/comments/code/new?article={a.pk}").json()
    assert first["token"] != second["token"]
    assert first["image"].endswith(f".png?article={a.pk}")
    assert set(first) == {"token", "image"}


def test_answer_hook_refuses_when_the_test_setting_is_off(settings):
    """Without NEWSROOM_CONFIRMATION_TEST_HOOK the answer cannot be read."""
    token = get_backend().issue().token
    del settings.NEWSROOM_CONFIRMATION_TEST_HOOK
    with pytest.raises(PermissionError):
        answer_for(token, 1)
    settings.NEWSROOM_CONFIRMATION_TEST_HOOK = "yes"  # only True itself opens it
    with pytest.raises(PermissionError):
        answer_for(token, 1)


def test_production_settings_define_no_bypass(monkeypatch, tmp_path):
    """newsroom.settings.prod has no test hook and no other way around the code."""
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("NEWSROOM_VAR_DIR", str(tmp_path))
    for name in ["newsroom.settings.prod", "newsroom.settings.base"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    prod = importlib.import_module("newsroom.settings.prod")
    assert not hasattr(prod, "NEWSROOM_CONFIRMATION_TEST_HOOK")
    assert prod.NEWSROOM_CONFIRMATION["BACKEND"].endswith("ImageCodeBackend")
    assert all(
        k in {"LENGTH", "TIMEOUT", "FONT"}
        for k in prod.NEWSROOM_CONFIRMATION["OPTIONS"]
    )
