"""Per-app settings: declared once, read with their defaults, checked at startup.

Each app that reads an optional setting declares it in its own ``conf.py``::

    conf = AppSettings(
        "web",
        NEWSROOM_PAGE_CACHE_SECONDS=Option(0, int, at_least(0)),
    )

and reads it as ``conf.NEWSROOM_PAGE_CACHE_SECONDS``: the project's value when
the settings define one, the declared default otherwise, always at call time
(so ``override_settings`` in tests and a changed settings module both work).

``manage.py check`` (and so every server start) validates every declared
setting: a value of the wrong type, or one its check refuses, is an error
(``newsroom.E100``) naming the setting, what it holds and what it must be,
instead of a ``TypeError`` on the first request that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core import checks

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Option:
    """One setting: its default, the type(s) it must have, and an optional
    check that returns a problem ("must be at least 0") or None."""

    default: Any
    kind: type | tuple[type, ...]
    check: Check | None = None


def at_least(low: float) -> Check:
    def check(value: Any) -> str | None:
        return None if value >= low else f"must be at least {low}"

    return check


def between(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be {low} to {high}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


class AppSettings:
    """The optional settings one app reads, with their defaults."""

    declared: ClassVar[list[AppSettings]] = []

    def __init__(self, app: str, **options: Option) -> None:
        self.app = app
        self.options = options
        AppSettings.declared.append(self)

    def __getattr__(self, name: str) -> Any:
        options = self.__dict__.get("options", {})
        if name not in options:
            raise AttributeError(f"{self.__dict__.get('app')} declares no {name}")
        return getattr(settings, name, options[name].default)

    def problems(self) -> list[tuple[str, str]]:
        """(setting, problem) for every declared setting the project got wrong."""
        found = []
        for name, option in self.options.items():
            if not hasattr(settings, name):
                continue
            value = getattr(settings, name)
            kinds = option.kind if isinstance(option.kind, tuple) else (option.kind,)
            # bool is an int in Python; a flag where a number is wanted is
            # a mistake all the same.
            if not isinstance(value, kinds) or (
                isinstance(value, bool) and bool not in kinds
            ):
                found.append(
                    (
                        name,
                        f"must be {_kind_name(option.kind)}, not "
                        f"{type(value).__name__} ({value!r:.60})",
                    )
                )
                continue
            problem = option.check(value) if option.check else None
            if problem:
                found.append((name, f"{problem} (it is {value!r:.60})"))
        return found


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The system check: every app's declared settings have usable values."""
    from django.utils.module_loading import autodiscover_modules

    # Each app's conf.py declares on import; find them all, as the admin
    # finds admin.py modules.
    autodiscover_modules("conf")
    errors: list[checks.CheckMessage] = []
    for declared in AppSettings.declared:
        for name, problem in declared.problems():
            errors.append(
                checks.Error(
                    f"{name} {problem}.",
                    hint=f"Fix {name} in the settings or the environment "
                    f"(read by the {declared.app} app).",
                    id="newsroom.E100",
                )
            )
    return errors


# The core layer's own settings (newsroom.net, core/limits.py).
conf = AppSettings(
    "core",
    # A count of proxies, or their addresses/CIDRs: "", "1", "10.0.0.0/8,…"
    NEWSROOM_TRUSTED_PROXIES=Option("", (str, list, tuple)),
    # "" picks the shared cache when there is one, else the database.
    NEWSROOM_LIMITS_STORE=Option("", str),
)
