"""The application server as the benchmarks start it: granian as
scripts/serve (make run) starts it, without the search indexer."""

from __future__ import annotations

from pathlib import Path


def granian_command(bin_dir: Path, port: int, workers: int, threads: int) -> list[str]:
    """granian serving newsroom.wsgi on 127.0.0.1:``port`` with ``workers``
    processes of ``threads`` blocking threads, logging errors only."""
    return [
        str(bin_dir / "granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--log-level",
        "error",
        "newsroom.wsgi:application",
    ]
