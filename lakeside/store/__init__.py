"""Tables, queries and migrations for SQLite and PostgreSQL (SQLAlchemy Core, async)."""
