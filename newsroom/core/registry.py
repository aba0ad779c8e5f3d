"""Registries: how one app contributes to another without either importing it.

An app that offers an extension point reads a registry here; an app that
contributes registers into it from its ``AppConfig.ready()`` (the model is
Django's own ``admin.site.register`` and ``checks.register``). A missing
contribution is simply absent: the comments app uninstalled means no comment
slots, no "most commented" list and no comments feed, never an ImportError.

- ``slot_values``: values for the per-request markers of ``core.slots``
  (comments: ``code`` for the confirmation challenge, ``stamp`` for the
  form's fill-time stamp).
- ``rankings``: "most …" lists by kind (shares: ``read`` and ``shared``;
  comments: ``commented``); each is ``(since, section_id) -> QuerySet`` of
  ``{"article_id", "n"}`` rows.
- ``article_feeds``: per-article feed classes by name (comments: ``comments``),
  served at ``feeds/article/<slug>/<name>/rss/`` and ``…/atom/``.
- ``pages``: page renderers by name (web: ``article``), for an app that shows
  a page again with its own additions (a refused comment form).
- ``comment_import``: where imported comments go (comments: ``comments``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Registry(Generic[T]):
    """Named contributions; a name is taken once (the same value again is fine)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        known = self._items.get(name)
        if known is not None and known is not item:
            raise ImproperlyConfigured(f"{self.label}: {name!r} is registered twice")
        self._items[name] = item
        return item

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(list(self._items.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._items


@dataclass(frozen=True)
class CommentImport:
    """What an importer needs to write comments: the model and its recount."""

    model: Any
    recount: Callable[[set[int]], None]


slot_values: Registry[Callable[..., Any]] = Registry("slot values")
rankings: Registry[Callable[..., Any]] = Registry("rankings")
article_feeds: Registry[type] = Registry("article feeds")
pages: Registry[Callable[..., Any]] = Registry("pages")
comment_import: Registry[CommentImport] = Registry("comment import")
