"""The browser tests wait in a way the site's Content-Security-Policy allows."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_browser_test_polls_with_wait_for_function():
    """``wait_for_function`` evaluates its string inside the page whenever the first
    check is false, and the site's CSP (no 'unsafe-eval') refuses that: such a test
    passes or fails by timing. ``conftest.wait_until`` polls through the driver."""
    call = re.compile(r"\.wait_for_function\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*ROOT.glob("newsroom/**/tests/*.py"), *ROOT.glob("tests/*.py")]
        if call.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
