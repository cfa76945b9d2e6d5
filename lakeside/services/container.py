"""The service container that the composition root builds and the API layer reaches through."""

from __future__ import annotations

from lakeside.services.accounts import Accounts
from lakeside.services.context import Context


class Services:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.accounts = Accounts(ctx)

    async def start(self) -> None:
        """Start background tasks (the message writer, deferred jobs)."""

    async def stop(self) -> None:
        """Stop background tasks, letting work in flight finish."""
