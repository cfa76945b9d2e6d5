"""Account deletion (注销账号, PIPL's right to erasure): the owner of an account deletes it, with
their password.

The rule, one for every conversation (docs/security.md, "Deleting an account"):

- Every message the account sent becomes a tombstone, as if recalled by its sender, through the
  scrub (services/scrub.py): bodies, attachments (deleted from disk), search rows, reactions,
  pins, members' favourites of them, DING texts and stored event payloads all go. Sequence
  numbers stay, so unread counts and receipts stay right. (DingTalk and WeChat keep a departed
  user's messages; lakeside deletes them, because the person asked for their data to go and a
  company that must keep records exports them first: ``POST /api/v1/orgs/{id}/exports``.)
- The profile is anonymised: display name, phone, e-mail, avatar and password are cleared, the
  username becomes ``~<id>`` (which no sign-up can take: usernames start with a letter), so the
  old username, phone and e-mail are free at once. Clients show the account as 已注销用户 /
  "Deleted user" (``deleted: true`` on the public profile). The row stays so that tombstones,
  DINGs and the audit log still name an id.
- Sessions end and sockets close (``session.revoked``); friendships, friend requests, blocks,
  favourites, drafts, reactions, export archives, pending proofs of its addresses and the account's
  own event stream are deleted.
- Organization memberships end as a leave does (organization groups, departments, the audit log
  records ``member.account_deleted``); plain groups are left, and a group the account owns passes
  to an admin, else the longest-standing member. Direct chats stay for the other person.
- An organization's owner cannot delete their account: 409 ``ORG_OWNER_MUST_TRANSFER`` names the
  organizations to hand over first.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import SessionRevoked
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden
from lakeside.services import audit
from lakeside.services.accounts import Accounts, AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.conversations import Conversations
from lakeside.services.files import Files
from lakeside.services.friends import Friends
from lakeside.services.organizations import Organizations
from lakeside.services.scrub import scrub_messages
from lakeside.store import conversations as conversation_store
from lakeside.store import organizations as org_store
from lakeside.store import privacy as store
from lakeside.store import users as user_store
from lakeside.store import verification as verification_store

BATCH = 500
UNUSABLE_PASSWORD = "!deleted"  # no argon2 hash: verification always fails


class AccountDeletion:
    def __init__(
        self,
        ctx: Context,
        accounts: Accounts,
        organizations: Organizations,
        conversations: Conversations,
        friends: Friends,
        files: Files,
    ) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.organizations = organizations
        self.conversations = conversations
        self.friends = friends
        self.files = files
        self.on_deleted: list[Any] = []  # callbacks(user_id) after the commit (export archives)

    async def do_delete(self, user: AuthUser, password: str) -> None:
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user.id)
        if row is None or not await self.accounts.password_matches(row, password):
            raise Forbidden("The password is wrong.", code="BAD_CREDENTIALS")
        forget: set[str] = set()
        try:
            async with self.ctx.transaction() as uow:
                # First: a request of this account racing the deletion (an export) waits for it
                # and then finds the account deleted (services/exports.py).
                await store.lock_account(uow.conn, user.id)
                await self._leave_organizations(uow, user.id)
                await self._leave_groups(uow, user.id)
                for friend_id in await store.friend_ids(uow.conn, user.id):
                    await self.friends._unfriend(uow, user.id, friend_id)
                forget |= await self._scrub_sent(uow, user.id)
                forget.update(await store.delete_own_rows(uow.conn, user.id))
                forget.update(await store.owned_file_ids(uow.conn, user.id))
                await store.delete_export_jobs(uow.conn, user.id)
                # Pending e-mail links and SMS codes name the addresses being cleared.
                await verification_store.delete_proofs(uow.conn, user.id)
                await store.delete_events_for(uow.conn, user.id)
                await self._anonymise(uow, user.id)
        finally:
            self.accounts.sessions.forget_user(user.id)
        for file_id in sorted(forget):
            await self.files.do_forget(file_id)
        for callback in self.on_deleted:
            await callback(user.id)

    async def _leave_organizations(self, uow: UnitOfWork, user_id: int) -> None:
        memberships = await store.organizations_of(uow.conn, user_id)
        owned = sorted(m.organization_id for m in memberships if m.role == "owner")
        if owned:
            raise Conflict(
                "You own an organization: transfer it to someone else before deleting your account.",
                code="ORG_OWNER_MUST_TRANSFER",
                organization_ids=owned,
            )
        for membership in memberships:
            organization = await org_store.get_organization(
                uow.conn, membership.organization_id, for_update=True
            )
            if organization is None:
                continue
            if membership.status == "active":
                await self.organizations.depart(uow, organization, user_id, by=user_id, keep_row=False)
            else:
                await org_store.delete_member(uow.conn, organization.id, user_id)
            await audit.record(
                uow,
                organization_id=organization.id,
                actor_id=user_id,
                action="member.account_deleted",
                target_type="user",
                target_id=user_id,
                details={"role": membership.role},
            )

    async def _leave_groups(self, uow: UnitOfWork, user_id: int) -> None:
        for group in await store.groups_of(uow.conn, user_id):
            if group.role == "owner":
                heir = await store.successor(uow.conn, group.id, user_id)
                if heir is not None:
                    await conversation_store.set_role(uow.conn, group.id, heir, "owner")
            await self.conversations._remove(uow, group.id, user_id, by=user_id, action="member_left")

    async def _scrub_sent(self, uow: UnitOfWork, user_id: int) -> set[str]:
        files: set[str] = set()
        after, now = 0, now_ms()
        while ids := await store.sent_message_ids(uow.conn, user_id, after=after, limit=BATCH):
            files |= (await scrub_messages(uow, ids, by=user_id, now=now)).files
            after = ids[-1]
        return files

    async def _anonymise(self, uow: UnitOfWork, user_id: int) -> None:
        now = now_ms()
        for session_id in await user_store.delete_user_sessions(uow.conn, user_id):
            uow.emit(SessionRevoked(session_id=session_id), to_users(user_id))
        await user_store.update_user(
            uow.conn,
            user_id,
            {
                "username": f"~{user_id}",
                "display_name": "",
                "phone": None,
                "email": None,
                "email_verified_at": None,
                "phone_verified_at": None,
                "password_hash": UNUSABLE_PASSWORD,
                "avatar_file_id": None,
                "is_active": False,
                "is_admin": False,
                "invitation_code": None,
                "search_key": "",
                "deleted_at": now,
                "updated_at": now,
            },
        )
