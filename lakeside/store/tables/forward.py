"""Merged forwards (合并转发) and voice messages' played state.

A merged forward is a message of kind ``forward`` whose body is the card's summary; the
transcript it opens is kept beside it (``merged_records``: a snapshot of the forwarded messages,
made when forwarding, as JSON) with the files it shows (``merged_record_files``), so that a file
in a transcript is readable by the members of the conversation the record was sent to
(``store/files.py``) and a file is deleted only once no message, favourite or record refers to it.
Both go with their message (recall deletes them, deleting the message cascades).

``forward_sources`` links each copy a forward wrote — a message forwarded one by one, or a merged
forward — to every message whose content it copies, transitively (a copy of a copy names the
original too), so that a recall, an account deletion or the retention worker reaches the copies
(services/scrub.py). It is never shown: who forwarded what from where stays on the server.

``voice_plays`` keeps who has played which voice message (the red dot until played), one row per
listener; the sender's own voice messages need none.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from lakeside.store.tables.base import Id, Ms, metadata

merged_records = Table(
    "merged_records",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("payload", Text, nullable=False),  # {"source": {...}, "items": [...]} (services/forwards.py)
)

merged_record_files = Table(
    "merged_record_files",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("file_id", String(32), primary_key=True),
    # Downloads look up the records that show a file through this.
    Index("ix_merged_record_files_file_id", "file_id"),
)

forward_sources = Table(
    "forward_sources",
    metadata,
    Column("copy_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    # The scrub looks up a message's copies through this.
    Index("ix_forward_sources_source_id", "source_id"),
)

voice_plays = Table(
    "voice_plays",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("played_at", Ms, nullable=False),
)
