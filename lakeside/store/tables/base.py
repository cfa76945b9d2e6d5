"""What every table module builds on: the one ``metadata`` (with its naming convention) and the
column types ``Id`` and ``Ms``.

Conventions: ids are 64-bit integers (rowid on SQLite); times are integer milliseconds since the
epoch (portable, sortable, no time-zone surprises on SQLite); booleans are real booleans.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.dialects import sqlite

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A 64-bit id that is SQLite's rowid there (so it autoincrements) and BIGSERIAL-like elsewhere.
Id = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
Ms = BigInteger  # milliseconds since the epoch
