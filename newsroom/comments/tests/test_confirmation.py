"""The confirmation code: image, question, case, expiry, single use, no bypass."""

from __future__ import annotations

import importlib
import io
import sys
import time

import pytest
from django.core import signing
from PIL import Image

from newsroom.comments.confirmation import answer_for, get_backend
from newsroom.comments.confirmation.base import SALT

pytestmark = pytest.mark.django_db


class _PastSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 601)


def test_code_is_case_insensitive_and_forgives_spaces():
    """A reader may type the code in lower case, with spaces between characters."""
    backend = get_backend()
    challenge = backend.issue()
    code = answer_for(challenge.token)
    assert len(code) == 5
    assert backend.verify(challenge.token, code.lower()).ok
    assert backend.verify(challenge.token, " ".join(code)).ok
    assert backend.verify(challenge.token, code.upper()).ok


def test_wrong_missing_forged_and_expired_codes_are_refused_with_a_reason():
    """Each way a code can fail says which, so the reader gets the right message."""
    backend = get_backend()
    challenge = backend.issue()
    assert backend.verify(challenge.token, "ZZZZZ").reason == "wrong"
    assert backend.verify(challenge.token, "").reason == "missing"
    assert backend.verify(challenge.token[:-2] + "xx", "x").reason == "invalid"
    assert backend.verify("", "x").reason == "invalid"
    old = _PastSigner(salt=SALT).sign("oldchallenge")
    assert backend.verify(old, backend.code_for("oldchallenge")).reason == "expired"


def test_text_question_is_an_alternative_answer_in_digits_or_words():
    """A screen-reader user can answer the written question instead of the image."""
    backend = get_backend()
    assert backend.supports_question
    challenge = backend.issue()
    question = challenge.question
    words = question.removeprefix("What is ").removesuffix("?").split(" plus ")
    from newsroom.comments.confirmation.image import WORDS

    total = WORDS.index(words[0]) + WORDS.index(words[1])
    assert backend.verify(challenge.token, str(total)).ok
    assert backend.verify(challenge.token, WORDS[total].upper()).ok
    assert not backend.verify(challenge.token, str(total + 1)).ok


def test_a_code_can_be_spent_once():
    """Spending records the code; the second spend of the same code fails."""
    backend = get_backend()
    challenge_id = backend.verify(*_solved()).challenge_id
    assert backend.spend(challenge_id) is True
    assert backend.spend(challenge_id) is False


def _solved() -> tuple[str, str]:
    challenge = get_backend().issue()
    return challenge.token, answer_for(challenge.token)


def test_image_is_a_png_drawn_by_the_server_and_forged_tokens_get_404(client):
    """The code image comes from our own URL, is not cached, and needs a real token."""
    challenge = get_backend().issue()
    response = client.get(challenge.image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (220, 70)
    # Drawn from the id: every worker draws the same picture for one code.
    assert client.get(challenge.image_url).content == response.content
    assert client.get("/comments/code/forged:abc:def.png").status_code == 404


def test_new_code_endpoint_gives_a_fresh_token_image_and_question(client):
    """The "new code" button's JSON: a different code each time."""
    first = client.get("/comments/code/new").json()
    second = client.get("/comments/code/new").json()
    assert first["token"] != second["token"]
    assert first["image"].endswith(".png") and first["question"].startswith("What is")


def test_answer_hook_refuses_when_the_test_setting_is_off(settings):
    """Without NEWSROOM_CONFIRMATION_TEST_HOOK the answer cannot be read."""
    token = get_backend().issue().token
    del settings.NEWSROOM_CONFIRMATION_TEST_HOOK
    with pytest.raises(PermissionError):
        answer_for(token)
    settings.NEWSROOM_CONFIRMATION_TEST_HOOK = "yes"  # only True itself opens it
    with pytest.raises(PermissionError):
        answer_for(token)


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
