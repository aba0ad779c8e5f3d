"""Backends by alias, from ``NEWSROOM_SEARCH_BACKENDS`` (Django's alias-dict idiom).

One instance per alias and configuration per process: the instance keeps the
open index and its searcher, so a request costs no open or reload unless the
index changed.
"""

from __future__ import annotations

import json
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import SearchBackend

_instances: dict[tuple[str, str], SearchBackend] = {}
_lock = threading.Lock()


def backend_config(alias: str = "default") -> dict:
    backends = settings.NEWSROOM_SEARCH_BACKENDS
    try:
        return backends[alias]
    except KeyError:
        raise ImproperlyConfigured(
            f"NEWSROOM_SEARCH_BACKENDS has no {alias!r} backend"
        ) from None


def load_backend(path: str, alias: str, options: dict) -> SearchBackend:
    """A new backend instance from a dotted path (for temporary indexes too)."""
    cls = import_string(path)
    if not issubclass(cls, SearchBackend):
        raise ImproperlyConfigured(f"{path} is not a SearchBackend")
    return cls(alias, options)


def get_backend(alias: str = "default") -> SearchBackend:
    config = backend_config(alias)
    # Keyed by the configuration too, so override_settings in tests (a fresh
    # index directory) gets a fresh instance instead of a stale open index.
    key = (alias, json.dumps(config, sort_keys=True, default=str))
    backend = _instances.get(key)
    if backend is None:
        with _lock:
            backend = _instances.get(key)
            if backend is None:
                backend = load_backend(
                    config["BACKEND"], alias, config.get("OPTIONS", {})
                )
                _instances[key] = backend
    return backend


def reset_backends() -> None:
    """Forget every instance (tests that delete index directories use it)."""
    with _lock:
        _instances.clear()
