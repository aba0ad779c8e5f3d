"""Query parameters a route does not know are an error, not silently ignored.

A typo such as ``?sectoin=sport`` would otherwise return the unfiltered list
and look like a working filter; a 400 naming the known parameters is clearer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from .errors import ApiError


def query_names(operation: Any) -> set[str]:
    """The query parameter names an operation declares (aliases included)."""
    names: set[str] = set()
    for model in operation.models:
        if getattr(model, "__ninja_param_source__", None) != "query":
            continue
        flat = getattr(model, "__ninja_flatten_map__", None)
        if flat:
            names.update(flat)
        else:
            for name, field in model.model_fields.items():
                names.add(field.alias or name)
    return names


View = Callable[..., HttpResponse]


def reject_unknown_query(run: View) -> View:
    """Wrap an operation's ``run`` (ninja "view" decorator mode)."""
    operation = run.__self__  # type: ignore[attr-defined]
    allowed = query_names(operation)

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            return operation.api.on_exception(
                request,
                ApiError(
                    400,
                    "unknown_parameter",
                    f"Unknown query parameter(s): {', '.join(unknown)}; "
                    f"this route knows: {known}.",
                    [{"in": "query", "field": name} for name in unknown],
                ),
            )
        return run(request, *args, **kwargs)

    return wrapper
