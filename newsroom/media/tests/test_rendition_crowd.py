"""A crowd asking for renditions not made yet (a fresh deployment, a story
just published, a bot walking every size and format of every picture).

Each request decoded the original for itself: a 50-megapixel PNG is ~200 MB
decoded, so twenty readers of a new story's picture in one worker asked for
gigabytes at once. Now one rendition is made once however many ask for it
(the others wait and serve the file it made), and a process renders at most
``RENDERS_AT_ONCE`` pictures at a time."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.core.files.storage import default_storage

from newsroom.media import renditions, samples
from newsroom.media.library import add_image
from newsroom.media.renditions import SPECS

pytestmark = pytest.mark.django_db(transaction=True)


class Spy:
    """Counts renders and how many ran at once; each one is held a moment so
    that those asked together overlap."""

    def __init__(self, monkeypatch):
        self.real = renditions.render
        self.calls = 0
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        monkeypatch.setattr(renditions, "render", self)

    def __call__(self, *args):
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.3)
            return self.real(*args)
        finally:
            with self.lock:
                self.running -= 1


def at_once(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_one_rendition_asked_for_by_many_at_once_is_made_once(monkeypatch):
    image, _ = add_image(samples.photo(1600, 1000, seed=3), "p.jpg", alt="Boats")
    spy = Spy(monkeypatch)
    names = at_once(8, lambda i: renditions.ensure(image, SPECS["640w"], "webp"))
    assert spy.calls == 1
    assert len(set(names)) == 1 and default_storage.exists(names[0])
    assert len(default_storage.listdir(names[0].rsplit("/", 1)[0])[1]) == 1


def test_a_process_renders_a_few_pictures_at_a_time(monkeypatch):
    image, _ = add_image(samples.photo(1600, 1000, seed=4), "q.jpg", alt="Gulls")
    spy = Spy(monkeypatch)
    asks = [(spec, ext) for spec in ("320w", "640w", "960w", "1280w") for ext in
            ("jpg", "webp")]  # fmt: skip
    names = at_once(
        len(asks), lambda i: renditions.ensure(image, SPECS[asks[i][0]], asks[i][1])
    )
    assert spy.calls == len(asks) and all(default_storage.exists(n) for n in names)
    assert spy.most <= renditions.RENDERS_AT_ONCE < len(asks)


def test_a_rendition_is_never_seen_half_written(monkeypatch):
    """nginx serves a rendition as soon as its file exists (docs/operations.md)
    and marks it immutable for a year. The file was written in place, so a
    reader asking while it was written could get, and keep, a truncated
    picture. It is now written beside and renamed into place: while its
    bytes go out, nothing is at its name."""
    image, _ = add_image(samples.photo(1600, 1000, seed=5), "r.jpg", alt="Quay")
    name = renditions.storage_name(image, SPECS["960w"], "jpg")
    seen: list[bool] = []

    class Watched(renditions.ContentFile):
        def chunks(self, chunk_size=None):
            for n, chunk in enumerate(super().chunks(chunk_size=1024)):
                if n == 1:  # some bytes written, not all
                    seen.append(default_storage.exists(name))
                yield chunk

    monkeypatch.setattr(renditions, "ContentFile", Watched)
    assert renditions.ensure(image, SPECS["960w"], "jpg") == name
    assert seen == [False]
    with default_storage.open(name) as fh:
        assert fh.read() == renditions.render(image, SPECS["960w"], "jpg")
    folder = default_storage.path(name).rsplit("/", 1)[0]
    assert sorted(os.listdir(folder)) == ["960w.jpg"]
