"""Ingest test helpers: the fixture files, running the command, a fresh index."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsroom.search.tests.conftest import backend_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Run:
    def __init__(self, out: str, err: str) -> None:
        self.out, self.err = out, err

    @property
    def bad_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("bad record")]

    @property
    def duplicate_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("duplicate")]


def import_articles(source, *args: str, refused: bool = False) -> Run:
    """The command's output; ``refused``: every record is bad, so it fails
    (exit 1) after its summary, with its one line at the end of ``err``."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_articles",
            str(source),
            "--progress",
            "none",
            *args,
            stdout=out,
            stderr=err,
        )
    except CommandError as exc:
        if not refused:
            raise
        err.write(f"CommandError: {exc}\n")
    else:
        assert not refused, "the import was not refused"
    return Run(out.getvalue(), err.getvalue())


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def run_import():
    return import_articles


@pytest.fixture
def fresh_index(tmp_path, settings):
    """The default search backend on an empty index in this test's tmp_path."""
    from newsroom.search import aliases
    from newsroom.search.backends import get_backend, reset_backends

    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(tmp_path / "search")
    aliases.clear()
    reset_backends()
    yield get_backend()
    reset_backends()
    aliases.clear()


def index_agrees(backend) -> tuple[set[int], set[int]]:
    """(ids in the index, ids the database says should be there) after draining."""
    from newsroom.search.documents import indexable
    from newsroom.search.indexer import drain

    drain(backend, wait=10)
    return backend.document_ids(), set(indexable().values_list("pk", flat=True))
