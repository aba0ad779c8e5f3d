"""Fixtures shared by every test package: databases, a live server, a browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent / "shared"
CHROMIUM = "/usr/bin/chromium"


def pytest_report_header(config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    where = db["TEST"]["NAME"]
    if engine != "sqlite3":
        where = f"{db.get('HOST')}:{db.get('PORT')}/{where}"
    return [f"newsroom test database: {engine} ({where})"]


def pytest_sessionfinish(session, exitstatus) -> None:
    from django.conf import settings

    run_dir = getattr(settings, "RUN_DIR", None)
    if run_dir and Path(run_dir).exists():
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The third-party corpora beside the repository; skip when absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent: shared corpora not available here")
    return data


@pytest.fixture(scope="session")
def seed_page() -> str:
    seed = SHARED / "seed"
    files = sorted(seed.glob("*.txt")) if seed.is_dir() else []
    if not files:
        pytest.skip(f"{seed} is absent: the seed page is not available here")
    return files[0].read_text(encoding="utf-8")


def using_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing in CI: make test should install it")
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it with apt)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the tests make beside it are ordinary synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


AXE = Path(__file__).resolve().parent / ".cache/node/node_modules/axe-core/axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (installed from npm by ``make test``), to inject."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} missing in CI: make test should install it")
        pytest.skip(f"{AXE} is not installed (make test installs it with npm)")
    return AXE.read_text()


def axe_violations(page, axe_source: str, impacts=("serious", "critical")) -> list:
    """Run axe-core on the page; the violations of the given impacts."""
    # Evaluated through the driver, not added as an inline <script>: the site's
    # CSP (script-src 'self') would refuse that, and the tab keeps the policy.
    page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def wait_until(page, expression: str, timeout: float = 15.0) -> object:
    """Poll a script expression in the page until it is truthy; its value.

    Playwright's ``wait_for_function`` polls by evaluating the string inside the
    page, which the site's CSP (no 'unsafe-eval') refuses whenever the first
    check is false: the test then fails by timing, not by behaviour.
    ``page.evaluate`` goes through the driver, which the policy does not cover.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {expression}")
        time.sleep(0.05)


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


@pytest.fixture(scope="session", autouse=True)
def _empty_search_index():
    """The session's default search index exists, empty and complete, as the
    indexer's first fill leaves it on an empty database: pages that search
    answer 200 with no hits instead of the 503 of a node with no index.
    Search tests use an index of their own (``search_backend``)."""
    from newsroom.search.backends import get_backend

    backend = get_backend()
    if backend.supports_generations and backend.live_generation() is None:
        with backend.create_generation() as writer:
            writer.commit(0)
            writer.seal(0)
            writer.make_live()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (menus, counters, rate limits), no
    remembered refusals (``core.limits`` keeps them per process) and no kept
    results-page frame (``search.frame``) and no story views buffered
    (``shares.reads``: left in, a flusher an earlier test started wrote them
    at the worker's exit, after its test database was dropped)."""
    from django.core.cache import caches

    from newsroom.core import limits
    from newsroom.search import frame
    from newsroom.shares import reads

    for cache in caches.all():
        cache.clear()
    limits.forget()
    frame.clear()
    reads.buffer.clear()
    yield
    reads.buffer.clear()


_SQLITE_PASS_ONLY = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many browser tests ran, so CI logs show they were not skipped."""
    once = config.stash.get(_SQLITE_PASS_ONLY, 0)
    if once:
        terminalreporter.write_line(
            f"{once} tests that open no database ran on the SQLite pass only"
        )
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "browser" in getattr(report, "keywords", {}) and (
                report.when == "call" or outcome in ("skipped", "error")
            ):
                counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        terminalreporter.write_line(f"browser tests (real Chromium): {parts}")
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "two_nodes" in getattr(report, "keywords", {}) and (
                report.when == "call" or outcome in ("skipped", "error")
            ):
                terminalreporter.write_line(
                    f"two-node test (nginx, Redis) on {engine}: {outcome}"
                )


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


def uses_the_test_database(item) -> bool:
    """Marked ``django_db`` or ``postgres``, or asking for a database fixture."""
    return bool(
        item.get_closest_marker("django_db")
        or item.get_closest_marker("postgres")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items) -> None:
    """A test that uses the browser is a browser test, marked or not.

    On the PostgreSQL pass, a test that never opens the test database runs
    no differently than it did on the SQLite pass: it is left to that pass
    (tests/test_suite_passes.py)."""
    for item in items:
        if {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    if not using_postgres():
        return
    once = [item for item in items if not uses_the_test_database(item)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if uses_the_test_database(item)]
        config.stash[_SQLITE_PASS_ONLY] = len(once)
        # A pytest-xdist worker tells its controller (pytest_testnodedown).
        if hasattr(config, "workeroutput"):
            config.workeroutput["sqlite_pass_only"] = len(once)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist: every worker collects the same tests, so any one's count."""
    once = getattr(node, "workeroutput", {}).get("sqlite_pass_only")
    if once:
        node.config.stash[_SQLITE_PASS_ONLY] = once
