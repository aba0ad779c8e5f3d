"""Consistent backups and restores: the database, var/media, the secret key.

A backup directory holds ``manifest.json``, the database (``newsroom.sqlite3``
taken with SQLite's online backup API while the site runs, or
``newsroom.pgdump`` from ``pg_dump --format=custom``, one consistent
snapshot), ``media/`` and, only when asked, ``secret_key``. The directory
and every file in it are the owner's only (0700/0600): it holds password
hashes, sessions and commenters' addresses.

The search index is not backed up: it is rebuilt from the database after a
restore, and a restore starts a new database epoch so that every other
node's index rebuilds too (``newsroom.search.nodes.new_epoch``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections

from newsroom.db.sqlite3.base import create_private

FORMAT = 1
SQLITE_FILE = "newsroom.sqlite3"
PG_FILE = "newsroom.pgdump"


# A restore copies the backup's media in beside the site's first, and swaps
# them only once the copy is whole. Both live inside var/media itself, which
# may be a mount or a link to storage the nodes share.
STAGED, REPLACED = ".restore-new", ".restore-old"


class BackupError(Exception):
    pass


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _pg_env() -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = ["--host", str(db.get("HOST") or "localhost")]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[:2000]}")
    return done.stdout


def _media_ignore(media: Path, left_out: list[str]):
    """copytree's ``ignore`` for the media: a restore's leftovers, and links
    that lead back to where the copy stands or above it (a loop), which are
    added to ``left_out`` (relative to var/media)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = _restore_leftovers(folder, names)
        here = Path(folder).resolve()
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() and here.is_relative_to(path.resolve()):
                skipped.add(name)
                left_out.append(os.path.relpath(path, media))
        return skipped

    return ignore


def _restore_leftovers(folder: str, names: list[str]) -> set[str]:
    """A restore's copy or replaced media, if one was cut off, are not media."""
    return (
        {STAGED, REPLACED} & set(names)
        if folder == str(Path(settings.MEDIA_ROOT))
        else set()
    )


def backup(target: Path, with_secret_key: bool = False) -> dict:
    """Write a backup into ``target`` (new or empty); returns the manifest.

    A backup that fails leaves nothing in ``target`` (which is removed if
    this made it): no partial copy to be taken for a backup."""
    try:
        if target.exists() and any(target.iterdir()):
            raise BackupError(f"{target} is not empty")
    except OSError as exc:
        raise BackupError(f"the backup into {target} failed: {exc}") from exc
    _check_site()
    made = not target.exists()
    try:
        return _write_backup(target, with_secret_key)
    except (BackupError, OSError, shutil.Error, sqlite3.Error) as exc:
        _remove_partial(target, made)
        detail = exc if isinstance(exc, BackupError) else _first_failure(exc)
        raise BackupError(f"the backup into {target} failed: {detail}") from exc


def _check_site() -> None:
    """The site's database exists and is migrated: a wrong NEWSROOM_VAR_DIR
    or DATABASE_URL is never backed up (nor, on SQLite, created) as an
    empty site."""
    vendor = connection.vendor
    name = connection.settings_dict["NAME"]
    try:
        if vendor == "sqlite":
            uri = f"{Path(name).resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True)) as db:
                tables = db.execute("SELECT name FROM sqlite_master").fetchall()
            migrated = ("django_migrations",) in tables
        else:
            migrated = "django_migrations" in connection.introspection.table_names()
    except (sqlite3.Error, DatabaseError) as exc:
        raise BackupError(f"the backup of the database {name} failed: {exc}") from exc
    if not migrated:
        raise BackupError(
            f"the backup of the database {name} failed: it holds no site "
            f"(not migrated: manage.py migrate)"
        )


def _remove_partial(target: Path, made: bool) -> None:
    if not target.is_dir():
        return
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if made:
        target.rmdir()


def _write_backup(target: Path, with_secret_key: bool) -> dict:
    _private_dir(target)
    old_umask = os.umask(0o077)
    try:
        vendor = connection.vendor
        if vendor == "sqlite":
            source = sqlite3.connect(connection.settings_dict["NAME"])
            copy = sqlite3.connect(target / SQLITE_FILE)
            try:
                source.backup(copy)  # a consistent copy, writers or not
            finally:
                copy.close()
                source.close()
            database = SQLITE_FILE
        elif vendor == "postgresql":
            args, env = _pg_env()
            name = connection.settings_dict["NAME"]
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
                + args
                + ["--file", str(target / PG_FILE), name],
                env,
            )
            database = PG_FILE
        else:
            raise BackupError(f"no backup for the {vendor} database")
        media = Path(settings.MEDIA_ROOT)
        left_out: list[str] = []
        if media.is_dir():
            # What a link inside var/media points to is copied (originals
            # kept on another disk): a backup holds plain files only, which
            # is all restore takes. A link back above where it stands (a
            # loop) is left out and named.
            shutil.copytree(
                media,
                target / "media",
                symlinks=False,
                ignore_dangling_symlinks=True,
                copy_function=shutil.copyfile,
                ignore=_media_ignore(media, left_out),
            )
        if with_secret_key:
            (target / "secret_key").write_text(settings.SECRET_KEY)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": vendor,
            "file": database,
            "media": media.is_dir(),
            "secret_key": with_secret_key,
        }
        if left_out:
            manifest["links_left_out"] = left_out
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return manifest
    finally:
        os.umask(old_umask)


DATABASE_FILES = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}
MANIFEST_TYPES = {"created_at": str, "database": str, "file": str, "media": bool}


def read_manifest(source: Path) -> dict:
    """The backup's manifest, as ``backup`` writes it, or a BackupError.

    The database file is always the one ``backup`` names for its kind, in
    ``source`` itself: a manifest cannot send a restore to another file."""
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} holds no readable manifest.json") from exc
    if not isinstance(manifest, dict):
        raise BackupError(f"{source}/manifest.json is not a backup's manifest")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for key, kind in MANIFEST_TYPES.items():
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"{source}/manifest.json has no valid {key!r}")
    if DATABASE_FILES.get(manifest["database"]) != manifest["file"]:
        raise BackupError(
            f"{source}/manifest.json names an unknown database file "
            f"{manifest['file']!r} for {manifest['database']!r}"
        )
    return manifest


def _open_database(path: Path, vendor: str) -> sqlite3.Connection | None:
    """Check the backup's database before the site's is touched: a regular
    file, intact, with the migrations table every site has. Returns the
    SQLite backup opened read-only (it is never created or written), or
    None for PostgreSQL, whose archive pg_restore has listed."""
    try:
        regular = stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        regular = False
    if not regular:
        raise BackupError(f"the backup holds no database file {path.name}")
    if vendor == "postgresql":
        args, env = _pg_env()
        try:
            _run(["pg_restore", "--list", str(path)], env)
        except BackupError as exc:
            raise BackupError(
                f"the backup's database {path.name} is damaged: {exc}"
            ) from exc
        return None
    # immutable: nothing is created or written beside the backup's file.
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    copy = None
    try:
        copy = sqlite3.connect(uri, uri=True)
        check = copy.execute("PRAGMA quick_check").fetchall()
        tables = copy.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        if copy is not None:
            copy.close()
        raise BackupError(
            f"the backup's database {path.name} is damaged: {exc}"
        ) from exc
    if check != [("ok",)] or not tables:
        copy.close()
        problem = "is damaged" if check != [("ok",)] else "holds no site's tables"
        raise BackupError(f"the backup's database {path.name} {problem}")
    return copy


def _check_media(media: Path) -> None:
    """Only plain folders and files: a link would be served by nginx (which
    follows it out of var/media), a pipe hangs the copy, a device fills it."""
    if media.is_symlink() or not media.is_dir():
        raise BackupError("the backup's media folder is missing")
    for folder, dirs, files in os.walk(media):
        for name in dirs + files:
            mode = (Path(folder) / name).lstat().st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                where = os.path.relpath(os.path.join(folder, name), media)
                raise BackupError(
                    f"the backup's media hold {where!r}, which is not a plain "
                    f"file or folder (a link, a pipe or a device)"
                )


def _first_failure(exc: Exception) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        failures = exc.args[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return f"{failures[0][-1]}{more}"
    return str(exc)


def _stage_media(source: Path, media: Path) -> Path:
    _check_media(source)
    staged = media / STAGED
    try:
        media.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staged, ignore_errors=True)  # a failed restore's
        shutil.copytree(source, staged, symlinks=True)
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(staged, ignore_errors=True)
        raise BackupError(
            f"the backup's media could not be copied (nothing was replaced): "
            f"{_first_failure(exc)}"
        ) from exc
    return staged


def _swap_media(media: Path, staged: Path) -> None:
    """The site's media become the staged copy: renames only, no copying."""
    old = media / REPLACED
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    for entry in list(media.iterdir()):
        if entry.name not in (STAGED, REPLACED):
            entry.rename(old / entry.name)
    for entry in list(staged.iterdir()):
        entry.rename(media / entry.name)
    staged.rmdir()
    shutil.rmtree(old)


def _applied_migrations(path: Path, copy: sqlite3.Connection | None) -> set:
    """(app, name) of every migration applied in the backup's database."""
    if copy is not None:
        return set(copy.execute("SELECT app, name FROM django_migrations"))
    args, env = _pg_env()
    dump = _run(
        ["pg_restore", "--data-only", "--table=django_migrations", "--file=-"]
        + [str(path)],
        env,
    )
    applied, rows = set(), False
    for line in dump.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            columns = line[line.index("(") + 1 : line.index(")")].split(", ")
            app, name, rows = columns.index("app"), columns.index("name"), True
        elif line == "\\.":
            rows = False
        elif rows:
            fields = line.split("\t")
            applied.add((fields[app], fields[name]))
    return applied


def _refuse_a_newer_schema(path: Path, copy: sqlite3.Connection | None) -> None:
    """A backup taken by a newer release has migrations this code does not
    know; restored, this code would run on a schema it cannot read."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or ())  # squashed away since
    try:
        applied = _applied_migrations(path, copy)
    except (BackupError, sqlite3.Error) as exc:
        raise BackupError(f"the backup's migrations are unreadable: {exc}") from exc
    if not applied:
        raise BackupError(f"the backup's database {path.name} holds no site's tables")
    newer = sorted(f"{app}.{name}" for app, name in applied - known)
    if newer:
        more = f" and {len(newer) - 3} more" if len(newer) > 3 else ""
        raise BackupError(
            f"the backup is of a newer release: its database has migrations "
            f"this code does not know ({', '.join(newer[:3])}{more}); restore it "
            f"with that release"
        )


# The whole schema goes, in the restore's one transaction: pg_restore --clean
# drops only what the dump holds, and a table made since (a newer release's
# migration) stayed, with its rows, where the restored migrations table says
# there is none. COMMIT is sent only once pg_restore has finished well: a
# dump that fails half way ends psql's input with the transaction open, and
# the server rolls it back.
REPLACE_SCHEMA = (
    b"SET client_min_messages = warning;\nBEGIN;\n"
    b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"
)


def _pg_replace(dump: Path) -> None:
    """Replace the PostgreSQL database with ``dump`` in one transaction:
    pg_restore's SQL streamed into psql after the schema is dropped."""
    args, env = _pg_env()
    name = connection.settings_dict["NAME"]
    psql = subprocess.Popen(
        ["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1"]
        + ["--output", os.devnull]
        + args
        + ["--dbname", name],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert psql.stdin is not None and psql.stderr is not None
    try:
        psql.stdin.write(REPLACE_SCHEMA)
        psql.stdin.flush()
        sql = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=psql.stdin,
            stderr=subprocess.PIPE,
            env=env,
        )
        if sql.returncode == 0:
            psql.stdin.write(b"COMMIT;\n")
    except BrokenPipeError:  # psql stopped on an error: rolled back
        sql = None
    finally:
        try:
            psql.stdin.close()
        except BrokenPipeError:
            pass
    errors = psql.stderr.read().decode(errors="replace").strip()
    psql.wait()
    if sql is None or sql.returncode != 0 or psql.returncode != 0:
        failed = sql.stderr.decode(errors="replace").strip() if sql else ""
        raise BackupError(f"pg_restore failed: {(failed or errors)[:2000]}")


def refuse_a_missing_key(manifest: dict, with_secret_key: bool) -> None:
    """The key was asked for and the backup has none: the restore would leave
    this machine's key in silence (every session and signed link of the old
    site then fails)."""
    if with_secret_key and not manifest.get("secret_key"):
        raise BackupError(
            "the backup holds no secret key (it was taken without "
            "--with-secret-key): restore it without --with-secret-key to keep "
            "this machine's key"
        )


def restore(
    source: Path,
    with_secret_key: bool = False,
    database_restored: Callable[[], object] | None = None,
) -> dict:
    """Replace the database and var/media with the backup's.

    Everything that can be checked and copied first is: the manifest, the
    database file, the media (copied into var/media beside the site's) and
    the secret key, so a broken or hostile backup leaves the site as it was.
    ``database_restored`` runs as soon as the database is replaced: what
    must follow a new database (the search epoch) follows it even if the
    rest fails. A failure after that is a BackupError that says the
    database was restored."""
    manifest = read_manifest(source)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"the backup is of a {manifest['database']} database, "
            f"this site uses {vendor}"
        )
    refuse_a_missing_key(manifest, with_secret_key)
    key = None
    if with_secret_key:
        try:
            key = (source / "secret_key").read_text()
        except (OSError, ValueError) as exc:
            raise BackupError(f"the backup's secret key is unreadable: {exc}") from exc
    copy = _open_database(source / manifest["file"], vendor)
    media = Path(settings.MEDIA_ROOT)
    staged = None
    try:
        _refuse_a_newer_schema(source / manifest["file"], copy)
        if manifest["media"]:
            staged = _stage_media(source / "media", media)
    except BackupError:
        if copy is not None:
            copy.close()
        raise
    connections.close_all()
    try:
        if copy is not None:
            name = Path(connection.settings_dict["NAME"])
            create_private(name)  # 0600 on a new machine, as the site makes it
            target = sqlite3.connect(name)
            try:
                copy.backup(target)  # page by page, under the database's lock
            finally:
                target.close()
                copy.close()
        else:
            _pg_replace(source / manifest["file"])
    except (BackupError, OSError, sqlite3.Error) as exc:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        raise BackupError(f"the database was not restored: {exc}") from exc
    if database_restored is not None:
        database_restored()
    try:
        if staged is not None:
            _swap_media(media, staged)
        if key is not None:
            key_file = Path(settings.VAR_DIR) / "secret_key"
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key)
    except (OSError, shutil.Error) as exc:
        raise BackupError(
            f"the database was restored, but the media or the secret key were "
            f"not: {_first_failure(exc)}"
        ) from exc
    return manifest
