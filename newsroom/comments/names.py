"""Names a commenter does not take unseen: the newsroom's own.

A stranger commenting as "Amira Haddad" under Amira Haddad's story, or as
"The Editor", speaks in the newsroom's voice to every reader of the thread.
Such a comment is held for a moderator (the guard's ``staff_name`` rule),
who sees which name it read as. It is not refused: a reader may share a
name with a journalist, and a moderator can let it through.

A name is read as the other rules read words (``text.fold``: case,
full-width and mathematical letters, characters that show nothing;
``words.as_latin``: look-alike letters of another script among Latin ones),
and compared run of words by run of words with spaces and punctuation
taken out, so "Amira Haddad (staff)", "A m i r a  H a d d a d",
"Amira.Haddad" and "Аmira Haddad" with a Cyrillic "А" all read as her.
"Amira" alone, or "Amira Haddadi", do not.
"""

from __future__ import annotations

import re
import threading

from django.conf import settings

from newsroom.articles.models import Author
from newsroom.core import versions

from .text import fold
from .words import as_latin

# Words that claim a role at the site, whoever types them.
ROLE_NAMES = (
    "editor",
    "the editor",
    "editors",
    "moderator",
    "moderators",
    "admin",
    "administrator",
    "webmaster",
    "newsroom staff",
)
SHORTEST = 4  # letters: a two- or three-letter byline ("AP") holds no one
_WORD = re.compile(r"[^\W_]+")

_lock = threading.Lock()
_kept: dict[str, object] = {"version": None, "names": {}, "longest": 0}


def _words(text: str) -> list[str]:
    return [as_latin(word) for word in _WORD.findall(fold(text))]


def _key(text: str) -> str:
    return "".join(_words(text))


def _names() -> tuple[dict[str, str], int]:
    """{key: the name as written} for every byline, the site's name and the
    role words, and the longest key's length; built again when public
    content changes (a new author)."""
    version = versions.current()
    with _lock:
        if _kept["version"] == version:
            return _kept["names"], _kept["longest"]  # type: ignore[return-value]
    found: dict[str, str] = {}
    for name in (*ROLE_NAMES, settings.SITE_NAME):
        found.setdefault(_key(name), name)
    for name in Author.objects.values_list("name", flat=True).iterator():
        key = _key(name)
        if len(key) >= SHORTEST:
            found.setdefault(key, name)
    longest = max(map(len, found), default=0)
    with _lock:
        _kept.update(version=version, names=found, longest=longest)
    return found, longest


def newsroom_name_in(name: str) -> str:
    """The newsroom's name (a byline, the site's, a role) that ``name``
    reads as or holds, as that name is written; "" when none."""
    words = _words(name)
    if not words:
        return ""
    known, longest = _names()
    for start in range(len(words)):
        run = ""
        for word in words[start:]:
            run += word
            if len(run) > longest:
                break
            found = known.get(run)
            if found:
                return found
    return ""
