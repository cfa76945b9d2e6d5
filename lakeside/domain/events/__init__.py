"""Every event the server emits, declared: its type and op, its payload, and who may receive it.

An event is an instance of one of the classes declared in this package (``messaging``,
``social``, ``enterprise``, ``growth``), each a frozen dataclass whose fields are its payload.
The service that emits one also chooses, at that moment, who receives it — an ``Audience``: the
members of a conversation (possibly narrowed to some of them), explicit users, or nobody (events
kept in the log for workers). Zulip's ``send_event_on_commit(realm, event, users)`` is the model:
recipients are decided where the change is made, never worked out later from the event's type.

An audience that changes a conversation's membership says so (``joining``, ``leaving``): whoever
keeps a live map of memberships (the hub) follows the audiences, and knows nothing of types.

The classes are the reference the rest is checked against: docs/protocol.md's event table is
generated from them (``protocol_table``), and the authorization matrix has a row for each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, dataclass_transform

AudienceKind = Literal["conversation", "users", "nobody"]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives an event.

    ``conversation_id``: every member of the conversation at the time of delivery, narrowed to
    ``only`` when given. ``user_ids``: exactly these users. Neither: nobody (kept in the log for
    workers). ``joining`` members of the conversation receive this event and everything after it
    (they are added before it is delivered); ``leaving`` members receive it and nothing after."""

    conversation_id: int | None = None
    user_ids: tuple[int, ...] = ()
    only: frozenset[int] | None = None
    joining: tuple[int, ...] = ()
    leaving: tuple[int, ...] = ()

    @property
    def kind(self) -> AudienceKind:
        if self.conversation_id is not None:
            return "conversation"
        return "users" if self.user_ids else "nobody"

    def admits(self, user_id: int) -> bool:
        """Whether ``user_id``, reached through this audience, may see the event: the one
        visibility rule that live delivery and catch-up both apply."""
        return self.only is None or user_id in self.only

    def extra(self) -> dict[str, list[int]] | None:
        """What the log keeps of this audience beside the event's conversation or user column."""
        out: dict[str, list[int]] = {}
        if self.only is not None:
            out["only"] = sorted(self.only)
        if self.joining:
            out["joining"] = list(self.joining)
        if self.leaving:
            out["leaving"] = list(self.leaving)
        return out or None

    @staticmethod
    def from_log(
        conversation_id: int | None, user_id: int | None, extra: Mapping[str, Any] | None
    ) -> Audience:
        """The audience of one logged row (a user-addressed row is one user of its audience)."""
        if user_id is not None:
            return Audience(user_ids=(user_id,))
        if conversation_id is None:
            return NOBODY
        if not extra:
            return Audience(conversation_id=conversation_id)
        only = extra.get("only")
        return Audience(
            conversation_id=conversation_id,
            only=None if only is None else frozenset(only),
            joining=tuple(extra.get("joining", ())),
            leaving=tuple(extra.get("leaving", ())),
        )


NOBODY = Audience()


def to_conversation(
    conversation_id: int,
    *,
    only: Iterable[int] | None = None,
    joining: Iterable[int] = (),
    leaving: Iterable[int] = (),
) -> Audience:
    return Audience(
        conversation_id=conversation_id,
        only=None if only is None else frozenset(only),
        joining=tuple(joining),
        leaving=tuple(leaving),
    )


def to_users(*user_ids: int) -> Audience:
    """Exactly these users (each once, in the order given)."""
    return Audience(user_ids=tuple(dict.fromkeys(user_ids)))


class Event:
    """The base of the declared events (see ``declare``). Fields are the payload."""

    type: ClassVar[str]
    op: ClassVar[str]
    # The kinds of audience the class may be emitted to, and who that is, in words (protocol.md).
    audiences: ClassVar[frozenset[AudienceKind]]
    addressed_to: ClassVar[str]
    _fields: ClassVar[tuple[str, ...]]

    def data(self) -> dict[str, Any]:
        """The payload as the log keeps it."""
        return {name: getattr(self, name) for name in self._fields}

    def live(self) -> Any:
        """The payload as live delivery sends it (the same as the log's unless a class says)."""
        return self.data()


E = TypeVar("E", bound=type[Event])
T = TypeVar("T")

EVENTS: dict[tuple[str, str], type[Event]] = {}


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def declare(
    type_: str, op: str, *, to: AudienceKind | tuple[AudienceKind, ...], addressed_to: str
) -> Callable[[E], E]:
    """Make the class a frozen, keyword-only dataclass and register it as ``(type_, op)``.

    ``to`` is the kind (or kinds) of audience it may be emitted to; ``addressed_to`` says who
    that is, for the protocol table. The class's docstring is the table's description of its data."""
    kinds = frozenset((to,) if isinstance(to, str) else to)

    def register(cls: E) -> E:
        key = (type_, op)
        if key in EVENTS:
            raise TypeError(f"{type_}.{op} is declared twice ({EVENTS[key].__name__}, {cls.__name__})")
        made = dataclass(frozen=True, kw_only=True)(cls)
        made.type, made.op, made.audiences, made.addressed_to = type_, op, kinds, addressed_to
        made._fields = tuple(f.name for f in dataclasses.fields(made) if not f.metadata.get("live_only"))
        EVENTS[key] = made
        return made

    return register


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def shared(cls: type[T]) -> type[T]:
    """Payload fields that several events share (e.g. a conversation's summary): a base class
    for their declarations, not an event of its own."""
    return dataclass(frozen=True, kw_only=True)(cls)


def live_only(default: Any = None) -> Any:
    """A field delivered live but not kept in the log (e.g. the message a message event names,
    which catch-up reads back as it is then)."""
    return dataclasses.field(default=default, metadata={"live_only": True}, compare=False, repr=False)


def event_class(type_: str, op: str) -> type[Event] | None:
    return EVENTS.get((type_, op))


def describe(cls: type[Event]) -> str:
    """The class's docstring as one line."""
    return " ".join((cls.__doc__ or "").split())


def protocol_table() -> str:
    """The event table of docs/protocol.md, generated from the declarations (in declaration
    order, which groups events by product)."""
    lines = ["| type | op | addressed to | data |", "|---|---|---|---|"]
    for (type_, op), cls in EVENTS.items():
        lines.append(f"| `{type_}` | `{op}` | {cls.addressed_to} | {describe(cls)} |")
    return "\n".join(lines) + "\n"


# Where the generated table sits in docs/protocol.md (``python -m lakeside.domain.events``).
TABLE_START = "<!-- events:start -->"
TABLE_END = "<!-- events:end -->"


def with_table(document: str) -> str:
    """``document`` with ``protocol_table()`` between its markers (each on a line of its own)."""
    head, start, rest = document.partition(TABLE_START + "\n")
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"no {TABLE_START} ... {TABLE_END} in the document")
    return head + start + protocol_table() + end + tail


# The declarations register themselves when imported; import them all so the registry is whole.
# The order of these imports is the protocol table's: the messaging core, then the social,
# enterprise and growth products.
# isort: off
from lakeside.domain.events import messaging  # noqa: E402
from lakeside.domain.events import social  # noqa: E402
from lakeside.domain.events import enterprise  # noqa: E402
from lakeside.domain.events import growth  # noqa: E402
from lakeside.domain.events import commands  # noqa: E402
from lakeside.domain.events import approvals  # noqa: E402
from lakeside.domain.events import reports  # noqa: E402
from lakeside.domain.events import todos  # noqa: E402

# isort: on

__all__ = [
    "EVENTS",
    "NOBODY",
    "TABLE_END",
    "TABLE_START",
    "Audience",
    "Event",
    "approvals",
    "commands",
    "declare",
    "describe",
    "enterprise",
    "event_class",
    "growth",
    "live_only",
    "messaging",
    "protocol_table",
    "reports",
    "shared",
    "social",
    "to_conversation",
    "to_users",
    "todos",
    "with_table",
]
