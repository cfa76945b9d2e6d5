"""Incoming webhooks' rules as data, without I/O: the dialects, tokens, and the security settings
DingTalk offers its custom robots (keywords, an IP allowlist, signing) and Feishu its custom bots.

Signing, DingTalk's way: the caller adds ``timestamp`` (milliseconds) and ``sign`` to the URL,
``sign`` being the URL-encoded Base64 of HMAC-SHA256 under the secret of ``timestamp + "\\n" +
secret``. Feishu's way: ``timestamp`` (seconds) and ``sign`` in the JSON body, ``sign`` the
Base64 of HMAC-SHA256 under the key ``timestamp + "\\n" + secret`` of nothing. Either timestamp
must be within an hour of the server's clock. A DingTalk ``sign`` that arrives URL-encoded twice
(a client that encodes what was already encoded) is accepted, as is one whose ``+`` a form
decoder turned into a space.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import unquote

from lakeside.errors import Invalid

DIALECTS = ("dingtalk", "slack", "wecom", "feishu")
SIGNING_DIALECTS = ("dingtalk", "feishu")
KEYWORD_DIALECTS = ("dingtalk", "slack", "feishu")
MAX_KEYWORDS = 10
MAX_KEYWORD_CHARS = 20
MAX_ALLOWLIST = 10
SIGN_WINDOW_MS = 3600 * 1000


def new_token() -> str:
    """A robot's token: 64 hex digits, as DingTalk's access_token looks."""
    return secrets.token_hex(32)


def new_secret() -> str:
    """A signing secret as DingTalk shows one: ``SEC`` and 64 hex digits."""
    return "SEC" + secrets.token_hex(32)


def url_path(dialect: str, token: str) -> str:
    """The path (and query) a robot's token is used at, per dialect."""
    if dialect == "dingtalk":
        return f"/robot/send?access_token={token}"
    if dialect == "slack":
        return f"/hooks/{token}"
    if dialect == "wecom":
        return f"/cgi-bin/webhook/send?key={token}"
    return f"/open-apis/bot/v2/hook/{token}"


def clean_keywords(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        word = value.strip()
        if not word:
            continue
        if len(word) > MAX_KEYWORD_CHARS or "\x00" in word:
            raise Invalid(f"A keyword has at most {MAX_KEYWORD_CHARS} characters.", code="INVALID_KEYWORD")
        if word not in out:
            out.append(word)
    if len(out) > MAX_KEYWORDS:
        raise Invalid(f"At most {MAX_KEYWORDS} keywords.", code="TOO_MANY_KEYWORDS")
    return out


def clean_allowlist(values: list[str]) -> list[str]:
    """Addresses and networks (``203.0.113.7``, ``10.0.0.0/8``, ``2001:db8::/32``), normalised."""
    out: list[str] = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise Invalid(f"{text!r} is not an IP address or network.", code="INVALID_ADDRESS") from None
        if str(network) not in out:
            out.append(str(network))
    if len(out) > MAX_ALLOWLIST:
        raise Invalid(f"At most {MAX_ALLOWLIST} addresses or networks.", code="TOO_MANY_ADDRESSES")
    return out


def address_allowed(address: str, allowlist: list[str]) -> bool:
    if not allowlist:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(net, strict=False) for net in allowlist)


def has_keyword(words: str, keywords: list[str]) -> bool:
    return not keywords or any(word in words for word in keywords)


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """The Base64 signature (before URL-encoding) of a DingTalk timestamp."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _fresh(timestamp: str, now_ms: int, unit_ms: int) -> bool:
    if not timestamp.isdigit() or len(timestamp) > 16:
        return False
    return abs(now_ms - int(timestamp) * unit_ms) <= SIGN_WINDOW_MS


def check_dingtalk(secret: str, timestamp: str, sign: str, now_ms: int) -> str | None:
    """None when the signature holds; else the reason (``timestamp`` or ``sign``). ``sign`` is the
    query parameter as decoded once by the server."""
    if not _fresh(timestamp, now_ms, 1):
        return "timestamp"
    expected = dingtalk_sign(secret, timestamp)
    candidates = {sign, sign.replace(" ", "+"), unquote(sign), unquote(unquote(sign))}
    if any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates if c.isascii()):
        return None
    return "sign"


def check_feishu(secret: str, timestamp: str, sign: str, now_ms: int) -> str | None:
    if not _fresh(timestamp, now_ms, 1000):
        return "timestamp"
    if sign.isascii() and hmac.compare_digest(feishu_sign(secret, timestamp).encode(), sign.encode()):
        return None
    return "sign"
