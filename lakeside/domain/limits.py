"""Rate-limit policies as data: their names, their defaults, and the ``"COUNT/SECONDS"`` specs
that settings give them, parsed and validated without I/O.

``config.py`` validates the ``rate_limits`` setting with ``check_limits``; ``services/limits.py``
turns the specs into ``Policy`` values and counts with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What the policies are called in settings: an action, then "_per_user" or "_per_address".
ACTIONS = (
    "signup",
    "friend_requests",
    "invitations",
    "invitation_previews",
    "verifications",
    "sends",
    "uploads",
    "dings",
    "drafts",
    "webhooks",
    "bot_sends",
    "sso_logins",
    "todos",
    "approvals",
    "reports",
)
DEFAULT_LIMITS: dict[str, str] = {
    "signup_per_address": "200/3600",
    "friend_requests_per_user": "100/3600",
    "friend_requests_per_address": "500/3600",
    "invitations_per_user": "200/3600",
    "invitations_per_address": "1000/3600",
    # Look-ups of organization invitation codes (public) and joins with them: enough for an office
    # behind one address opening its links, far too few to find live codes by trying.
    "invitation_previews_per_user": "60/3600",
    "invitation_previews_per_address": "300/3600",
    # Proofs of e-mail addresses and phone numbers: each sends an e-mail or an SMS.
    "verifications_per_user": "10/3600",
    "verifications_per_address": "100/3600",
    "sends_per_user": "6000/60",
    "sends_per_address": "30000/60",
    "uploads_per_user": "300/3600",
    "uploads_per_address": "1000/3600",
    "dings_per_user": "100/3600",
    "dings_per_address": "500/3600",
    "drafts_per_user": "300/60",
    "drafts_per_address": "3000/60",
    # Incoming webhooks: per robot (its bot's user id), as DingTalk limits a custom robot to 20
    # messages a minute; and per calling address, across all the robots it posts to.
    "webhooks_per_user": "20/60",
    "webhooks_per_address": "600/60",
    # Messages an API bot's tokens post (as well as sends_per_user): a chatty script is slowed
    # down, as DingTalk's robots are (20 a minute there).
    "bot_sends_per_user": "60/60",
    # Single sign-ons started (each keeps a row until it ends or expires): an office behind one
    # address logging in of a morning, not a flood of rows.
    "sso_logins_per_address": "600/3600",
    # To-dos made or edited: each may put a work notice before up to 100 assignees.
    "todos_per_user": "300/3600",
    "todos_per_address": "1500/3600",
    # Approval requests submitted or resubmitted, commented, transferred or given approvers, and
    # daily reports sent or commented: each puts work notices before other people.
    "approvals_per_user": "300/3600",
    "approvals_per_address": "1500/3600",
    "reports_per_user": "300/3600",
    "reports_per_address": "1500/3600",
}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window: float  # seconds


def parse_policy(name: str, spec: str) -> Policy | None:
    """``"N/S"`` is N per S seconds; ``"off"`` (or ``"0"``) switches the policy off."""
    if spec.strip().lower() in ("off", "0", ""):
        return None
    match = _SPEC.match(spec)
    if match is None or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise ValueError(f"rate limit {name!r}: {spec!r} is not 'COUNT/SECONDS' or 'off'")
    return Policy(name, int(match.group(1)), float(match.group(2)))


def check_limits(values: dict[str, str]) -> dict[str, str]:
    """Settings validation: known names only, each a valid spec; unnamed ones keep defaults."""
    unknown = sorted(set(values) - set(DEFAULT_LIMITS))
    if unknown:
        raise ValueError(f"unknown rate limit policies {unknown}; known: {sorted(DEFAULT_LIMITS)}")
    merged = {**DEFAULT_LIMITS, **{k: str(v) for k, v in values.items()}}
    for name, spec in merged.items():
        parse_policy(name, spec)
    return merged
