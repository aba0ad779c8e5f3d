"""Small helpers to read settings from the environment, with types."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def private_dir(path: Path) -> Path:
    """``path`` as a directory, created owner-only (0700) when missing."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def secret_key_from_file(path: Path) -> str:
    """Return the key kept in ``path``, generating it on first use.

    The key never lives in the repository: the first run writes a random one
    with owner-only permissions, later runs (and every worker) read it back.
    """
    private_dir(path.parent)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker won the race: use the key it wrote.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
