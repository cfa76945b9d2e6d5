"""What goes into a data-export archive, and how it is written: a zip streamed to a file under
the data directory, a page of rows at a time, never the whole archive in memory.

A user's archive: ``README.txt`` (what is inside, in Chinese and English), ``profile.json``,
``contacts.json`` (friends, organizations), ``conversations.json`` (every conversation they are
in), ``messages.json`` (the messages THEY sent, not recalled: nothing anyone else wrote),
``favorites.json``, ``files.json`` and the files they uploaded under ``files/``.

An organization's archive: ``README.txt``, ``organization.json``, ``members.json``,
``departments.json`` (with who sits where), ``announcements.json``, ``groups.json``,
``messages.json`` (every message of the organization's groups, not recalled; direct chats are
the people's own and are not in it), ``files.json`` and those messages' files under ``files/``.

The contents are bounded (``export_max_bytes``): files that would pass the bound are left out and
``files.json`` marks them ``"omitted": true``; JSON past the bound fails the export
(``EXPORT_TOO_LARGE``) rather than hand over a silently truncated record.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Row

from lakeside.services.context import Context
from lakeside.store import exports as store

PAGE = 1000
COPY_CHUNK = 1024 * 1024


class ArchiveTooLarge(Exception):
    """The JSON alone passes ``export_max_bytes``."""


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


class ArchiveWriter:
    """A zip being written (synchronous; the builder calls it through ``asyncio.to_thread``).
    ``written`` counts the contents' bytes, against ``limit``."""

    def __init__(self, path: Path, limit: int) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.limit = limit
        self.written = 0
        self._stream: IO[bytes] | None = None

    def _count(self, size: int) -> None:
        self.written += size
        if self.written > self.limit:
            raise ArchiveTooLarge

    def text(self, name: str, content: str) -> None:
        data = content.encode()
        self._count(len(data))
        self.zip.writestr(name, data)

    def open(self, name: str) -> None:
        self._stream = self.zip.open(name, "w", force_zip64=True)

    def append(self, content: str) -> None:
        assert self._stream is not None
        data = content.encode()
        self._count(len(data))
        self._stream.write(data)

    def close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def fits(self, size: int) -> bool:
        return self.written + size <= self.limit

    def copy(self, name: str, source: Path, size: int) -> bool:
        """Add a file from the disk; False when it is missing."""
        if not source.is_file():
            return False
        self._count(size)
        with source.open("rb") as reader, self.zip.open(name, "w", force_zip64=True) as writer:
            shutil.copyfileobj(reader, writer, COPY_CHUNK)
        return True

    def close(self) -> None:
        self.close_stream()
        self.zip.close()


def safe_name(file_id: str, filename: str) -> str:
    """``files/<id>-<name>``: the id keeps names unique, the name is kept readable but never a path."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 0x20 else c for c in filename).strip(". ")
    return f"files/{file_id}-{cleaned[:120] or 'file'}"


def message_out(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "sender_id": row.sender_id,
        "kind": row.kind,
        "body": row.body,
        "reply_to_id": row.reply_to_id,
        "file_id": row.file_id,
        "created_at": row.created_at,
        "edited_at": row.edited_at,
    }


README_USER = """lakeside 数据导出 / lakeside data export

本压缩包是你在 {server} 上的个人数据，按你的要求于 {when}（UTC）生成。
This archive holds your personal data on {server}, made at your request at {when} (UTC).

profile.json        你的资料 / your profile (name, username, phone, e-mail, when you joined)
contacts.json       好友（含备注）与所在组织 / your friends (with your remarks) and organizations
conversations.json  你所在的会话 / the conversations you are in
messages.json       你发送的消息（不含已撤回的；不含他人的消息） / the messages YOU sent (not recalled;
                    nothing anyone else wrote)
favorites.json      你的收藏 / your favourites
files.json          你上传的文件列表 / the files you uploaded; "path" is where each is in this archive
files/              文件本身 / the files themselves

时间均为 Unix 毫秒（UTC）。 Times are Unix milliseconds (UTC).
{omitted}"""

README_ORG = """lakeside 组织数据导出 / lakeside organization export

本压缩包是组织「{name}」在 {server} 上的数据，由管理员于 {when}（UTC）导出。
This archive holds the data of the organization "{name}" on {server}, exported by an admin at
{when} (UTC).

organization.json   组织资料 / the organization's settings
members.json        成员（含已停用） / members, deactivated ones too
departments.json    部门与成员所在部门 / departments, and who sits in each
announcements.json  公告 / announcements
groups.json         组织的群 / the organization's groups
messages.json       群消息（不含已撤回的；不含私聊） / their messages (not recalled; no direct chats)
files.json          消息中的文件列表 / the files sent in them; "path" is where each is in this archive
files/              文件本身 / the files themselves

时间均为 Unix 毫秒（UTC）。 Times are Unix milliseconds (UTC).
{omitted}"""

OMITTED_NOTE = (
    "\n注意：压缩包已达上限 {limit}，部分文件未包含（files.json 中 omitted 为 true）。\n"
    "Note: the archive reached its limit of {limit}; some files are left out\n"
    '("omitted": true in files.json).\n'
)


class ArchiveBuilder:
    """Builds one archive; every read is a short transaction of its own, every write a thread hop."""

    def __init__(self, ctx: Context, writer: ArchiveWriter) -> None:
        self.ctx = ctx
        self.writer = writer
        self.omitted = 0

    async def _run(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(call, *args)

    async def _json(self, name: str, value: Any) -> None:
        await self._run(self.writer.text, name, _dump(value) + "\n")

    async def _stream_rows(
        self, name: str, page: Callable[[int], Awaitable[list[Row[Any]]]], shape: Callable[[Row[Any]], Any]
    ) -> None:
        """A JSON array written a page at a time."""
        await self._run(self.writer.open, name)
        await self._run(self.writer.append, "[")
        after, separator = 0, "\n"
        while rows := await page(after):
            chunk = ",\n".join(json.dumps(shape(row), ensure_ascii=False) for row in rows)
            await self._run(self.writer.append, separator + chunk)
            separator, after = ",\n", rows[-1].id
        await self._run(self.writer.append, "\n]\n")
        await self._run(self.writer.close_stream)

    async def _files(self, rows: list[Row[Any]]) -> None:
        listed = []
        for row in rows:
            path: str | None = safe_name(row.id, row.filename)
            source = self.ctx.settings.files_dir / row.id[:2] / row.id
            omitted = not self.writer.fits(row.size)
            if omitted:
                self.omitted += 1
                path = None
            elif not await self._run(self.writer.copy, path, source, row.size):
                path = None
            listed.append(
                {
                    "id": row.id,
                    "filename": row.filename,
                    "content_type": row.content_type,
                    "size": row.size,
                    "created_at": row.created_at,
                    "path": path,
                    "omitted": omitted,
                }
            )
        await self._json("files.json", listed)

    def _omitted_note(self) -> str:
        if not self.omitted:
            return ""
        return OMITTED_NOTE.format(limit=f"{self.writer.limit // (1024 * 1024)} MiB")

    # -- a user's own data ---------------------------------------------------------------------

    async def user(self, user_id: int, when: str) -> None:
        async with self.ctx.db.read() as conn:
            me = await store.user_row(conn, user_id)
            friends = await store.friends_of(conn, user_id)
            memberships = await store.memberships_of(conn, user_id)
            joined = await store.conversations_of(conn, user_id)
            partners = await store.direct_partners(
                conn, user_id, [c.id for c in joined if c.kind == "direct"]
            )
            favorites = await store.favorites_of(conn, user_id)
            owned = await store.files_owned(conn, user_id)
        if me is None:
            raise LookupError(user_id)
        await self._json("profile.json", _profile(me))
        await self._json(
            "contacts.json",
            {
                "friends": [
                    {
                        "id": f.id,
                        "username": None if f.deleted_at else f.username,
                        "display_name": "" if f.deleted_at else f.display_name,
                        "remark": f.remark,
                        "since": f.created_at,
                    }
                    for f in friends
                ],
                "organizations": [dict(m._mapping) for m in memberships],
            },
        )
        await self._json(
            "conversations.json",
            [
                {**dict(c._mapping), "title": partners.get(c.id, "") if c.kind == "direct" else c.title}
                for c in joined
            ],
        )

        async def page(after: int) -> list[Row[Any]]:
            async with self.ctx.db.read() as conn:
                return await store.sent_messages(conn, user_id, after=after, limit=PAGE)

        await self._stream_rows("messages.json", page, lambda r: message_out(r))
        await self._json("favorites.json", [_favorite(f) for f in favorites])
        await self._files(owned)
        await self._run(
            self.writer.text,
            "README.txt",
            README_USER.format(
                server=self.ctx.settings.public_url or "lakeside", when=when, omitted=self._omitted_note()
            ),
        )

    # -- an organization's data ----------------------------------------------------------------

    async def organization(self, organization_id: int, when: str) -> None:
        async with self.ctx.db.read() as conn:
            organization = await store.organization_row(conn, organization_id)
            members = await store.org_members_of(conn, organization_id)
            departments = await store.departments_of(conn, organization_id)
            seats = await store.department_seats(conn, organization_id)
            announcements = await store.announcements_of(conn, organization_id)
            groups = await store.org_groups(conn, organization_id)
        if organization is None:
            raise LookupError(organization_id)
        await self._json(
            "organization.json",
            {
                "id": organization.id,
                "name": organization.name,
                "owner_id": organization.owner_id,
                "member_count": organization.member_count,
                "retention_days": organization.retention_days,
                "created_at": organization.created_at,
            },
        )
        await self._json("members.json", [dict(m._mapping) for m in members])
        by_department: dict[int, list[dict[str, Any]]] = {}
        for seat in seats:
            by_department.setdefault(seat.department_id, []).append(
                {"user_id": seat.user_id, "is_leader": seat.is_leader}
            )
        await self._json(
            "departments.json",
            [{**dict(d._mapping), "members": by_department.get(d.id, [])} for d in departments],
        )
        await self._json("announcements.json", [dict(a._mapping) for a in announcements])
        await self._json("groups.json", [dict(g._mapping) for g in groups])
        names = {m.user_id: m.name for m in members}
        file_ids: list[str] = []

        async def page(after: int) -> list[Row[Any]]:
            async with self.ctx.db.read() as conn:
                rows = await store.org_messages(conn, organization_id, after=after, limit=PAGE)
            file_ids.extend(r.file_id for r in rows if r.file_id)
            return rows

        def shape(row: Row[Any]) -> dict[str, Any]:
            return {**message_out(row), "sender_name": names.get(row.sender_id or 0, "")}

        await self._stream_rows("messages.json", page, shape)
        unique = sorted(set(file_ids))
        attached: list[Row[Any]] = []
        for start in range(0, len(unique), PAGE):
            async with self.ctx.db.read() as conn:
                attached += await store.files_by_id(conn, unique[start : start + PAGE])
        await self._files(attached)
        await self._run(
            self.writer.text,
            "README.txt",
            README_ORG.format(
                name=organization.name,
                server=self.ctx.settings.public_url or "lakeside",
                when=when,
                omitted=self._omitted_note(),
            ),
        )


def _profile(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "phone": row.phone,
        "email": row.email,
        "email_verified_at": row.email_verified_at,
        "phone_verified_at": row.phone_verified_at,
        "avatar_file_id": row.avatar_file_id,
        "created_at": row.created_at,
        "last_seen_at": row.last_seen_at,
    }


def _favorite(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "conversation_id": row.conversation_id,
        "conversation_title": row.conversation_title,
        "sender_name": row.sender_name,
        "kind": row.kind,
        "body": row.body,
        "file_id": row.file_id,
        "sent_at": row.sent_at,
        "saved_at": row.created_at,
        "recalled": row.recalled_at is not None,
    }
