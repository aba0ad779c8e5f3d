"""Fail on a private name imported across apps, or from Django's internals.

import-linter checks which app imports which; this checks *what* is
imported: ``from newsroom.web.views import _article_context`` in another app,
or ``from django.middleware.csrf import _unmask_cipher_token`` outside the
tests (a test may compare a copy with Django's own). A
private name stays inside its own app; use the public API or copy the few
lines with a test that pins them (see newsroom/web/csrf.py).

    python scripts/private_imports.py [ROOT]     # exit 1 with one line each
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _app(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "newsroom" else parts[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def findings(root: Path) -> list[str]:
    """One line per offending import under ``root`` (the newsroom package)."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        here = _app(".".join(rel.with_suffix("").parts))
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                pairs = [(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                pairs = [(a.name, "") for a in node.names]
            else:
                continue
            for module, name in pairs:
                top = module.split(".")[0]
                if top not in ("newsroom", "django"):
                    continue
                if top == "newsroom" and _app(module) == here:
                    continue
                if top == "django" and "tests" in rel.parts:
                    continue  # a test may pin our copy to Django's own
                parts = [*module.split("."), name]
                if any(_private(p) for p in parts if p):
                    what = f"{module}.{name}" if name else module
                    out.append(f"{rel}:{node.lineno}: imports private {what}")
    return out


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "newsroom")
    found = findings(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
