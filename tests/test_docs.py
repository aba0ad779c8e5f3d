"""Every command and setting is documented (a test fails when one is not)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_management_command_is_in_docs_commands():
    docs = (ROOT / "docs" / "commands.md").read_text()
    commands = sorted(
        p.stem
        for p in ROOT.glob("newsroom/*/management/commands/*.py")
        if not p.stem.startswith("_")
    )
    assert commands, "no commands found"
    missing = [c for c in commands if f"`{c}" not in docs]
    assert not missing, f"undocumented commands: {missing}"


def test_every_setting_read_from_the_environment_is_in_docs_settings():
    docs = (ROOT / "docs" / "settings.md").read_text()
    names = set()
    for path in (ROOT / "newsroom").rglob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', text))
        names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', text))
        names |= set(re.findall(r"settings\.(NEWSROOM_[A-Z_]+)", text))
        names |= set(re.findall(r'getattr\(settings,\s*"(NEWSROOM_[A-Z_]+)"', text))
        # Per-app settings declared in each app's conf.py (core/conf.py).
        names |= set(re.findall(r"\b(NEWSROOM_[A-Z_]+)=Option\(", text))
    names -= {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "CI"}
    missing = sorted(n for n in names if f"`{n}`" not in docs)
    assert not missing, f"undocumented settings: {missing}"


def _table_names(doc: str, section: str | None = None) -> list[str]:
    """The backquoted names at the start of each table row (under ``section``)."""
    text = (ROOT / "docs" / doc).read_text()
    if section:
        text = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)`", text, flags=re.MULTILINE)


def test_every_documented_command_exists():
    """docs/commands.md names no manage.py command that is not there."""
    from django.core.management import get_commands

    documented = {row.split()[0] for row in _table_names("commands.md", "manage.py")}
    assert "import_articles" in documented
    stale = sorted(documented - set(get_commands()))
    assert not stale, f"docs/commands.md lists commands that do not exist: {stale}"


def test_make_targets_and_docs_agree():
    """Every phony make target is in docs/commands.md, and every `make X`
    written in the docs or the README is a target of the Makefile."""
    makefile = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)[1].split())
    defined = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    assert phony <= defined, f"phony but undefined: {sorted(phony - defined)}"
    documented = {row.split()[1] for row in _table_names("commands.md", "make")}
    missing = sorted(phony - documented)
    assert not missing, f"make targets missing from docs/commands.md: {missing}"
    written = set()
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        written |= set(re.findall(r"`make ([a-z][a-z-]*)", path.read_text()))
    stale = sorted(written - defined)
    assert not stale, f"the docs name make targets that do not exist: {stale}"


def test_every_documented_setting_exists():
    """Each name in the first column of docs/settings.md is read somewhere."""
    code = "\n".join(
        p.read_text()
        for pattern in ("newsroom/**/*.py", "conftest.py", "scripts/*", "Makefile")
        for p in ROOT.glob(pattern)
        if p.is_file()
    )
    text = (ROOT / "docs" / "settings.md").read_text()
    names = set()
    for cell in re.findall(r"^\| (`[^|]+)\|", text, flags=re.MULTILINE):
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]{2,})`", cell))
    assert "NEWSROOM_SITE_URL" in names
    stale = sorted(n for n in names if n not in code)
    assert not stale, f"docs/settings.md lists settings nothing reads: {stale}"


def test_every_route_is_in_the_docs():
    """Each URL pattern outside the admin appears in docs/*.md, with any
    placeholder written as <name> or {name} (names may differ: `<id>` for
    `<int:pk>`)."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    placeholder = re.compile(r"<[^<>/]+>|\{[^{}/]+\}")
    docs = placeholder.sub(
        "<>", "\n".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    )
    routes = sorted(set(walk(get_resolver().url_patterns)))
    assert len(routes) > 50
    missing = [
        r
        for r in routes
        if not r.startswith("admin/") and "/" + placeholder.sub("<>", r) not in docs
    ]
    assert not missing, f"routes no page of docs/ names: {missing}"
