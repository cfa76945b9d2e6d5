"""Backup and restore of a SQLite deployment: one ``.tar.gz`` holding a consistent snapshot of the
database, the uploaded files, the secret key and a manifest.

The snapshot is taken online, while the server runs: SQLite's backup API copies the database in
one step inside one read transaction, so it is the database as of one commit, whatever is being
written meanwhile (in WAL mode readers and writers do not block each other). Files are copied
after the snapshot; an upload is written before its row commits, so every file the snapshot
names is already on disk. The manifest records the schema revision, the time, the row count of
every table and the size and SHA-256 of every file, and a restore checks all of them before it
replaces anything.

Restore refuses a data directory that already holds a database or files unless forced, refuses
an archive whose schema revision this version of lakeside does not know (made by a newer one),
and refuses archive members that would land outside the data directory. The server must be
stopped while restoring. PostgreSQL deployments use pg_dump and pg_restore (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import make_url

from lakeside.config import Settings
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Invalid

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "lakeside.db"
SECRET = "secret_key"
FILES = "files"


@dataclass(frozen=True)
class Manifest:
    format: int
    schema_revision: str | None
    created_at: int
    tables: dict[str, int]
    files: dict[str, dict[str, Any]]  # relative path -> {"size", "sha256"}

    def summary(self) -> str:
        return (
            f"schema revision: {self.schema_revision}\n"
            f"rows: {sum(self.tables.values())} in {len(self.tables)} tables; files: {len(self.files)}"
        )

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise Invalid("This is not a lakeside backup this version can read.", code="BACKUP_FORMAT")
        return cls(
            format=data["format"],
            schema_revision=data["schema_revision"],
            created_at=data["created_at"],
            tables=dict(data["tables"]),
            files=dict(data["files"]),
        )


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file the settings point at; a PostgreSQL deployment is refused with a pointer."""
    url = make_url(settings.effective_database_url)
    if not url.drivername.startswith("sqlite"):
        raise Invalid(
            "lakeside backup handles SQLite deployments; for PostgreSQL use pg_dump and pg_restore "
            "(see docs/reliability.md).",
            code="BACKUP_NEEDS_SQLITE",
        )
    if not url.database or url.database == ":memory:":
        raise Invalid("An in-memory database cannot be backed up.", code="BACKUP_NEEDS_SQLITE")
    return Path(url.database)


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def schema_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_database(source: Path, destination: Path) -> None:
    """A consistent copy of a live database (one step of the backup API: one read transaction)."""
    if not source.is_file():
        raise Invalid(f"There is no database at {source}.", code="BACKUP_NO_DATABASE")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
        # A self-contained file: no -wal beside it in the archive.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def create_backup(settings: Settings, archive: Path) -> Manifest:
    """Writes ``archive`` (a .tar.gz) atomically: it appears complete or not at all."""
    source = sqlite_path(settings)
    archive = archive.expanduser().resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".lakeside-backup-", dir=archive.parent) as work:
        snapshot = Path(work) / DATABASE
        snapshot_database(source, snapshot)
        conn = sqlite3.connect(snapshot)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise Conflict("The database snapshot failed its integrity check.", code="BACKUP_CORRUPT")
            tables, revision = table_counts(conn), schema_revision(conn)
        finally:
            conn.close()
        files: dict[str, dict[str, Any]] = {}
        file_paths: list[tuple[str, Path]] = []
        if settings.files_dir.is_dir():
            for path in sorted(settings.files_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    name = path.relative_to(settings.files_dir).as_posix()
                    files[name] = {"size": path.stat().st_size, "sha256": _digest(path)}
                    file_paths.append((name, path))
        manifest = Manifest(FORMAT, revision, now_ms(), tables, files)
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, manifest.to_json())
            tar.add(snapshot, arcname=DATABASE, recursive=False)
            secret = settings.data_dir / SECRET
            if secret.is_file():
                tar.add(secret, arcname=SECRET, recursive=False)
            for name, path in file_paths:
                tar.add(path, arcname=f"{FILES}/{name}", recursive=False)
        os.chmod(partial, 0o600)  # it holds every message and the secret key
        os.replace(partial, archive)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = now_ms() // 1000
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            member = tar.getmember(MANIFEST)
        except KeyError:
            raise Invalid("The archive has no manifest.json.", code="BACKUP_FORMAT") from None
        handle = tar.extractfile(member)
        if handle is None:
            raise Invalid("The archive's manifest is not a file.", code="BACKUP_FORMAT")
        return Manifest.from_json(handle.read())


def known_revision(revision: str | None) -> bool:
    from alembic.script import ScriptDirectory

    from lakeside.store.migrate import alembic_config

    if revision is None:
        return False
    script = ScriptDirectory.from_config(alembic_config())
    return any(rev.revision == revision for rev in script.walk_revisions())


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise Invalid(f"The archive member {member.name!r} is not allowed.", code="BACKUP_UNSAFE_MEMBER")
        top = path.parts[0] if path.parts else ""
        if top not in (MANIFEST, DATABASE, SECRET, FILES):
            raise Invalid(f"The archive member {member.name!r} is not allowed.", code="BACKUP_UNSAFE_MEMBER")
        members.append(member)
    return members


def holds_data(data_dir: Path) -> bool:
    files = data_dir / FILES
    return (data_dir / DATABASE).exists() or (files.is_dir() and any(files.iterdir()))


def restore_backup(settings: Settings, archive: Path, *, force: bool = False) -> Manifest:
    """Unpacks ``archive`` into the settings' data directory after checking it completely."""
    target = sqlite_path(settings)
    data_dir = settings.data_dir
    if target != data_dir / DATABASE:
        raise Invalid(
            f"Restore writes {data_dir / DATABASE}; the settings name {target} as the database.",
            code="BACKUP_TARGET_MISMATCH",
        )
    manifest = read_manifest(archive)
    if not known_revision(manifest.schema_revision):
        raise Conflict(
            f"The backup's schema revision {manifest.schema_revision!r} is unknown to this version of "
            "lakeside (it was made by a newer one); restore it with that version.",
            code="BACKUP_SCHEMA_UNKNOWN",
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    if holds_data(data_dir) and not force:
        raise Conflict(
            f"{data_dir} already holds a database or files; restore into an empty data directory, "
            "or pass --force to replace them.",
            code="RESTORE_TARGET_NOT_EMPTY",
        )
    with tempfile.TemporaryDirectory(prefix=".lakeside-restore-", dir=data_dir) as work:
        staging = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, members=_safe_members(tar), filter="data")
        _verify(staging, manifest)
        for suffix in ("", "-wal", "-shm", "-journal"):
            (data_dir / f"{DATABASE}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(data_dir / FILES, ignore_errors=True)
        os.replace(staging / DATABASE, data_dir / DATABASE)
        if (staging / FILES).is_dir():
            os.replace(staging / FILES, data_dir / FILES)
        if (staging / SECRET).is_file():
            os.replace(staging / SECRET, data_dir / SECRET)
            os.chmod(data_dir / SECRET, 0o600)
    return manifest


def _verify(staging: Path, manifest: Manifest) -> None:
    database = staging / DATABASE
    if not database.is_file():
        raise Invalid("The archive holds no database.", code="BACKUP_FORMAT")
    conn = sqlite3.connect(database)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise Conflict("The database in the archive is damaged.", code="BACKUP_CORRUPT")
        if table_counts(conn) != manifest.tables or schema_revision(conn) != manifest.schema_revision:
            raise Conflict("The database does not match the archive's manifest.", code="BACKUP_CORRUPT")
    finally:
        conn.close()
    present = {
        path.relative_to(staging / FILES).as_posix(): path
        for path in (staging / FILES).rglob("*")
        if path.is_file()
    }
    if set(present) != set(manifest.files):
        raise Conflict("The files in the archive do not match its manifest.", code="BACKUP_CORRUPT")
    for name, path in present.items():
        expected = manifest.files[name]
        if path.stat().st_size != expected["size"] or _digest(path) != expected["sha256"]:
            raise Conflict(f"The file {name} in the archive is damaged.", code="BACKUP_CORRUPT")
