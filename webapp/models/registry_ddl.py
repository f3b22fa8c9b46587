"""Database-level guards of the registry that SQLAlchemy metadata cannot express.

PostgreSQL: exclusion constraints on int8range (built in, no extension needed).
SQLite: triggers that abort an overlapping insert or update; SQLite serialises writers,
so a check-then-write inside a trigger is race free.

Used by the model metadata (create_all in tests) and by the migration, so both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import DDL, event, text
from sqlalchemy.engine import Connection

from webapp.database import SQLITE_MAINTENANCE_FUNCTION, install_sqlite_switch
from webapp.models.registry import Issuance, LedgerEntry, MerkleNode, SerialRange, TreeHead

POSTGRESQL = {
    "issuances": [
        "ALTER TABLE issuances ADD CONSTRAINT ex_issuances_serial_block "
        "EXCLUDE USING gist (int8range(serial_first, serial_last, '[]') WITH &&)",
    ],
    "serial_ranges": [
        "ALTER TABLE serial_ranges ADD CONSTRAINT ex_serial_ranges_active "
        "EXCLUDE USING gist (int8range(first, last, '[]') WITH &&) WHERE (state <> 'returned')",
    ],
}

_ISSUANCE_OVERLAP = """
SELECT RAISE(ABORT, 'issuance serial blocks overlap')
WHERE EXISTS (SELECT 1 FROM issuances o WHERE o.id IS NOT NEW.id
              AND o.serial_first <= NEW.serial_last AND NEW.serial_first <= o.serial_last);
"""
_RANGE_OVERLAP = """
SELECT RAISE(ABORT, 'active serial ranges overlap')
WHERE NEW.state <> 'returned' AND EXISTS (
    SELECT 1 FROM serial_ranges o WHERE o.id IS NOT NEW.id AND o.state <> 'returned'
    AND o.first <= NEW.last AND NEW.first <= o.last);
"""

SQLITE = {
    "issuances": [
        f"CREATE TRIGGER tr_issuances_no_overlap_ins BEFORE INSERT ON issuances "
        f"BEGIN {_ISSUANCE_OVERLAP} END",
        f"CREATE TRIGGER tr_issuances_no_overlap_upd BEFORE UPDATE OF serial_first, serial_last "
        f"ON issuances BEGIN {_ISSUANCE_OVERLAP} END",
    ],
    "serial_ranges": [
        f"CREATE TRIGGER tr_serial_ranges_no_overlap_ins BEFORE INSERT ON serial_ranges "
        f"BEGIN {_RANGE_OVERLAP} END",
        f"CREATE TRIGGER tr_serial_ranges_no_overlap_upd BEFORE UPDATE OF first, last, state "
        f"ON serial_ranges BEGIN {_RANGE_OVERLAP} END",
    ],
}


def statements(dialect: str, table: str) -> list[str]:
    return {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(dialect, {}).get(table, [])


def _attach(table_obj, table: str) -> None:
    for dialect in ("postgresql", "sqlite"):
        for sql in statements(dialect, table):
            event.listen(table_obj, "after_create", DDL(sql).execute_if(dialect=dialect))


_attach(Issuance.__table__, "issuances")
_attach(SerialRange.__table__, "serial_ranges")


# --- append-only tables ------------------------------------------------------------------
#
# Ledger entries, stored Merkle nodes and signed tree heads are never changed once written:
# corrections are new entries. The database refuses UPDATE and DELETE on them (and TRUNCATE
# on PostgreSQL) unless the session has switched registry maintenance on:
# PostgreSQL ``SET LOCAL tanhui.registry_maintenance = 'on'``; SQLite: the connection's
# ``tanhui_registry_maintenance()`` function returns 1. Only test clean-up and deliberate
# tampering in tests use it (see ``maintenance``); restoring a backup needs no switch since
# it only inserts into an empty database.

APPEND_ONLY_TABLES = ("ledger_entries", "merkle_nodes", "tree_heads")
MAINTENANCE_SETTING = "tanhui.registry_maintenance"

PG_APPEND_ONLY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION registry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation',
        HINT = 'corrections are new ledger entries';
END $$
"""


def _pg_append_only(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER tr_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION registry_append_only()",
        f"CREATE TRIGGER tr_{table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()",
    ]


def _sqlite_append_only(table: str) -> list[str]:
    # An unknown function makes the statement fail too, so a connection that never
    # registered the switch (the sqlite3 shell) is refused as well.
    return [
        f"CREATE TRIGGER tr_{table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"WHEN NOT {SQLITE_MAINTENANCE_FUNCTION}() "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def append_only_statements(dialect: str, table: str) -> list[str]:
    """DDL that makes ``table`` append-only (the PostgreSQL function first)."""
    if dialect == "postgresql":
        return [PG_APPEND_ONLY_FUNCTION, *_pg_append_only(table)]
    if dialect == "sqlite":
        return _sqlite_append_only(table)
    return []


def drop_append_only_statements(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS tr_{table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS tr_{table}_no_truncate ON {table}",
        ]
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS tr_{table}_no_{op}" for op in ("update", "delete")]
    return []


@contextmanager
def maintenance(conn: Connection) -> Iterator[None]:
    """Allow UPDATE/DELETE/TRUNCATE of the append-only tables inside ``conn``'s current
    transaction only. Never used by the application; for test clean-up and tests that
    tamper on purpose (what a database superuser could do by dropping the triggers)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL {MAINTENANCE_SETTING} = 'on'"))
        try:
            yield
        finally:
            conn.execute(text(f"SET LOCAL {MAINTENANCE_SETTING} = 'off'"))
        return
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        install_sqlite_switch(raw, on=True)
        try:
            yield
        finally:
            install_sqlite_switch(raw, on=False)
        return
    yield


for _table in (LedgerEntry.__table__, MerkleNode.__table__, TreeHead.__table__):
    for _dialect in ("postgresql", "sqlite"):
        for _sql in append_only_statements(_dialect, _table.name):
            event.listen(_table, "after_create", DDL(_sql).execute_if(dialect=_dialect))
