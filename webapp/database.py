"""Engine-level settings shared by every backend."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def install_sqlite_pragmas() -> None:
    """Foreign keys on, a busy timeout so writers queue instead of failing, WAL for files."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        if cur.execute("PRAGMA database_list").fetchone()[2]:  # file-backed database
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()
