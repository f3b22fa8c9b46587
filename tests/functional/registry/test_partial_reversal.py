"""Partial reversal (冲正 of part of a retirement): the last serials return, across
issuances, in one entry naming only them; the ledger replay and counters agree; the
returned serials are sold again; a later full reversal returns only what is still held."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.support.registry import BENEFICIARY, HOLD
from webapp.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import AllocationState, LedgerEntry, RangeState
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import ledger, queries


def _last_entry() -> dict:
    body = db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.seq.desc())).first()
    return json.loads(body)


def _consistent(app) -> None:
    _key, keyring = keys.signing(app.config)
    report = ledger.verify(db.session, keyring)
    assert report.ok, report.problems
    assert queries.counter_mismatches(db.session) == []


def test_partial_reversal_across_two_issuances(app, project, on_sale, admins):
    old = on_sale(project, 100, vintage=2023)
    new = on_sale(project, 100, vintage=2024)
    a = alloc.reserve(db.session, project, 150, "order-1", hold=HOLD)
    alloc.retire(db.session, a, BENEFICIARY)
    db.session.commit()
    assert [(r.issuance_id, r.quantity_kg) for r in a.ranges] == [(old.id, 100), (new.id, 50)]
    old_first, old_last = old.serial_first, old.serial_last
    new_first = new.serial_first

    returned = alloc.reverse_part(db.session, a, 70, reason="partial refund", actor=admins[0])
    db.session.commit()
    # The last 70 serials: the 50 of the newer issuance whole, the last 20 of the older.
    assert sorted((r.first, r.last) for r in returned) == [
        (old_last - 19, old_last),
        (new_first, new_first + 49),
    ]
    assert a.state is AllocationState.RETIRED and a.quantity_kg == 80
    assert [(r.first, r.last) for r in a.current_ranges] == [(old_first, old_last - 20)]
    assert sorted((r.first, r.last, r.state) for r in a.ranges) == [
        (old_first, old_last - 20, RangeState.RETIRED),
        (old_last - 19, old_last, RangeState.RETURNED),
        (new_first, new_first + 49, RangeState.RETURNED),
    ]
    assert (old.retired_kg, new.retired_kg) == (80, 0)
    entry = _last_entry()
    assert entry["kind"] == "reversal" and entry["quantity_kg"] == 70
    assert entry["remaining_kg"] == 80
    assert entry["ranges"] == [
        {"issuance": old.id, "first": old_last - 19, "last": old_last},
        {"issuance": new.id, "first": new_first, "last": new_first + 49},
    ]
    _consistent(app)

    # The returned serials are for sale again, lowest first.
    b = alloc.reserve(db.session, project, 70, "order-2", hold=HOLD)
    db.session.commit()
    assert [(r.first, r.last) for r in b.ranges] == [
        (old_last - 19, old_last),
        (new_first, new_first + 49),
    ]
    _consistent(app)

    # A full reversal afterwards returns only the 80 kg still held.
    alloc.reverse(db.session, a, reason="refund", actor=admins[0])
    db.session.commit()
    entry = _last_entry()
    assert entry["quantity_kg"] == 80
    assert entry["ranges"] == [{"issuance": old.id, "first": old_first, "last": old_last - 20}]
    assert (old.retired_kg, old.reserved_kg, new.reserved_kg) == (0, 20, 50)
    _consistent(app)


def test_partial_reversal_refuses_what_it_cannot_do(app, project, on_sale, admins):
    on_sale(project, 100)
    a = alloc.reserve(db.session, project, 40, "order-1", hold=HOLD)
    db.session.commit()
    with pytest.raises(Conflict):  # only retired credits come back this way
        alloc.reverse_part(db.session, a, 10, reason="x", actor=None)
    db.session.rollback()
    a = alloc.find_by_holder(db.session, "order-1")
    alloc.retire(db.session, a, BENEFICIARY)
    db.session.commit()
    for kg in (0, 40, 41):  # nothing, everything (a full reversal) or more than held
        with pytest.raises(DomainError):
            alloc.reverse_part(db.session, a, kg, reason="x", actor=None)
        db.session.rollback()
    _consistent(app)
