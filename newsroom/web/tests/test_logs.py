"""The log says what the operator asked for, and a flood can't fill it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from newsroom.web import logs

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("Not Found: /nowhere/")
logging.getLogger("django.request").error("Internal Server Error: /boom/")
"""


def _stderr(level: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.base",
        "LOG_LEVEL": level,
        "SECRET_KEY": "log-test-" + "x" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_log_level_error_keeps_djangos_warnings_out():
    """LOG_LEVEL=ERROR: a 4xx warning from Django's own loggers is not printed
    (it was: they hand records to the root's handler past the root's level);
    errors are; LOG_LEVEL=WARNING prints both."""
    quiet = _stderr("ERROR")
    assert "Not Found" not in quiet and "Internal Server Error" in quiet
    loud = _stderr("WARNING")
    assert "Not Found" in loud and "Internal Server Error" in loud


def _record(request, status: int) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "x", (), None)
    record.status_code = status
    record.request = request
    return record


def test_a_flood_of_refusals_is_logged_once_per_route_and_network_a_minute(
    monkeypatch,
):
    """500 answers of 429 to one network give one line; another network, another
    route, a 404 and the next minute each get theirs."""
    logs.forget()
    now = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: now[0])
    keep = logs.RefusalsOncePerMinute().filter
    factory = RequestFactory()
    flood = factory.get("/search/", {"q": "x"}, REMOTE_ADDR="203.0.113.7")
    assert sum(keep(_record(flood, 429)) for _ in range(500)) == 1
    other = factory.get("/search/", REMOTE_ADDR="198.51.100.7")
    assert keep(_record(other, 429))
    assert keep(_record(factory.get("/api/v1/tags", REMOTE_ADDR="203.0.113.7"), 429))
    assert all(keep(_record(flood, 404)) for _ in range(3))
    now[0] += logs.WINDOW
    assert keep(_record(flood, 429))


@pytest.mark.parametrize("request_attr", [None, "not a request"])
def test_the_filter_never_raises_on_odd_records(request_attr):
    """A record without a usable request is let through, never an exception."""
    logs.forget()
    assert logs.RefusalsOncePerMinute().filter(_record(request_attr, 429))
