"""Health: whether the database answers and its schema is at the newest migration (``/healthz``).

Never raises: an unreachable database is an answer (``unreachable``), not an error.
"""

from __future__ import annotations

from lakeside.services.context import Context
from lakeside.store.migrate import current_revision, head_revision


class Health:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def database(self) -> tuple[str, str | None]:
        """(``ok``, ``schema-outdated`` or ``unreachable``; the schema's revision when known)."""
        try:
            await self.ctx.db.ping()
            revision = await current_revision(self.ctx.db)
            return ("ok" if revision == head_revision() else "schema-outdated"), revision
        except Exception:
            return "unreachable", None
