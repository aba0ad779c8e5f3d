"""The house rules between apps hold: private names stay in their app."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checker():
    spec = importlib.util.spec_from_file_location(
        "private_imports", ROOT / "scripts" / "private_imports.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_private_name_is_imported_across_apps():
    """No module imports another app's private name or Django's internals."""
    assert _checker().findings(ROOT / "newsroom") == []


def test_the_checker_finds_what_the_review_found(tmp_path):
    """The two imports the review found are reported; the same names inside
    their own app, and Django's internals in a pinning test, are not."""
    pkg = tmp_path / "newsroom"
    for rel, text in {
        "comments/views.py": "from newsroom.web.views import _article_context\n",
        "web/front.py": "from django.middleware.csrf import _check_token_format\n",
        "web/other.py": "from newsroom.web.views import _article_context\n",
        "web/tests/test_x.py": "from django.middleware.csrf import _unmask_x\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    found = _checker().findings(pkg)
    assert found == [
        "newsroom/comments/views.py:1: imports private "
        "newsroom.web.views._article_context",
        "newsroom/web/front.py:1: imports private "
        "django.middleware.csrf._check_token_format",
    ]
