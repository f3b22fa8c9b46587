"""Engine-level settings shared by every backend."""

from __future__ import annotations

import sqlite3
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_installed = False
# How SQLite transactions begin in the current context: IMMEDIATE (take the write lock at
# once) unless a request that cannot write (GET, HEAD, OPTIONS) asked for DEFERRED, so page
# views never queue behind writers.
sqlite_begin: ContextVar[str] = ContextVar("sqlite_begin", default="IMMEDIATE")

# SQLite's registry maintenance switch, read by the append-only triggers of the ledger
# tables (models/registry_ddl.py): 0 on every connection; only
# ``registry_ddl.maintenance`` turns it on, for one block.
SQLITE_MAINTENANCE_FUNCTION = "tanhui_registry_maintenance"


def install_sqlite_switch(dbapi_conn: sqlite3.Connection, on: bool = False) -> None:
    value = 1 if on else 0
    dbapi_conn.create_function(SQLITE_MAINTENANCE_FUNCTION, 0, lambda: value)


def install_sqlite_pragmas() -> None:
    """SQLite: foreign keys on, a busy timeout, WAL for files, and BEGIN IMMEDIATE.

    pysqlite starts transactions lazily; a transaction that read first and writes later can
    then fail when another writer committed in between. Taking the write lock at BEGIN
    serialises writers up front — the embedded default's equivalent of the row locks
    (SELECT … FOR UPDATE) that the registry takes on PostgreSQL. Read-only requests begin
    DEFERRED (see ``sqlite_begin``) and never write.
    """
    global _installed  # one listener per process
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        install_sqlite_switch(dbapi_conn)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if cur.execute("PRAGMA database_list").fetchone()[2]:  # file-backed database
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(Engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"BEGIN {sqlite_begin.get()}")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register_request_hooks(app: Any) -> None:
    from flask import g, request

    @app.before_request
    def _read_only_begin() -> None:
        if request.method in SAFE_METHODS:
            g._sqlite_begin_token = sqlite_begin.set("DEFERRED")

    @app.teardown_request
    def _reset_begin(_exc: BaseException | None) -> None:
        token = g.pop("_sqlite_begin_token", None)
        if token is not None:
            sqlite_begin.reset(token)
