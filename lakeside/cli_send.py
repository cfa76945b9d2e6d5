"""``lakeside send``: post a message from a cron job or a shell script.

    export LAKESIDE_TOKEN=lsb_...          # a bot's token (or a person's session token)
    export LAKESIDE_URL=https://chat.example.com
    lakeside send --to 12 --text "备份完成"
    df -h | lakeside send --to "运维群" --markdown

The token is read from the environment only (a command line shows up in ``ps`` and in shell
history). ``--to`` is a conversation id, or the exact title of one group the caller is in.
Without ``--text`` the message is read from standard input. Each message carries a client
message id (``--client-msg-id``, a fresh one by default) that a retry after a network error
reuses, so a message is stored once however often it went out; run the command again with the
same ``--client-msg-id`` and it answers with the message stored the first time.

Exit status: 0 sent (or already sent), 2 a usage problem (no token, no text, a bad option),
3 the token was refused, 4 the conversation was not found or is not open to the caller,
5 the server could not be reached, 1 any other refusal (printed with the server's code).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Annotated, Any, NoReturn

import httpx
import typer

DEFAULT_URL = "http://127.0.0.1:8000"
RETRIES = 3
EXIT_USAGE, EXIT_TOKEN, EXIT_NOT_FOUND, EXIT_UNREACHABLE, EXIT_REFUSED = 2, 3, 4, 5, 1
TOKEN_CODES = ("TOKEN_INVALID", "SESSION_INVALID", "UNAUTHENTICATED", "ACCOUNT_DEACTIVATED")


class SendFailed(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _fail(message: str, status: int) -> NoReturn:
    raise SendFailed(message, status)


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return "HTTP_ERROR", f"HTTP {response.status_code}: {response.text[:200]}"


def _refused(response: httpx.Response, to: str) -> NoReturn:
    code, message = _error_of(response)
    if response.status_code == 401 or code in TOKEN_CODES:
        _fail(f"the token was refused ({code}): {message} Check LAKESIDE_TOKEN.", EXIT_TOKEN)
    if code == "CONVERSATION_NOT_FOUND":
        _fail(
            f"conversation {to} not found, or the caller is not a member of it (or the token may not "
            f"touch it) ({code})",
            EXIT_NOT_FOUND,
        )
    if code == "MISSING_SCOPE":
        _fail(f"the token may not do this ({code}): {message}", EXIT_TOKEN)
    if code == "BOT_NOT_ALLOWED":
        _fail(f"bot tokens cannot call this ({code}): {message}", EXIT_TOKEN)
    _fail(f"the server refused the message ({code}): {message}", EXIT_REFUSED)


def _request(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The request, retried after network errors (the same request again: sends are idempotent)."""
    for attempt in range(RETRIES + 1):
        try:
            return http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            if attempt == RETRIES:
                reason = exc.__class__.__name__
                _fail(f"cannot reach the server at {http.base_url} ({reason})", EXIT_UNREACHABLE)
            time.sleep(0.3 * (attempt + 1))
    raise AssertionError("unreachable")


def resolve(http: httpx.Client, to: str) -> int:
    """``--to`` as a conversation id: a number as it is, else the one group with that title."""
    stripped = to.strip()
    if stripped.isdigit() and int(stripped) > 0:
        return int(stripped)
    if not stripped:
        _fail("--to is a conversation id or a group's title", EXIT_USAGE)
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        response = _request(http, "GET", "/api/v1/conversations", params=params)
        if response.status_code >= 400:
            _refused(response, to)
        page = response.json()
        found += [
            c for c in page["conversations"] if c.get("kind") != "direct" and c.get("title") == stripped
        ]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if not found:
        _fail(f"no group titled {stripped!r} among the caller's conversations", EXIT_NOT_FOUND)
    if len(found) > 1:
        ids = ", ".join(str(c["id"]) for c in found)
        _fail(f"{len(found)} groups are titled {stripped!r} (ids {ids}); pass --to with an id", EXIT_USAGE)
    return int(found[0]["id"])


def send(
    to: Annotated[
        str, typer.Option("--to", help="A conversation id, or the exact title of one of your groups.")
    ],
    text: Annotated[
        str | None, typer.Option("--text", help="The message; without it, read from standard input.")
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Send as markdown.")] = False,
    client_msg_id: Annotated[
        str | None,
        typer.Option(
            "--client-msg-id",
            help="Idempotency key (1-64 characters): the same id sends once. Default: a fresh one.",
        ),
    ] = None,
    url: Annotated[
        str, typer.Option("--url", envvar="LAKESIDE_URL", help="The server (LAKESIDE_URL).")
    ] = DEFAULT_URL,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each request.", min=0.1)] = 30.0,
) -> None:
    """Send a message as LAKESIDE_TOKEN (a bot token or a session token): for cron jobs and scripts."""
    try:
        message = _send(to, text, markdown, client_msg_id, url, timeout)
    except SendFailed as failed:
        typer.echo(f"error: {failed.message}", err=True)
        raise typer.Exit(failed.status) from None
    typer.echo(message)


def _send(
    to: str, text: str | None, markdown: bool, client_msg_id: str | None, url: str, timeout: float
) -> str:
    token = os.environ.get("LAKESIDE_TOKEN", "").strip()
    if not token:
        _fail("no token: set LAKESIDE_TOKEN to a bot token (lsb_...) or a session token", EXIT_USAGE)
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            _fail("no message: pass --text, or pipe the message into standard input", EXIT_USAGE)
        text = sys.stdin.read()
    body = text.rstrip("\n")
    if not body.strip():
        _fail("the message is empty", EXIT_USAGE)
    key = client_msg_id or uuid.uuid4().hex
    if not 1 <= len(key) <= 64 or not key.isprintable():
        _fail("--client-msg-id is 1 to 64 printable characters", EXIT_USAGE)
    if not url.startswith(("http://", "https://")):
        _fail(f"LAKESIDE_URL must start with http:// or https:// (got {url!r})", EXIT_USAGE)
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "lakeside-send"}
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout) as http:
        conversation_id = resolve(http, to)
        payload = {"client_msg_id": key, "kind": "markdown" if markdown else "text", "body": body}
        response = _request(http, "POST", f"/api/v1/conversations/{conversation_id}/messages", json=payload)
        if response.status_code >= 400:
            _refused(response, to)
        sent = response.json()
    again = " (already sent with this client message id)" if response.status_code == 200 else ""
    return f"sent message {sent['id']} to conversation {conversation_id}{again}"
