"""Database-level guards of the registry that SQLAlchemy metadata cannot express.

PostgreSQL: exclusion constraints on int8range (built in, no extension needed).
SQLite: triggers that abort an overlapping insert or update; SQLite serialises writers,
so a check-then-write inside a trigger is race free.

Used by the model metadata (create_all in tests) and by the migration, so both agree.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from webapp.models.registry import Issuance, SerialRange

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
