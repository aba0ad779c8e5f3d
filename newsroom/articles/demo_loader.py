"""The demo newsroom: original sample articles kept as Markdown files.

Each file in ``newsroom/articles/demo/`` has a small ``key: value`` front matter
(headline, standfirst, section, tags, authors, dateline, days_ago, hour, and
optionally status and correction) and a Markdown body. Dates are relative to
the moment of loading, so a fresh demo always has fresh news.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Article, ArticleNote, Author, Byline, Section, Tag

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_SOURCE = "newsroom-demo"
SECTIONS = [
    ("World", "Conflicts, diplomacy and the people caught between them."),
    ("Politics", "Parliaments, elections, and the policies that follow."),
    ("Business", "Markets, companies, work and money."),
    ("Technology", "The industry, the tools and what they do to us."),
    ("Science", "Research, health, climate and space."),
    ("Sport", "Results, rivalries and the business of games."),
    ("Culture", "Books, film, music, art and ideas."),
]


class DemoFormatError(ValueError):
    pass


@dataclass
class DemoArticle:
    name: str
    headline: str
    standfirst: str
    section: str
    tags: list[str]
    authors: list[str]
    dateline: str
    days_ago: int
    hour: int
    body: str
    status: str = "published"
    corrections: list[tuple[int, str]] = field(default_factory=list)


def parse_demo_file(path: Path) -> DemoArticle:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise DemoFormatError(f"{path.name}: no front matter")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise DemoFormatError(f"{path.name}: front matter is not closed")
    meta: dict[str, str] = {}
    corrections: list[tuple[int, str]] = []
    for line in head.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise DemoFormatError(f"{path.name}: bad front matter line {line!r}")
        key, value = key.strip(), value.strip()
        if key == "correction":
            days, _, note = value.partition("|")
            corrections.append((int(days.strip() or 0), note.strip()))
        else:
            meta[key] = value
    missing = {"headline", "section", "authors", "days_ago"} - meta.keys()
    if missing:
        raise DemoFormatError(f"{path.name}: missing {', '.join(sorted(missing))}")
    return DemoArticle(
        name=path.stem,
        headline=meta["headline"],
        standfirst=meta.get("standfirst", ""),
        section=meta["section"],
        tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
        authors=[a.strip() for a in meta["authors"].split(";") if a.strip()],
        dateline=meta.get("dateline", ""),
        days_ago=int(meta["days_ago"]),
        hour=int(meta.get("hour", 9)),
        body=body.strip() + "\n",
        status=meta.get("status", "published"),
        corrections=corrections,
    )


def demo_articles(directory: Path = DEMO_DIR) -> list[DemoArticle]:
    return [parse_demo_file(p) for p in sorted(directory.glob("*.md"))]


def _get(model, name: str, **defaults):
    obj, _ = model.objects.get_or_create(
        slug=slugify(name)[:100], defaults={"name": name, **defaults}
    )
    return obj


@transaction.atomic
def load_demo(directory: Path = DEMO_DIR, now=None) -> tuple[int, int]:
    """Create the demo sections, people and articles; return (created, kept).

    Loading twice adds nothing: an article already loaded (same demo file) is
    kept as it is, with whatever an editor changed since.
    """
    now = now or timezone.now()
    for position, (name, description) in enumerate(SECTIONS):
        _get(Section, name, description=description, position=position)
    created = kept = 0
    for item in demo_articles(directory):
        if Article.objects.filter(source=DEMO_SOURCE, source_id=item.name).exists():
            kept += 1
            continue
        when = (now - timedelta(days=item.days_ago)).replace(
            hour=item.hour,
            minute=(len(item.headline) * 7) % 60,
            second=0,
            microsecond=0,
        )
        if item.days_ago == 0 and when > now:
            when = now - timedelta(minutes=5 + len(item.headline) % 50)
        status = {"draft": "draft", "scheduled": "published"}.get(
            item.status, "published"
        )
        article = Article(
            headline=item.headline,
            standfirst=item.standfirst,
            body=item.body,
            dateline=item.dateline,
            section=_get(Section, item.section, position=len(SECTIONS)),
            status=status,
            published_at=None if status == "draft" else when,
            source=DEMO_SOURCE,
            source_id=item.name,
        )
        article.save()
        for position, name in enumerate(item.authors):
            person = _get(Author, name)
            Byline.objects.create(article=article, author=person, position=position)
        article.tags.set([_get(Tag, t) for t in item.tags])
        for days, note in item.corrections:
            ArticleNote.objects.create(
                article=article, text=note, noted_at=when + timedelta(days=days)
            )
        created += 1
    for person in Author.objects.filter(bio=""):
        sections = sorted(set(person.articles.values_list("section__name", flat=True)))
        if sections:
            person.bio = f"{person.name} reports on {', '.join(sections)}."
            person.save(update_fields=["bio"])
    return created, kept
