"""``lakeside backup`` and ``lakeside restore``: a round trip that compares every table row by row
and every file byte by byte, a snapshot taken under concurrent writes that is still consistent,
a restored server that works, and the refusals (a target holding data, an unknown schema, unsafe
or damaged archives, a PostgreSQL deployment).
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

from lakeside.backup import create_backup, restore_backup
from lakeside.cli import cli
from lakeside.client import LakesideClient
from lakeside.config import Settings
from lakeside.errors import Conflict, Invalid
from tests.conftest import PASSWORD
from tests.live import running_server

runner = CliRunner()


def lakeside(*args: str, **env: str) -> Any:
    """The command line, in process (no LAKESIDE_* from the environment but what is given)."""
    return runner.invoke(cli, list(args), env={"LAKESIDE_DATABASE_URL": "", **env}, catch_exceptions=False)


def rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(database)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        conn.close()


def files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "PNG")
    return buffer.getvalue()


async def seed(url: str) -> tuple[LakesideClient, LakesideClient, int]:
    """Two friends, a group, and a history with every kind of row: text, markdown, a reply, an
    edit, a recall, a reaction, an image with its thumbnail, read cursors."""
    alice, bob = LakesideClient(url), LakesideClient(url)
    await alice.register("alice", PASSWORD, display_name="Alice 陈")
    await bob.register("bob", PASSWORD, display_name="鲍勃")
    request = await alice.request("POST", "/api/v1/friends/requests", json={"user_id": bob.user["id"]})  # type: ignore[index]
    await bob.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
    group = await alice.create_group("备份测试", [bob.user["id"]])  # type: ignore[index]
    first = await alice.send(group["id"], "第一条 message")
    await bob.send(group["id"], "**markdown** reply", kind="markdown", reply_to_id=first["id"])
    edited = await alice.send(group["id"], "typo")
    await alice.request("PATCH", f"/api/v1/messages/{edited['id']}", json={"body": "fixed"})
    recalled = await bob.send(group["id"], "oops, wrong chat")
    await bob.request("POST", f"/api/v1/messages/{recalled['id']}/recall")
    await alice.request("PUT", f"/api/v1/messages/{first['id']}/reactions/👍")
    upload = await alice.request("POST", "/api/v1/files", files={"file": ("photo.png", png(), "image/png")})
    await alice.request(
        "POST",
        f"/api/v1/conversations/{group['id']}/messages",
        json={"client_msg_id": "img-1", "kind": "image", "file_id": upload["id"]},
    )
    await bob.mark_read(group["id"], 2)
    return alice, bob, group["id"]


async def test_backup_while_serving_and_restore_compares_every_row(
    settings: Settings, tmp_path: Path
) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        result = lakeside(
            "backup", str(tmp_path / "pg.tar.gz"), "--data-dir", str(settings.data_dir),
            LAKESIDE_DATABASE_URL=settings.database_url,
        )  # fmt: skip
        assert result.exit_code == 2
        assert "pg_dump" in result.output and not (tmp_path / "pg.tar.gz").exists()
        return
    archive = tmp_path / "backups" / "lakeside.tar.gz"
    restored = tmp_path / "restored"
    async with running_server(settings) as url:
        alice, bob, group_id = await seed(url)
        # A deployment's generated key (these tests pass theirs explicitly) travels with its data.
        (settings.data_dir / "secret_key").write_text("generated on first start")
        # The server is up, holding its connections, while the command takes the snapshot.
        result = await asyncio.to_thread(
            lakeside, "backup", str(archive), "--data-dir", str(settings.data_dir)
        )
        assert result.exit_code == 0, result.output
        assert "schema revision: " in result.output
        source_rows, source_files = rows(settings.data_dir / "lakeside.db"), files(settings.files_dir)
        for client in (alice, bob):
            await client.close()
    assert archive.stat().st_mode & 0o077 == 0, "a backup holds every message: owner-only"

    result = lakeside("restore", str(archive), "--data-dir", str(restored))
    assert result.exit_code == 0, result.output
    restored_rows = rows(restored / "lakeside.db")
    assert set(restored_rows) == set(source_rows)
    for table, expected in source_rows.items():
        assert restored_rows[table] == expected, f"table {table} differs after the round trip"
    assert sum(len(r) for r in source_rows.values()) > 30 and source_rows["alembic_version"]
    assert len(source_files) >= 2  # the image and its thumbnail
    assert files(restored / "files") == source_files
    assert (restored / "secret_key").read_text() == (settings.data_dir / "secret_key").read_text()

    # The restored data directory serves: sessions, history and the image all work.
    served = settings.model_copy(
        update={"data_dir": restored, "database_url": f"sqlite+aiosqlite:///{restored / 'lakeside.db'}"}
    )
    async with running_server(served) as url, LakesideClient(url) as bob:
        await bob.login("bob", PASSWORD)
        history = (await bob.history(group_id))["messages"]
        assert [m["body"] for m in history if m["kind"] == "text"] == ["第一条 message", "fixed", ""]
        image = next(m for m in history if m["kind"] == "image")
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get(image["file"]["url"], headers={"Authorization": f"Bearer {bob.token}"})
        assert response.status_code == 200 and response.content == png()

    # A target that holds data is refused, unless forced.
    result = lakeside("restore", str(archive), "--data-dir", str(restored))
    assert result.exit_code == 2 and "--force" in result.output
    result = lakeside("restore", str(archive), "--data-dir", str(restored), "--force")
    assert result.exit_code == 0, result.output
    assert rows(restored / "lakeside.db") == source_rows


async def test_a_snapshot_under_concurrent_writes_is_consistent(settings: Settings, tmp_path: Path) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        with pytest.raises(Invalid, match="pg_dump"):
            create_backup(settings, tmp_path / "x.tar.gz")
        return
    async with running_server(settings) as url:
        alice, bob, group_id = await seed(url)
        stop = asyncio.Event()

        async def chatter(client: LakesideClient, name: str) -> int:
            sent = 0
            while not stop.is_set():
                await client.send(group_id, f"{name} {sent}")
                sent += 1
            return sent

        writers = [asyncio.create_task(chatter(c, n)) for c, n in ((alice, "a"), (bob, "b"))]
        await asyncio.sleep(0.3)
        manifests = [
            await asyncio.to_thread(create_backup, settings, tmp_path / f"busy{i}.tar.gz") for i in range(2)
        ]
        stop.set()
        assert sum(await asyncio.gather(*writers)) > 0
        for client in (alice, bob):
            await client.close()
    source = rows(settings.data_dir / "lakeside.db")
    columns = [
        c[1]
        for c in sqlite3.connect(settings.data_dir / "lakeside.db").execute("PRAGMA table_info(messages)")
    ]
    for i, manifest in enumerate(manifests):
        target = settings.model_copy(update={"data_dir": tmp_path / f"restored{i}", "database_url": ""})
        restore_backup(target, tmp_path / f"busy{i}.tar.gz")
        snapshot = rows(target.data_dir / "lakeside.db")
        assert {t: len(r) for t, r in snapshot.items()} == manifest.tables
        messages = [dict(zip(columns, r, strict=True)) for r in snapshot["messages"]]
        seqs = sorted(m["seq"] for m in messages if m["conversation_id"] == group_id)
        assert seqs == list(range(1, len(seqs) + 1)), "a snapshot with a gap: not one commit's state"
        conn = sqlite3.connect(target.data_dir / "lakeside.db")
        last_seq = conn.execute("SELECT last_seq FROM conversations WHERE id = ?", (group_id,)).fetchone()[0]
        conn.close()
        assert last_seq == len(seqs)
        # Everything in the snapshot is in the live database, unchanged (sends only append).
        live = {r[0]: r for r in source["messages"]}
        assert all(live[r[0]] == r for r in snapshot["messages"] if r[columns.index("kind")] != "system")


def rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copies a backup, letting ``change(name, data)`` alter (or drop, returning None) each member."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            result = change(member.name, data)
            if result is None:
                continue
            name, data = result
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


async def test_restore_refuses_unknown_schema_unsafe_and_damaged_archives(
    settings: Settings, tmp_path: Path
) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        # pg_restore's job: the command refuses before reading anything.
        with pytest.raises(Invalid, match="pg_restore"):
            restore_backup(settings, tmp_path / "any.tar.gz")
        return
    async with running_server(settings) as url:
        alice, bob, _ = await seed(url)
        for client in (alice, bob):
            await client.close()
    archive = tmp_path / "good.tar.gz"
    create_backup(settings, archive)

    def target(name: str) -> Settings:
        return settings.model_copy(update={"data_dir": tmp_path / name, "database_url": ""})

    def newer(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["schema_revision"] = "9999_from_the_future"
            data = json.dumps(manifest).encode()
        return name, data

    rewrite(archive, tmp_path / "newer.tar.gz", newer)
    with pytest.raises(Conflict) as refused:
        restore_backup(target("a"), tmp_path / "newer.tar.gz")
    assert refused.value.code == "BACKUP_SCHEMA_UNKNOWN"
    assert not (tmp_path / "a" / "lakeside.db").exists()

    rewrite(
        archive,
        tmp_path / "escape.tar.gz",
        lambda n, d: (f"../../escaped/{n}", d) if "files/" in n else (n, d),
    )
    with pytest.raises(Invalid) as refused:
        restore_backup(target("b"), tmp_path / "escape.tar.gz")
    assert refused.value.code == "BACKUP_UNSAFE_MEMBER"
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "b" / "lakeside.db").exists()

    rewrite(
        archive, tmp_path / "damaged.tar.gz", lambda n, d: (n, d[:-1] + b"!") if "files/" in n else (n, d)
    )
    with pytest.raises(Conflict) as refused:
        restore_backup(target("c"), tmp_path / "damaged.tar.gz")
    assert refused.value.code == "BACKUP_CORRUPT"

    rewrite(archive, tmp_path / "bare.tar.gz", lambda n, d: None if n == "manifest.json" else (n, d))
    result = lakeside("restore", str(tmp_path / "bare.tar.gz"), "--data-dir", str(tmp_path / "d"))
    assert result.exit_code == 2 and "manifest" in result.output
