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
    names -= {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "CI"}
    missing = sorted(n for n in names if f"`{n}`" not in docs)
    assert not missing, f"undocumented settings: {missing}"
