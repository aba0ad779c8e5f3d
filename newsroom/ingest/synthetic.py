"""A reproducible synthetic news archive for benchmarks (100,000 to 1,000,000 rows).

Every article is a pure function of ``(seed, index, end, vocabulary)``: article
``i`` comes out the same whatever the count, the batch size or the number of
worker processes, so ``--count 1000`` is a prefix of ``--count 2000``.

Words follow a Zipf-like law. When the shared corpora are present we take only
their *word counts* (never a sentence, never word order) and draw words with
those frequencies; otherwise a built-in rank list with 1/rank weights is used.
The text is a word salad with news-like shape: 6-14 word headlines, bodies of
150-900 words in paragraphs, some block quotes, datelines, tags and bylines.
"""

from __future__ import annotations

import gzip
import html
import json
import random
import re
from bisect import bisect
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from django.utils.text import slugify

SOURCE = "newsroom-synthetic"
YEARS = 20
# Section names are the demo newsroom's; weights are roughly a daily paper's mix.
SECTION_WEIGHTS = {
    "World": 22,
    "Politics": 16,
    "Business": 18,
    "Technology": 12,
    "Science": 10,
    "Sport": 14,
    "Culture": 8,
}
CORPUS_FILES = (
    "bbc/articles.jsonl.gz",
    "bbc/bbcsport.jsonl.gz",
    "reuters21578/articles.jsonl.gz",
    "agnews/test.jsonl.gz",
)
# Letters (with inner apostrophes or hyphens) or plain numbers: nothing that
# Markdown or HTML would read as syntax, so the cheap renderer stays exact.
WORD_RE = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)?|[0-9]{1,4}")
VOCABULARY_SIZE = 30000
# Built-in fallback, in rough frequency order (common English and news words).
BUILTIN_WORDS = """
the of to and a in is that for on it was with as he said by at from his be
this have are not an has but were they which had will their been its who
would more one about up after new also people there two year first last
government could when than out over into years other time some all no can
she her what if only we them just such three police state country before
most last may week officials told minister between against under where city
while because many president world since million report during million public
four people home party group news national local market company business day
international five found security later political since court percent health
military killed workers leaders water months former north south east west
economic announced region support plan according early power election forces
children school high major second help back part family law held deal talks
including team best chief three area council public rights local team service
money growth prices bank trade oil energy climate study research scientists
university hospital doctors patients technology software data internet users
phone online digital network companies investors shares profit sales budget
tax spending debt rates inflation jobs workers union strike protest crowd
capital streets troops fighters city old wall gaps coalition ceasefire aid
refugees families border village town river coast island storm flood fire
drought crops farmers food season match game club league cup final coach
players fans goal win won lost record race title champion stadium festival
film music book novel artist museum theatre show audience critics award prize
director writer song album stage gallery history culture tradition language
church mayor parliament vote voters campaign candidate opposition reform bill
committee inquiry report evidence trial judge lawyers prison charges crime
arrest victims attack bomb blast explosion army navy air strike missile
weapons peace agreement treaty summit talks envoy ambassador foreign embassy
sanctions exports imports industry factory plant cars electric battery solar
wind nuclear gas coal emissions carbon ocean forest species wildlife animals
planet space moon mission rocket satellite telescope launch engineers
computer chips robots artificial intelligence privacy cameras rules regulator
airline flights airport trains rail roads traffic bridge housing rent homes
""".split()
FIRST_NAMES = """
Amira Tom Lena Samuel Priya Jonas Claire Mateo Hana Oliver Nadia Felix Grace
Omar Sofia Daniel Yuki Ruth Ibrahim Elena Marcus Leila Pablo Ingrid Kwame Mei
Lucas Fatima Henrik Chloe Rafael Aisha Viktor Zara Noah Julia Tariq Maren Ethan
Anika Diego Esther Luca Sana Pieter Rosa Kenji Alice Hugo Nia Stefan Laila Ben
""".split()
LAST_NAMES = """
Haddad Kessler Brandt Okafor Sharma Lindqvist Moreau Alvarez Tanaka Bennett
Rahman Novak Fischer Costa Mensah Ivanova Dubois Keller Nakamura Osei Petrov
Garcia Jensen Laurent Mwangi Rossi Suzuki Weber Yilmaz Andersson Becker Chen
Duarte Eriksen Farouk Gallo Hughes Ito Jovanovic Kaplan Lopez Murphy Nilsen
""".split()
DATELINES = """
LONDON PARIS BERLIN BRUSSELS GENEVA ZURICH ROME MADRID LISBON WARSAW KYIV
ISTANBUL BEIRUT BAGHDAD CAIRO NAIROBI LAGOS JOHANNESBURG DELHI MUMBAI DHAKA
BANGKOK JAKARTA MANILA TOKYO SEOUL BEIJING SYDNEY WELLINGTON TORONTO WASHINGTON
CHICAGO MEXICO BOGOTA LIMA SANTIAGO BRASILIA
""".split()


@dataclass(frozen=True)
class Vocabulary:
    """Words with cumulative weights, most frequent first, and where they came from."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]
    origin: str

    @property
    def content(self) -> tuple[str, ...]:
        # Past the 150 most common words: what headlines and tags are made of.
        return self.words[150:3000] or self.words


@lru_cache(maxsize=4)
def corpus_vocabulary(data_dir: str) -> Vocabulary | None:
    """Word frequencies counted over the shared corpora, or None when absent."""
    counts: Counter[str] = Counter()
    used = []
    for name in CORPUS_FILES:
        path = Path(data_dir) / name
        if not path.is_file():
            continue
        used.append(name)
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                counts.update(WORD_RE.findall(row.get("body") or ""))
    if not counts:
        return None
    # Fold case variants onto their most frequent spelling, so "the" and "The"
    # are one word and "Iraq" keeps its capital.
    spelled: dict[str, tuple[int, str]] = {}
    folded: Counter[str] = Counter()
    for word, n in counts.items():
        key = word.lower()
        folded[key] += n
        if n > spelled.get(key, (0, ""))[0]:
            spelled[key] = (n, word)
    ranked = sorted(folded.items(), key=lambda kv: (-kv[1], kv[0]))[:VOCABULARY_SIZE]
    words = tuple(spelled[k][1] for k, n in ranked if n >= 2)
    weights = [float(folded[w.lower()]) for w in words]
    return Vocabulary(words, tuple(accumulate(weights)), f"corpora: {', '.join(used)}")


def builtin_vocabulary() -> Vocabulary:
    words = tuple(dict.fromkeys(BUILTIN_WORDS))  # keep first (highest) rank
    weights = (1.0 / (rank + 1) ** 1.07 for rank in range(len(words)))
    return Vocabulary(words, tuple(accumulate(weights)), "built-in word list")


def default_data_dir() -> Path:
    from django.conf import settings

    return Path(settings.BASE_DIR).parent / "shared" / "data"


def load_vocabulary(data_dir: Path | None = None, builtin: bool = False) -> Vocabulary:
    """The corpora's word statistics when present, else the built-in list."""
    if not builtin:
        found = corpus_vocabulary(str(data_dir or default_data_dir()))
        if found is not None:
            return found
    return builtin_vocabulary()


@dataclass
class SyntheticArticle:
    index: int
    headline: str
    slug: str
    standfirst: str
    paragraphs: list[tuple[bool, str]]  # (is_quote, text)
    dateline: str
    section: str
    tags: list[str]
    authors: list[str]
    published_at: datetime
    updated_at: datetime
    source_id: str = ""
    # Made where the article is made (a worker process, when there are some).
    body: str = field(default="", repr=False)
    body_html: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.body:
            self.body = (
                "\n\n".join(f"> {t}" if q else t for q, t in self.paragraphs) + "\n"
            )
        if not self.body_html:
            self.body_html = render_paragraphs(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(t.split()) for _, t in self.paragraphs)

    def as_json(self, seed: int) -> dict:
        """The shared-data JSON Lines shape (plus tags), for importer benchmarks."""
        return {
            "id": f"synthetic-{seed}-{self.index}",
            "title": self.headline,
            "body": "\n\n".join(t for _, t in self.paragraphs),
            "published": self.published_at.isoformat(),
            "category": self.section,
            "author": " and ".join(self.authors),
            "url": f"https://synthetic.example/{self.slug}",
            "source": "Newsroom synthetic archive",
            "tags": self.tags,
        }


def render_paragraphs(paragraphs: list[tuple[bool, str]]) -> str:
    """What ``render_markdown`` makes of plain paragraphs and ``>`` quotes, cheaply.

    Markdown plus nh3 costs about 0.6 ms per article (ten minutes per million);
    for text with no Markdown syntax the result is this, byte for byte (a test
    compares the two on generated articles).
    """
    out = []
    for quote, text in paragraphs:
        p = f"<p>{html.escape(text, quote=False)}</p>"
        out.append(f"<blockquote>\n{p}\n</blockquote>" if quote else p)
    return "\n".join(out)


class ArchiveGenerator:
    """Makes article ``i`` of the archive for ``seed``; cheap to build, picklable."""

    def __init__(self, seed: int, end: datetime, vocabulary: Vocabulary) -> None:
        self.seed = seed
        self.end = end
        self.vocab = vocabulary
        pool = random.Random(f"newsroom-synthetic-pools:{seed}")
        content = list(vocabulary.content)
        tags: list[str] = []
        for word in pool.sample(content, min(len(content), 600)):
            name = word[:1].upper() + word[1:]
            if pool.random() < 0.3:
                other = pool.choice(content)
                name = f"{name} {other[:1].upper()}{other[1:]}"
            tags.append(name)
        # One name per slug: two spellings of one tag would be one row.
        by_slug: dict[str, str] = {}
        for name in tags:
            by_slug.setdefault(slugify(name)[:100], name)
        self.tags = list(by_slug.values())
        self.tag_weights = list(accumulate(1 / (r + 1) for r in range(len(self.tags))))
        people = {
            f"{pool.choice(FIRST_NAMES)} {pool.choice(LAST_NAMES)}" for _ in range(400)
        }
        self.authors = sorted(people)
        pool.shuffle(self.authors)
        self.author_weights = list(
            accumulate(1 / (r + 1) ** 0.8 for r in range(len(self.authors)))
        )
        self.sections = list(SECTION_WEIGHTS)
        self.section_weights = list(accumulate(SECTION_WEIGHTS.values()))
        self.span = timedelta(days=365.25 * YEARS)

    def _words(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.vocab.words, cum_weights=self.vocab.cum_weights, k=n)

    def _sentence(self, words: list[str], rng: random.Random) -> str:
        if len(words) > 12 and rng.random() < 0.4:
            cut = rng.randrange(4, len(words) - 4)
            words[cut] += ","
        first = words[0]
        words[0] = first[:1].upper() + first[1:]
        return " ".join(words) + "."

    def _paragraph(self, rng: random.Random, n_words: int) -> str:
        words = self._words(rng, n_words)
        sentences, at = [], 0
        while at < n_words:
            size = min(n_words - at, rng.randint(9, 30))
            if n_words - at - size < 6:
                size = n_words - at
            sentences.append(self._sentence(words[at : at + size], rng))
            at += size
        return " ".join(sentences)

    def _headline(self, rng: random.Random) -> str:
        n = rng.randint(6, 14)
        content = self.vocab.content
        words = [
            rng.choice(content) if rng.random() < 0.55 else w
            for w in self._words(rng, n)
        ]
        words[-1] = rng.choice(content)
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words)

    def article(self, index: int) -> SyntheticArticle:
        rng = random.Random(self.seed * 1_000_003 + index)
        headline = self._headline(rng)
        total = int(min(900, max(150, rng.lognormvariate(5.85, 0.45))))
        paragraphs: list[tuple[bool, str]] = []
        left = total
        while left > 0:
            size = min(left, rng.randint(35, 90))
            if left - size < 20:
                size = left
            quote = bool(paragraphs) and not paragraphs[-1][0] and rng.random() < 0.12
            text = self._paragraph(rng, size)
            if quote:
                speaker = rng.choice(self.authors).split()[0]
                text = f"“{text[:-1]},” said {speaker} {rng.choice(LAST_NAMES)}."
            paragraphs.append((quote, text))
            left -= size
        # More stories in recent years, as in a real archive.
        age = self.span * (rng.random() ** 1.6)
        published = self.end - age - timedelta(seconds=rng.randrange(60, 3600))
        published = published.replace(microsecond=0)
        updated = published
        if rng.random() < 0.05:
            updated = published + timedelta(hours=rng.randint(1, 72))
            updated = min(updated, self.end)
        n_authors = 1 if rng.random() < 0.85 else 2
        authors = list(
            dict.fromkeys(
                rng.choices(self.authors, cum_weights=self.author_weights, k=n_authors)
            )
        )
        tags = list(
            dict.fromkeys(
                rng.choices(
                    self.tags, cum_weights=self.tag_weights, k=rng.randint(1, 4)
                )
            )
        )
        section = self.sections[
            bisect(self.section_weights, rng.random() * self.section_weights[-1])
        ]
        slug = f"{slugify(headline)[:150].strip('-')}-{self.seed}x{index}"
        return SyntheticArticle(
            index=index,
            headline=headline,
            slug=slug,
            standfirst=self._paragraph(rng, rng.randint(16, 32)),
            paragraphs=paragraphs,
            dateline=rng.choice(DATELINES),
            section=section,
            tags=tags,
            authors=authors,
            published_at=published,
            updated_at=updated,
            source_id=f"{self.seed}-{index}",
        )

    def batch(self, start: int, stop: int) -> list[SyntheticArticle]:
        return [self.article(i) for i in range(start, stop)]


def default_end() -> datetime:
    """Midnight UTC today: the archive is reproducible for a given --end."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def write_jsonl(path: Path, articles, seed: int) -> int:
    """Write articles as JSON Lines (gzip when the name ends in .gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    kwargs = {"compresslevel": 5} if path.suffix == ".gz" else {}
    with opener(path, "wt", encoding="utf-8", **kwargs) as handle:
        return write_lines(handle, articles, seed)


def write_lines(handle, articles, seed: int) -> int:
    """Write articles as JSON Lines to an open text stream; how many."""
    n = 0
    for batch in articles:
        for item in batch:
            handle.write(json.dumps(item.as_json(seed), ensure_ascii=False) + "\n")
            n += 1
    return n


_WORKER: ArchiveGenerator | None = None


def _worker_batch(bounds: tuple[int, int]) -> list[SyntheticArticle]:
    assert _WORKER is not None
    return _WORKER.batch(*bounds)


def batches(gen: ArchiveGenerator, start: int, count: int, size: int, jobs: int = 1):
    """Yield lists of articles ``start .. start+count`` in order, ``size`` at a time.

    With ``jobs > 1`` forked processes make the text while the caller writes
    (articles depend only on their index, so the result is the same).
    """
    stop = start + count
    bounds = [(i, min(i + size, stop)) for i in range(start, stop, size)]
    if jobs <= 1 or len(bounds) < 2:
        for lo, hi in bounds:
            yield gen.batch(lo, hi)
        return
    import multiprocessing

    from django.db import connections

    global _WORKER
    _WORKER = gen
    connections.close_all()  # a forked child must not share the parent's sockets
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        # A bounded window of batches in flight: imap would let the workers
        # run ahead of a slow writer and hold the whole archive in memory.
        window: deque = deque()
        todo = iter(bounds)
        for item in todo:
            window.append(pool.apply_async(_worker_batch, (item,)))
            if len(window) >= 2 * jobs:
                break
        while window:
            result = window.popleft().get()
            nxt = next(todo, None)
            if nxt is not None:
                window.append(pool.apply_async(_worker_batch, (nxt,)))
            yield result
    _WORKER = None
