"""Accounts: register, log in and out, sessions, the caller's own profile, finding people."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import (
    ServicesDep,
    UserDep,
    clear_session_cookies,
    client_address,
    set_session_cookies,
)
from lakeside.api.schemas import ERRORS, ErrorOut, Ok, Strict, UserOut
from lakeside.api.views import IdPath
from lakeside.domain.inputs import Text
from lakeside.services.accounts import NewSession

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=ERRORS)
# No SMTP server or SMS webhook configured, or the message could not be handed over.
UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"model": ErrorOut}}


class RegisterIn(Strict):
    username: str = Field(max_length=64, examples=["zhangsan"])
    password: str = Field(max_length=256)
    display_name: str | None = Field(default=None, max_length=256, examples=["张三"])
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    invitation_code: str | None = Field(
        default=None, max_length=64, description="A personal referral code records who invited you."
    )
    device_id: str | None = Field(
        default=None, max_length=64, description="The app's install id, kept with the sign-up (fraud checks)."
    )
    use_cookie: bool = Field(
        default=False, description="Web clients: keep the session in an HttpOnly cookie."
    )


class LoginIn(Strict):
    login: str = Field(max_length=320, description="Username, e-mail or phone.")
    password: str = Field(max_length=256)
    use_cookie: bool = Field(
        default=False, description="Web clients: keep the session in an HttpOnly cookie."
    )


class ProfileOut(UserOut):
    phone: str | None
    phone_verified: bool = Field(
        description="The phone number was proved (an SMS code); only then it counts."
    )
    phone_verified_at: int | None
    email: str | None
    email_verified: bool = Field(description="The e-mail address was proved (a link followed).")
    email_verified_at: int | None
    is_admin: bool
    created_at: int


class SessionTokenOut(BaseModel):
    token: str | None = Field(
        description="Send as `Authorization: Bearer <token>`. Shown once; null when the session is a cookie."
    )
    session_id: int
    user: ProfileOut


class SessionOut(BaseModel):
    id: int
    current: bool
    user_agent: str
    address: str
    created_at: int
    last_seen_at: int
    expires_at: int


class ProfileIn(Strict):
    display_name: str | None = Field(default=None, max_length=256)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)


class VerificationSentOut(BaseModel):
    channel: Literal["email", "phone"]
    sent_to: str
    expires_at: int


class EmailVerifiedOut(BaseModel):
    """What following an e-mailed link answers: only what it proved (the link needs no session,
    so whoever holds it learns nothing more of the account)."""

    email: str
    email_verified: bool
    email_verified_at: int


class CodeIn(Strict):
    code: str = Field(max_length=16, examples=["482913"])


class EmailTokenIn(Strict):
    token: str = Field(max_length=128)


class PasswordIn(Strict):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


async def _session_reply(
    request: Request, response: Response, services: ServicesDep, new: NewSession, *, cookie: bool
) -> SessionTokenOut:
    profile = await services.accounts.get_own_profile(new.user_id)
    token: str | None = new.token
    if cookie:
        max_age = services.ctx.settings.session_ttl_days * 86_400
        set_session_cookies(request, response, new.token, max_age)
        token = None
    return SessionTokenOut(token=token, session_id=new.session_id, user=ProfileOut(**profile))


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=SessionTokenOut)
async def register(
    body: RegisterIn, request: Request, response: Response, services: ServicesDep
) -> SessionTokenOut:
    """Create an account and log in. The first account on an empty server is its administrator."""
    new = await services.accounts.do_register(
        **body.model_dump(exclude={"use_cookie"}),
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return await _session_reply(request, response, services, new, cookie=body.use_cookie)


@router.post(
    "/auth/login",
    response_model=SessionTokenOut,
    responses={
        503: {"model": ErrorOut, "description": "DIRECTORY_UNAVAILABLE: the account's LDAP directory"}
    },
)
async def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep
) -> SessionTokenOut:
    """Log in with username, e-mail or phone. Failed attempts are limited per account and address."""
    new = await services.accounts.do_login(
        login=body.login,
        password=body.password,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return await _session_reply(request, response, services, new, cookie=body.use_cookie)


@router.post("/auth/logout", response_model=Ok)
async def logout(user: UserDep, services: ServicesDep, response: Response) -> Ok:
    """End the current session (and clear the web client's cookies)."""
    await services.accounts.do_revoke_session(user, user.session_id)
    clear_session_cookies(response)
    return Ok()


@router.get("/auth/sessions", response_model=list[SessionOut])
async def list_sessions(user: UserDep, services: ServicesDep) -> list[SessionOut]:
    """Every session of the caller, most recently used first."""
    return [SessionOut(**row) for row in await services.accounts.list_sessions(user)]


@router.delete("/auth/sessions/{session_id}", response_model=Ok)
async def revoke_session(session_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Log a session out (e.g. a lost phone)."""
    await services.accounts.do_revoke_session(user, session_id)
    return Ok()


@router.get("/me", response_model=ProfileOut)
async def get_me(user: UserDep, services: ServicesDep) -> ProfileOut:
    return ProfileOut(**await services.accounts.get_own_profile(user.id))


@router.patch("/me", response_model=ProfileOut)
async def update_me(body: ProfileIn, user: UserDep, services: ServicesDep) -> ProfileOut:
    """Change display name, phone or e-mail. Send `null` for phone or e-mail to remove it."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("display_name", "") is None:
        changes.pop("display_name")
    return ProfileOut(**await services.accounts.do_update_profile(user, changes))


@router.post("/me/password", response_model=Ok)
async def change_password(body: PasswordIn, request: Request, user: UserDep, services: ServicesDep) -> Ok:
    """Wrong current passwords count as failed log-ins (429 ``LOGIN_RATE_LIMITED``); a common new
    one is refused (``PASSWORD_TOO_COMMON``). Every other session ends."""
    await services.accounts.do_change_password(
        user, body.current_password, body.new_password, address=client_address(request)
    )
    return Ok()


@router.post("/me/email/verify", response_model=VerificationSentOut, responses=UNAVAILABLE)
async def send_email_verification(
    request: Request, user: UserDep, services: ServicesDep
) -> VerificationSentOut:
    """E-mail a link that proves the address (valid 24 hours). Until then it does not log in,
    receive organization invitations or find you."""
    sent = await services.verification.do_send(user, "email", address=client_address(request))
    return VerificationSentOut(**sent)


@router.post("/auth/verify-email", response_model=EmailVerifiedOut)
async def confirm_email(body: EmailTokenIn, request: Request, services: ServicesDep) -> EmailVerifiedOut:
    """Follow the e-mailed link's token (no session needed). Answers the address it proved."""
    profile = await services.verification.do_confirm_email(body.token, address=client_address(request))
    return EmailVerifiedOut(
        email=profile["email"],
        email_verified=profile["email_verified"],
        email_verified_at=profile["email_verified_at"],
    )


@router.post("/me/phone/verify", response_model=VerificationSentOut, responses=UNAVAILABLE)
async def send_phone_verification(
    request: Request, user: UserDep, services: ServicesDep
) -> VerificationSentOut:
    """Text a six-digit code to the phone number (valid 10 minutes, 5 tries)."""
    sent = await services.verification.do_send(user, "phone", address=client_address(request))
    return VerificationSentOut(**sent)


@router.post("/me/phone/confirm", response_model=ProfileOut)
async def confirm_phone(body: CodeIn, user: UserDep, services: ServicesDep) -> ProfileOut:
    return ProfileOut(**await services.verification.do_confirm_phone(user, body.code))


@router.get("/users/lookup", response_model=list[UserOut])
async def lookup_users(
    q: Annotated[Text, Query(max_length=320, description="Exact username, e-mail or phone.")],
    user: UserDep,
    services: ServicesDep,
) -> list[UserOut]:
    """Find people to befriend, by exact username, e-mail or phone."""
    return [UserOut(**row) for row in await services.accounts.find_users(q)]


# ``:int`` makes /users/<not a number> no route at all (404, like any unknown path) rather than
# this route with a bad id (422).
@router.get("/users/{user_id:int}", response_model=UserOut)
async def get_user(user_id: IdPath, user: UserDep, services: ServicesDep) -> UserOut:
    return UserOut(**await services.accounts.get_user(user_id))
