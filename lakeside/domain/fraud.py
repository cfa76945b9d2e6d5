"""Fraud screening of referral farms: pure rules over facts the service loads.

Each rule looks at one kind of fact and returns findings: the account, the rule, and the
parameters that justify it, which :func:`describe` turns into a sentence an admin can check
(zh-CN and English). The rules:

- ``device_burst`` / ``network_burst``: at least K sign-ups from one device id / one network
  address within M minutes (every account in the burst is flagged).
- ``only_inviter``: an account that has sent messages, but only ever to the person who invited it.
- ``dormant``: an account never active after the day it registered, D days on.
- ``invite_chain``: a chain of accounts each invited by the previous one, each signing up within M
  minutes of its inviter, at least L long (the accounts after the first are flagged).

A finding is a suspicion, not a verdict: the flagged friend stops counting until an admin clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Registration:
    user_id: int
    inviter_id: int | None
    ip: str
    device: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Interaction:
    """Whom an account has sent messages to (the other members of the conversations it wrote in)."""

    user_id: int
    inviter_id: int | None
    messages_sent: int
    partners: frozenset[int]


@dataclass(frozen=True, slots=True)
class Activity:
    user_id: int
    registered_day: int
    last_active_day: int | None


@dataclass(frozen=True, slots=True)
class Finding:
    user_id: int
    rule: str
    params: dict[str, Any] = field(hash=False, compare=False)
    related_user_id: int | None = None


def signup_bursts(
    registrations: Iterable[Registration], *, by: str, threshold: int, window_minutes: int
) -> list[Finding]:
    """Every account inside a window of ``window_minutes`` holding at least ``threshold`` sign-ups
    from one device (``by="device"``) or one address (``by="ip"``). Empty keys say nothing."""
    rule = "device_burst" if by == "device" else "network_burst"
    window = window_minutes * MINUTE_MS
    groups: dict[str, list[Registration]] = {}
    for reg in registrations:
        key = reg.device if by == "device" else reg.ip
        if key:
            groups.setdefault(key, []).append(reg)
    findings: dict[int, Finding] = {}
    for key, regs in groups.items():
        regs.sort(key=lambda r: (r.created_at, r.user_id))
        low = 0
        for high in range(len(regs)):
            while regs[high].created_at - regs[low].created_at > window:
                low += 1
            size = high - low + 1
            if size >= threshold:
                for reg in regs[low : high + 1]:
                    best = findings.get(reg.user_id)
                    if best is None or best.params["count"] < size:
                        findings[reg.user_id] = Finding(
                            reg.user_id,
                            rule,
                            {"key": key, "count": size, "minutes": window_minutes},
                        )
    return sorted(findings.values(), key=lambda f: f.user_id)


def only_with_inviter(interactions: Iterable[Interaction]) -> list[Finding]:
    findings = []
    for item in interactions:
        if item.inviter_id is None or item.messages_sent == 0:
            continue
        if item.partners == frozenset({item.inviter_id}):
            findings.append(
                Finding(
                    item.user_id,
                    "only_inviter",
                    {"messages": item.messages_sent, "inviter_id": item.inviter_id},
                    related_user_id=item.inviter_id,
                )
            )
    return sorted(findings, key=lambda f: f.user_id)


def dormant_after_registration(
    activities: Iterable[Activity], *, today: int, after_days: int
) -> list[Finding]:
    """Registered at least ``after_days`` days ago and never active on any later day."""
    findings = []
    for item in activities:
        if today - item.registered_day < after_days:
            continue
        if item.last_active_day is None or item.last_active_day <= item.registered_day:
            findings.append(Finding(item.user_id, "dormant", {"days": today - item.registered_day}))
    return sorted(findings, key=lambda f: f.user_id)


def invite_chains(
    registrations: Iterable[Registration], *, min_length: int, gap_minutes: int
) -> list[Finding]:
    """Chains A → B → C → … where each invited the next and the next signed up within
    ``gap_minutes`` of its inviter's own sign-up; every account after the head of a chain at
    least ``min_length`` long is flagged, with the head and the chain's length as the reason."""
    gap = gap_minutes * MINUTE_MS
    regs = {reg.user_id: reg for reg in registrations}
    children: dict[int, list[int]] = {}
    for reg in regs.values():
        inviter = regs.get(reg.inviter_id) if reg.inviter_id is not None else None
        if inviter is not None and 0 <= reg.created_at - inviter.created_at <= gap:
            children.setdefault(inviter.user_id, []).append(reg.user_id)
    linked = {child for kids in children.values() for child in kids}
    findings: dict[int, Finding] = {}
    for head in sorted(set(children) - linked):
        # Depth-first over the fast-invitation tree from each head: the longest path is the chain.
        stack: list[tuple[int, list[int]]] = [(head, [head])]
        while stack:
            node, path = stack.pop()
            kids = children.get(node, [])
            if not kids and len(path) >= min_length:
                for user_id in path[1:]:
                    if user_id not in findings or findings[user_id].params["length"] < len(path):
                        findings[user_id] = Finding(
                            user_id,
                            "invite_chain",
                            {"head_id": head, "length": len(path)},
                            related_user_id=head,
                        )
            for kid in kids:
                if kid not in path:
                    stack.append((kid, [*path, kid]))
    return sorted(findings.values(), key=lambda f: f.user_id)


REASONS = {
    "device_burst": (
        "{count} accounts signed up from one device ({key}) within {minutes} minutes",
        "同一设备（{key}）在 {minutes} 分钟内注册了 {count} 个账号",
    ),
    "network_burst": (
        "{count} accounts signed up from one network address ({key}) within {minutes} minutes",
        "同一网络地址（{key}）在 {minutes} 分钟内注册了 {count} 个账号",
    ),
    "only_inviter": (
        "sent {messages} messages, all of them to the inviter (user {inviter_id}) and nobody else",
        "共发送 {messages} 条消息，全部只发给邀请人（用户 {inviter_id}），从未与其他人交流",
    ),
    "dormant": (
        "never active again after the day of registration ({days} days ago)",
        "注册当天之后再未活跃（已注册 {days} 天）",
    ),
    "invite_chain": (
        "part of a chain of {length} accounts inviting each other in quick succession, "
        "started by user {head_id}",
        "属于由用户 {head_id} 开始的 {length} 个账号快速相互邀请的链条",
    ),
}


def describe(rule: str, params: dict[str, Any], lang: str = "en") -> str:
    english, chinese = REASONS[rule]
    return (chinese if lang.startswith("zh") else english).format(**params)
