"""Campaigns as data, and the pure rules that score them.

A campaign is a validated document (:class:`CampaignSpec`): who takes part, when it runs, what is
counted, the prizes, the team prizes, the tie-break and the quota. The first metric is the seed's:
the number of the participant's friends who share no organization with the participant and were
active within the last N days at the moment of evaluation. This module decides, for one
friendship, whether it counts (:func:`edge_status`), ranks participants with the campaign's
tie-break, hands out prizes and team prizes, and builds the quota report and the snapshot
document with its hashes. Everything here is a function of its arguments: the leaderboard worker,
the snapshot and the benchmark all call the same code, so a re-run gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from lakeside.domain.inputs import INT32_MAX, MAX_ID, StrictInput

DAY_MS = 86_400_000
EPOCH = date(1970, 1, 1)

# Why a friend does not count; "" means it does (when active in the window).
EXCLUDED_COLLEAGUE = "colleague"
EXCLUDED_BLOCKED = "blocked"
EXCLUDED_FLAGGED = "flagged"
EXCLUDED_REGISTRATION = "registration"
EXCLUDED_DEACTIVATED = "deactivated"
EXCLUDED_LATE = "after_deadline"


class _Strict(StrictInput):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Participants(_Strict):
    """Who competes. ``organization``: every active member of the campaign's organization;
    ``departments``: the members of these departments (ids, or names resolved when the campaign
    is loaded), sub-departments included unless told otherwise; ``users``: a fixed list (members
    of the organization; anyone else is ignored)."""

    kind: Literal["organization", "departments", "users"] = "organization"
    departments: list[
        Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(min_length=1, max_length=64)]
    ] = Field(default_factory=list, max_length=500)
    include_subdepartments: bool = True
    user_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _consistent(self) -> Participants:
        if self.kind == "departments" and not self.departments:
            raise ValueError("participants of kind 'departments' need at least one department")
        if self.kind == "users" and not self.user_ids:
            raise ValueError("participants of kind 'users' need at least one user id")
        return self


class Metric(_Strict):
    """Non-colleague friends active within the last ``active_days`` days. ``friends`` narrows who
    may count: anyone, only friends who registered between the start and the deadline, or only
    friends who registered through the participant's own invitation."""

    kind: Literal["active_outside_friends"] = "active_outside_friends"
    active_days: int = Field(default=7, ge=1, le=366)
    friends: Literal["any", "registered_during_campaign", "invited_by_participant"] = "any"


class PrizeTier(_Strict):
    key: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=64)
    name_en: str = Field(default="", max_length=64)
    count: int = Field(ge=1, le=10_000)
    amount_fen: int = Field(ge=0, le=10**13)


class Teams(_Strict):
    """Team standings by department. ``level`` ``top``: a participant's team is the top-level
    department above their (first) seat; ``direct``: the department they sit in. ``aggregate``:
    the team's score is the sum of its members' scores, or their average."""

    by: Literal["department"] = "department"
    level: Literal["top", "direct"] = "top"
    aggregate: Literal["sum", "average"] = "sum"
    min_members: int = Field(default=1, ge=1, le=INT32_MAX)
    prizes: list[PrizeTier] = Field(default_factory=list, max_length=50)


class Quota(_Strict):
    """Each participant must have at least ``min_outside_users`` non-colleague friends (active in
    the metric's window too when ``require_active``) by ``by``; ``consequence`` is what happens
    otherwise, in words, for the report."""

    min_outside_users: int = Field(ge=1, le=1_000_000)
    by: str
    require_active: bool = False
    consequence: str = Field(default="", max_length=200)
    consequence_en: str = Field(default="", max_length=200)


class FraudRules(_Strict):
    rules: list[Literal["device_burst", "network_burst", "only_inviter", "dormant", "invite_chain"]] = Field(
        default_factory=lambda: ["device_burst", "network_burst", "only_inviter", "dormant", "invite_chain"]
    )
    burst_signups: int = Field(default=5, ge=2, le=INT32_MAX)
    burst_minutes: int = Field(default=10, ge=1, le=INT32_MAX)
    dormant_after_days: int = Field(default=3, ge=1, le=INT32_MAX)
    chain_length: int = Field(default=4, ge=3, le=INT32_MAX)
    chain_minutes: int = Field(default=30, ge=1, le=INT32_MAX)


class CampaignSpec(_Strict):
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    timezone: str = "Asia/Shanghai"
    start: str
    deadline: str
    participants: Participants = Field(default_factory=Participants)
    metric: Metric = Field(default_factory=Metric)
    prizes: list[PrizeTier] = Field(default_factory=list, max_length=50)
    min_score_for_prize: int = Field(default=1, ge=0, le=INT32_MAX)
    teams: Teams | None = None
    tie_break: list[Literal["reached_at", "user_id"]] = Field(
        default_factory=lambda: ["reached_at", "user_id"]
    )
    quota: Quota | None = None
    fraud: FraudRules = Field(default_factory=FraudRules)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("tie_break")
    @classmethod
    def _total_order(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("tie_break lists a rule twice")
        # The user id makes the order total, so two runs can never order a tie differently.
        return [*value, "user_id"] if "user_id" not in value else value

    @model_validator(mode="after")
    def _dates(self) -> CampaignSpec:
        start, deadline = (
            parse_instant(self.start, self.timezone),
            parse_instant(self.deadline, self.timezone),
        )
        if deadline[1] <= start[0]:
            raise ValueError("the deadline must come after the start")
        if self.quota is not None:
            quota_end = parse_instant(self.quota.by, self.timezone)[1]
            if not start[0] < quota_end <= deadline[1]:
                raise ValueError("the quota date must fall between the start and the deadline")
        keys = [tier.key for tier in self.prizes]
        if len(set(keys)) != len(keys):
            raise ValueError("prize keys must be unique")
        return self

    @property
    def starts_at(self) -> int:
        return parse_instant(self.start, self.timezone)[0]

    @property
    def ends_at(self) -> int:
        """The moment of evaluation at the deadline: the last millisecond the deadline covers."""
        return parse_instant(self.deadline, self.timezone)[1]

    @property
    def quota_at(self) -> int | None:
        return parse_instant(self.quota.by, self.timezone)[1] if self.quota else None

    def rebased(self, start: date) -> CampaignSpec:
        """The same campaign moved so that it starts on ``start``, every date shifted alike (the
        demo runs the 2013 campaign live today)."""
        shift = start - _date_part(self.start)
        data = self.model_dump()
        data["start"] = _shift(self.start, shift)
        data["deadline"] = _shift(self.deadline, shift)
        if self.quota is not None:
            data["quota"]["by"] = _shift(self.quota.by, shift)
        return CampaignSpec.model_validate(data)


def _date_part(value: str) -> date:
    return date.fromisoformat(value[:10])


def _shift(value: str, shift: timedelta) -> str:
    return (_date_part(value) + shift).isoformat() + value[10:]


def parse_instant(value: str, timezone: str) -> tuple[int, int]:
    """A date or date-time in the campaign's zone as (first ms, last ms) it covers: a date covers
    the whole day, so "deadline 2013-12-31" is evaluated at 23:59:59.999 that day."""
    zone = ZoneInfo(timezone)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            first = datetime.combine(day, time(0), zone)
            last = datetime.combine(day + timedelta(days=1), time(0), zone)
            return int(first.timestamp() * 1000), int(last.timestamp() * 1000) - 1
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        ms = int(moment.timestamp() * 1000)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"{value!r} is not an ISO date or date-time") from exc
    return ms, ms


def day_number(ms: int, timezone: str) -> int:
    """Days since 1970-01-01 in ``timezone`` (the growth tables' ``day``)."""
    local = datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone)).date()
    return (local - EPOCH).days


def day_start_ms(day: int, timezone: str) -> int:
    moment = datetime.combine(EPOCH + timedelta(days=day), time(0), ZoneInfo(timezone))
    return int(moment.timestamp() * 1000)


# -- one friendship ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EdgeFacts:
    """What the store knows about one (participant, friend) pair at the moment of evaluation."""

    participant_id: int
    friend_id: int
    since: int  # when they became friends
    colleague: bool  # they share an active membership of some organization
    blocked: bool  # either has blocked the other
    flagged: bool  # an open or confirmed fraud flag on the friend in this campaign
    friend_active_account: bool
    registered_at: int
    inviter_id: int | None
    last_active_day: int | None  # the friend's latest active day not after the evaluation day


def edge_status(facts: EdgeFacts, metric: Metric, starts_at: int, ends_at: int) -> str:
    """Why this friend cannot count, or "" when it counts whenever it was active in the window.
    The order makes the shown reason the most telling one."""
    if facts.colleague:
        return EXCLUDED_COLLEAGUE
    if facts.blocked:
        return EXCLUDED_BLOCKED
    if not facts.friend_active_account:
        return EXCLUDED_DEACTIVATED
    if facts.flagged:
        return EXCLUDED_FLAGGED
    if metric.friends == "registered_during_campaign" and not starts_at <= facts.registered_at <= ends_at:
        return EXCLUDED_REGISTRATION
    if metric.friends == "invited_by_participant" and facts.inviter_id != facts.participant_id:
        return EXCLUDED_REGISTRATION
    return ""


def window_floor(eval_day: int, active_days: int) -> int:
    """Active within the last N days at day D == an active day in (D - N, D]."""
    return eval_day - active_days


def counts(last_active_day: int | None, eval_day: int, active_days: int) -> bool:
    return last_active_day is not None and window_floor(eval_day, active_days) < last_active_day <= eval_day


# -- ranking, prizes, teams --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    score: int
    reached_at: int | None  # when the newest of the counted friends became a friend
    team_id: int | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    standing: Standing
    prize: str | None


def rank_key(standing: Standing, tie_break: list[str]) -> tuple[Any, ...]:
    key: list[Any] = [-standing.score]
    for rule in tie_break:
        if rule == "reached_at":
            # Whoever got there first wins a tie; nobody (score 0) ranks after everyone who did.
            key.append(standing.reached_at if standing.reached_at is not None else 2**62)
        else:
            key.append(standing.user_id)
    return tuple(key)


def rank(standings: list[Standing], tie_break: list[str]) -> list[Standing]:
    return sorted(standings, key=lambda s: rank_key(s, tie_break))


def assign_prizes(ordered: list[Standing], tiers: list[PrizeTier], min_score: int) -> list[Ranked]:
    """Tiers are handed out in order down the ranking, to participants with at least
    ``min_score``; the tie-break already decided every tie."""
    slots = [tier.key for tier in tiers for _ in range(tier.count)]
    out: list[Ranked] = []
    for index, standing in enumerate(ordered):
        prize = slots[index] if index < len(slots) and standing.score >= min_score else None
        out.append(Ranked(index + 1, standing, prize))
    return out


@dataclass(frozen=True, slots=True)
class TeamStanding:
    rank: int
    team_id: int
    members: int
    total: int
    score: float  # sum, or the average rounded to two places
    prize: str | None


def team_standings(standings: list[Standing], teams: Teams) -> list[TeamStanding]:
    """Departments ranked by their members' sum or average; ties by the larger total, then the
    department id. Participants without a department are in no team."""
    groups: dict[int, list[int]] = {}
    for standing in standings:
        if standing.team_id is not None:
            groups.setdefault(standing.team_id, []).append(standing.score)
    rows: list[tuple[Any, int, int, int]] = []
    for team_id, scores in groups.items():
        if len(scores) < teams.min_members:
            continue
        total = sum(scores)
        # Averages compare exactly as fractions, not as rounded floats.
        value = Fraction(total, len(scores)) if teams.aggregate == "average" else Fraction(total)
        rows.append((value, total, team_id, len(scores)))
    rows.sort(key=lambda row: (-row[0], -row[1], row[2]))
    slots = [tier.key for tier in teams.prizes for _ in range(tier.count)]
    out = []
    for index, (value, total, team_id, members) in enumerate(rows):
        prize = slots[index] if index < len(slots) and total > 0 else None
        out.append(TeamStanding(index + 1, team_id, members, total, round(float(value), 2), prize))
    return out


# -- quota ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuotaLine:
    user_id: int
    count: int
    shortfall: int
    team_id: int | None


def team_rows(standings: list[Standing], teams: Teams) -> list[dict[str, Any]]:
    """The team standings as plain rows (snapshots and the live team table share this shape)."""
    return [
        {"rank": t.rank, "team_id": t.team_id, "members": t.members, "total": t.total, "score": t.score,
         "prize": t.prize}
        for t in team_standings(standings, teams)
    ]  # fmt: skip


def quota_shortfalls(
    counts_by_user: dict[int, int], teams: dict[int, int | None], minimum: int
) -> list[QuotaLine]:
    """Everyone below ``minimum``, the largest shortfall first, then by user id."""
    lines = [
        QuotaLine(user_id, count, minimum - count, teams.get(user_id))
        for user_id, count in counts_by_user.items()
        if count < minimum
    ]
    lines.sort(key=lambda line: (-line.shortfall, line.user_id))
    return lines


# -- snapshot --------------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """The one serialisation hashes are taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def snapshot_document(
    spec: CampaignSpec,
    *,
    campaign_id: int,
    kind: str,
    evaluated_at: int,
    eval_day: int,
    counted: dict[int, list[tuple[int, int]]],
    teams_of: dict[int, int | None],
) -> dict[str, Any]:
    """The frozen result: ``counted`` maps each participant to the (friend id, friends since) pairs
    that count at the moment of evaluation. The inputs hash covers exactly those inputs and the
    spec; the result hash covers the ranking, prizes and teams derived from them, so anyone can
    recompute the result from the stored inputs and compare."""
    standings = []
    for user_id in sorted(teams_of):
        friends = sorted(counted.get(user_id, []))
        reached = max((since for _, since in friends), default=None)
        standings.append(Standing(user_id, len(friends), reached, teams_of[user_id]))
    ranked = assign_prizes(rank(standings, spec.tie_break), spec.prizes, spec.min_score_for_prize)
    inputs = {
        "spec": spec.model_dump(mode="json"),
        "campaign_id": campaign_id,
        "kind": kind,
        "evaluated_at": evaluated_at,
        "eval_day": eval_day,
        "participants": [
            {
                "user_id": s.user_id,
                "team_id": s.team_id,
                "friends": [[friend, since] for friend, since in sorted(counted.get(s.user_id, []))],
            }
            for s in standings
        ],
    }
    result: dict[str, Any] = {
        "ranking": [
            {
                "rank": r.rank,
                "user_id": r.standing.user_id,
                "score": r.standing.score,
                "reached_at": r.standing.reached_at,
                "team_id": r.standing.team_id,
                "prize": r.prize,
            }
            for r in ranked
        ],
        "teams": [],
    }
    if spec.teams is not None:
        result["teams"] = team_rows(standings, spec.teams)
    return {
        "inputs": inputs,
        "result": result,
        "inputs_hash": digest(inputs),
        "result_hash": digest(result),
    }


def recompute_from_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Re-derive a snapshot document from its stored inputs alone (the audit path)."""
    spec = CampaignSpec.model_validate(inputs["spec"])
    counted = {p["user_id"]: [tuple(pair) for pair in p["friends"]] for p in inputs["participants"]}
    return snapshot_document(
        spec,
        campaign_id=inputs["campaign_id"],
        kind=inputs["kind"],
        evaluated_at=inputs["evaluated_at"],
        eval_day=inputs["eval_day"],
        counted=counted,  # type: ignore[arg-type]
        teams_of={p["user_id"]: p["team_id"] for p in inputs["participants"]},
    )
