"""backup and restore: a consistent copy, destroyed data brought back whole."""

from __future__ import annotations

import json
import os
import shutil
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.backends.base import SearchRequest
from newsroom.search.indexer import drain
from newsroom.search.query import parse

pytestmark = pytest.mark.django_db(transaction=True)


def rows() -> list[tuple]:
    return list(
        Article.objects.order_by("pk").values_list(
            "pk", "headline", "slug", "status", "body"
        )
    )


def test_backup_destroy_restore_compare(tmp_path, settings, search_backend):
    """Articles, media and the secret key survive a backup, a destruction and
    a restore unchanged; the search index is rebuilt from the restored
    database; the backup is private to its owner (0700/0600)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    photo = Path(settings.MEDIA_ROOT) / "2026" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    arts = [f.article(f"Lighthouse keeper {n}", body="lighthouse") for n in range(3)]
    drain(search_backend, wait=10)
    before = rows()

    target = tmp_path / "backup"
    call_command("backup", str(target), "--with-secret-key")
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in target.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path

    # Destroy: articles gone or changed, media overwritten, a stray article.
    Article.objects.filter(pk=arts[0].pk).delete()
    Article.objects.filter(pk=arts[1].pk).update(headline="Vandalised")
    f.article("Not in the backup", body="lighthouse")
    photo.write_bytes(b"overwritten")
    drain(search_backend, wait=10)
    assert rows() != before

    call_command("restore", str(target), "--yes", "--with-secret-key")
    assert rows() == before
    assert photo.read_bytes() == b"\xff\xd8 not really a jpeg"
    assert (settings.VAR_DIR / "secret_key").read_text() == settings.SECRET_KEY
    hits = search_backend.search(SearchRequest(parse("lighthouse"), limit=50)).hits
    assert sorted(h.id for h in hits) == sorted(a.pk for a in arts)


def test_backup_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "file").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "old"))


def test_restore_refuses_a_directory_without_a_manifest(tmp_path):
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(tmp_path), "--yes")


def test_a_restore_that_fails_after_the_database_still_moves_the_epoch(
    tmp_path, settings
):
    """The secret key cannot be written (its path is taken by a folder):
    the restore has replaced the database, then fails. The search epoch
    moved only after the whole restore, so every node kept its index of the
    old database in silence, and the command ended in a traceback. Now the
    epoch moves as soon as the database is replaced, and the failure is one
    clear line."""
    from newsroom.search import nodes

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.txt").write_text("a picture")
    f.article("Kept in the backup")
    target = tmp_path / "backup"
    call_command("backup", str(target), "--with-secret-key")
    (tmp_path / "var" / "secret_key").mkdir(parents=True)
    before = nodes.new_epoch()
    f.article("Written after the backup")
    with pytest.raises(CommandError, match="database was restored"):
        call_command(
            "restore", str(target), "--yes", "--no-rebuild", "--with-secret-key"
        )
    assert [h for (h,) in Article.objects.values_list("headline")] == [
        "Kept in the backup"
    ]
    assert nodes.outbox_state()[1] != before


def site_rows() -> list[tuple]:
    return sorted(Article.objects.values_list("pk", "headline"))


@pytest.mark.parametrize(
    "manifest",
    [
        "[1]",
        '{"format": 1}',
        '{"format": 1, "created_at": "x", "database": "sqlite"}',
        '{"format": 1, "created_at": "x", "database": "postgresql", "file": 5}',
        '{"format": 1, "created_at": "x", "database": "sqlite",'
        ' "file": "newsroom.sqlite3", "media": "yes"}',
    ],
)
def test_restore_refuses_a_malformed_manifest_in_one_line(tmp_path, manifest):
    """A manifest that is not the object backup writes (a list, a key
    missing, a value of the wrong type) is refused with one line naming the
    manifest, and the site is left as it was; it ended in a KeyError or
    AttributeError traceback."""
    f.article("Kept on the site")
    before = site_rows()
    target = tmp_path / "backup"
    call_command("backup", str(target))
    (target / "manifest.json").write_text(manifest)
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(target), "--yes", "--no-rebuild")
    assert site_rows() == before


@pytest.mark.parametrize("name", ["/abs/newsroom.sqlite3", "../newsroom.sqlite3"])
def test_restore_reads_the_database_only_from_the_backup_directory(tmp_path, name):
    """The manifest names the database file; a name with a directory in it
    (absolute, or climbing out with ``..``) is refused before anything is
    opened: it was opened wherever it pointed, a missing file there was
    created empty outside the backup, and that empty database replaced the
    site's."""
    f.article("Kept on the site")
    before = site_rows()
    target = tmp_path / "backup"
    call_command("backup", str(target))
    manifest = json.loads((target / "manifest.json").read_text())
    outside = tmp_path / "outside"
    outside.mkdir()
    manifest["file"] = name.replace("/abs", str(outside))
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(target), "--yes", "--no-rebuild")
    assert site_rows() == before
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "newsroom.sqlite3").exists()


def database_file(target: Path) -> Path:
    return target / json.loads((target / "manifest.json").read_text())["file"]


@pytest.mark.parametrize("damage", ["missing", "garbage", "cut short", "empty"])
def test_restore_refuses_a_backup_whose_database_is_missing_or_damaged(
    tmp_path, damage
):
    """A backup whose database file is gone, is not a database, was cut
    short or holds no tables is refused in one line before the site's
    database is touched. A missing SQLite file was created empty and copied
    over the site's (every article, account and comment lost, then a
    traceback); a damaged one ended in a traceback."""
    f.article("Kept on the site")
    before = site_rows()
    target = tmp_path / "backup"
    call_command("backup", str(target))
    db = database_file(target)
    if damage == "missing":
        db.unlink()
    elif damage == "garbage":
        db.write_bytes(b"not a database at all\n" * 4096)
    elif damage == "cut short":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    else:
        db.unlink()
        if db.suffix == ".sqlite3":
            import sqlite3

            sqlite3.connect(db).close()
        else:
            db.write_bytes(b"")
    with pytest.raises(CommandError, match="database"):
        call_command("restore", str(target), "--yes", "--no-rebuild")
    assert site_rows() == before


def hostile_media(target: Path, kind: str, outside: Path) -> None:
    media = target / "media"
    if kind == "media folder missing":
        shutil.rmtree(media)
    elif kind == "symlink to a file outside":
        (media / "r").mkdir(exist_ok=True)
        (media / "r" / "key.jpg").symlink_to(outside / "secret.txt")
    elif kind == "symlink to a folder outside":
        (media / "r").mkdir(exist_ok=True)
        (media / "r" / "root").symlink_to(outside)
    elif kind == "named pipe":
        os.mkfifo(media / "originals" / "zz.jpg")
    elif kind == "device node":
        try:
            os.mknod(
                media / "originals" / "zero.jpg", stat.S_IFCHR | 0o600, os.makedev(1, 3)
            )
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "secret key missing":
        (target / "secret_key").unlink()


@pytest.mark.parametrize(
    "kind",
    [
        "media folder missing",
        "symlink to a file outside",
        "symlink to a folder outside",
        "named pipe",
        "device node",
        "secret key missing",
    ],
)
def test_restore_refuses_hostile_or_broken_media_and_leaves_the_site_whole(
    tmp_path, settings, kind
):
    """A backup whose media folder is missing, or holds a symlink (nginx
    serves var/media/r/ and follows links: a link to / would publish the
    machine's files) or anything but plain files and folders (a named pipe
    hung the copy; a device node such as /dev/zero filled the disk), or
    whose secret key is missing, is refused in one line before anything is
    replaced: the site's database, media and key are as they were. The
    restore replaced the database first, then deleted var/media and failed
    half way through copying, or copied the links as they were."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "secret_key").write_text("the site's key")
    originals = tmp_path / "media" / "originals"
    originals.mkdir(parents=True)
    (originals / "a.jpg").write_bytes(b"in the backup")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for readers")
    f.article("Kept in the backup")
    target = tmp_path / "backup"
    call_command("backup", str(target), "--with-secret-key")
    hostile_media(target, kind, outside)
    f.article("Written after the backup")
    (originals / "a.jpg").write_bytes(b"the site's own")
    (originals / "b.jpg").write_bytes(b"uploaded after the backup")
    site = site_rows()
    with pytest.raises(CommandError, match="media|secret key"):
        call_command(
            "restore", str(target), "--yes", "--no-rebuild", "--with-secret-key"
        )
    assert site_rows() == site
    assert sorted(p.name for p in (tmp_path / "media").rglob("*")) == [
        "a.jpg",
        "b.jpg",
        "originals",
    ]
    assert (originals / "a.jpg").read_bytes() == b"the site's own"
    assert (settings.VAR_DIR / "secret_key").read_text() == "the site's key"


def test_restore_refuses_a_backup_of_a_newer_version(tmp_path):
    """A backup whose database has a migration this code does not know (taken
    by a newer release) is refused in one line naming it, before anything is
    replaced: it was restored, and the older code then ran on a schema it
    does not know (columns it never fills, tables it never reads) with
    nothing said."""
    from django.db import connection

    from newsroom.search import nodes

    f.article("Kept on the site")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('articles', '9999_from_a_newer_release', CURRENT_TIMESTAMP)"
        )
    target = tmp_path / "backup"
    call_command("backup", str(target))
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE name = '9999_from_a_newer_release'"
        )
    before, epoch = site_rows(), nodes.outbox_state()[1]
    with pytest.raises(CommandError, match="9999_from_a_newer_release"):
        call_command("restore", str(target), "--yes", "--no-rebuild")
    assert site_rows() == before
    assert nodes.outbox_state()[1] == epoch


@pytest.mark.parametrize("where", ["a file", "under a file", "media with a pipe"])
def test_a_backup_that_cannot_be_written_fails_in_one_line_and_leaves_nothing(
    tmp_path, settings, where
):
    """A backup whose target is a file, or sits under one, or whose media
    cannot be copied (a named pipe in var/media), fails with one line and
    exit 1, and leaves no partial backup behind to be mistaken for one (or
    to make the next run refuse a non-empty folder). It ended in a
    NotADirectoryError or shutil.Error traceback (on a full disk, one line
    per file not copied)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.jpg").write_bytes(b"a picture")
    target = tmp_path / "backup"
    if where == "a file":
        target.write_text("not a folder")
    elif where == "under a file":
        (tmp_path / "file").write_text("not a folder")
        target = tmp_path / "file" / "backup"
    else:
        os.mkfifo(tmp_path / "media" / "pipe")
    with pytest.raises(CommandError, match=r"^the backup (into|of) .* failed"):
        call_command("backup", str(target))
    if where == "media with a pipe":
        assert not target.exists()
    else:
        assert not (tmp_path / "file" / "backup").exists()


def test_a_postgresql_restore_leaves_no_table_the_backup_did_not_have(tmp_path):
    """A restore replaces the whole database: a table made after the backup
    (by a newer release's migration, say) is gone, so the migrations table
    and the schema agree and a later ``migrate`` can create it again.
    pg_restore --clean dropped only what the dump held: the table stayed,
    with rows written after the backup, while the restored migrations
    table said it did not exist, and the next migrate failed on "relation
    already exists"."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's online backup replaces the whole file")
    f.article("Kept in the backup")
    target = tmp_path / "backup"
    call_command("backup", str(target))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ops_made_after (id integer)")
    call_command("restore", str(target), "--yes", "--no-rebuild")
    assert "ops_made_after" not in connection.introspection.table_names()
    assert [h for (h,) in Article.objects.values_list("headline")] == [
        "Kept in the backup"
    ]


def test_media_kept_elsewhere_behind_a_link_are_backed_up_and_restored(
    tmp_path, settings
):
    """An operator keeps a folder of pictures on another disk, linked into
    var/media. Backup copied the link as a link, and restore (which refuses
    links in a backup's media: nginx would follow them) refused every such
    backup: the site had no backup that restores. Backup now copies what a
    link inside var/media points to; a link that leads back above
    var/media (a loop) is left out and named."""
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    # A name of its own: other tests' pictures are in this var/media too.
    name = f"archive-{tmp_path.name}"
    elsewhere = tmp_path / "other-disk" / name
    (elsewhere / "ab").mkdir(parents=True)
    (elsewhere / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 an original \xff\xd9")
    (media / name).symlink_to(elsewhere, target_is_directory=True)
    (media / "loop").symlink_to(media.parent, target_is_directory=True)
    f.article("Kept")
    target = tmp_path / "backup"
    try:
        call_command("backup", str(target), "--with-secret-key")
    finally:
        (media / name).unlink()
        (media / "loop").unlink()
    copied = target / "media" / name / "ab" / "photo.jpg"
    assert copied.read_bytes() == b"\xff\xd8 an original \xff\xd9"
    assert not copied.is_symlink() and not (target / "media" / name).is_symlink()
    assert not (target / "media" / "loop").exists()
    call_command("restore", str(target), "--yes", "--no-rebuild", "--with-secret-key")
    restored = media / name / "ab" / "photo.jpg"
    assert restored.read_bytes() == copied.read_bytes()


def test_restore_with_secret_key_from_a_backup_without_one_is_refused_first(
    tmp_path, settings
):
    """``restore --with-secret-key`` asks for the key back; a backup taken
    without ``--with-secret-key`` has none. The restore went ahead in
    silence and left this machine's key, so every session, preview link and
    signed form of the old site stopped working with nothing said. Now it
    is refused in one line before the question and before anything is
    replaced; without the option, a backup that holds a key says it was
    left."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "secret_key").write_text("this machine's key")
    f.article("Kept", body="kept")
    keyless, keyed = tmp_path / "keyless", tmp_path / "keyed"
    call_command("backup", str(keyless))
    call_command("backup", str(keyed), "--with-secret-key")
    f.article("After the backup", body="later")
    before = rows()

    with pytest.raises(CommandError, match="no secret key") as caught:
        # No --yes and no stdin: it must refuse before it asks.
        call_command("restore", str(keyless), "--with-secret-key", "--no-rebuild")
    assert "without --with-secret-key" in str(caught.value)
    assert rows() == before
    assert (settings.VAR_DIR / "secret_key").read_text() == "this machine's key"

    out = StringIO()
    call_command("restore", str(keyed), "--yes", "--no-rebuild", stdout=out)
    assert "secret key was left" in out.getvalue()
    assert (settings.VAR_DIR / "secret_key").read_text() == "this machine's key"
