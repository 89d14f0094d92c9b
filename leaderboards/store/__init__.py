"""The results store: SQLite in WAL mode as the embedded default, PostgreSQL by URL when several
machines share one board. Three modules: the schema, its upgrades and transactions (`schema`),
tracks, phases, submissions, results and rankings (`submissions`), teams, uploads and the
scoring queue with its leases (`queue`)."""
from __future__ import annotations

from .queue import Queue
from .schema import SCHEMA_VERSION, Database, store_url
from .submissions import STATUSES, Submissions

__all__ = ["SCHEMA_VERSION", "STATUSES", "Store", "store_url"]


class Store(Submissions, Queue, Database):
    """An initialised store (`Store.create` makes or upgrades one)."""
