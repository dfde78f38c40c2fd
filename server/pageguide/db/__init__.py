"""Storage: SQLAlchemy 2 (async) on SQLite by default or PostgreSQL by URL; Alembic migrations."""

from .engine import Database

__all__ = ["Database"]
