"""Issuance maker-checker, reservation, retirement, expiry, reversal and their ledger entries."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.support.registry import BENEFICIARY, HOLD
from webapp.errors import Conflict, DomainError, Forbidden
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    Delivery,
    IssuanceStatus,
    LedgerEntry,
    Privacy,
    Purpose,
)
from webapp.models.base import utcnow
from webapp.services.registry import allocation as alloc
from webapp.services.registry import issuance as issuance_service
from webapp.services.registry import queries


def _draft(quantity=1000):
    return issuance_service.IssuanceDraft(
        vintage=2024,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        quantity_kg=quantity,
        price_per_tonne=Decimal("80"),
        delivery=Delivery.VERIFIED,
    )


def test_maker_cannot_approve_own_issuance(project, admins, make_user):
    maker, checker = admins
    iss = issuance_service.draft(db.session, project, _draft(), actor=maker)
    with pytest.raises(Forbidden):
        issuance_service.approve(db.session, iss, actor=maker)
    resident = make_user("resident")
    with pytest.raises(Forbidden):
        issuance_service.approve(db.session, iss, actor=resident)
    issuance_service.approve(db.session, iss, actor=checker)
    assert iss.status is IssuanceStatus.APPROVED and iss.approved_by_id == checker.id


def test_issuance_blocks_are_consecutive_and_never_overlap(project, admins):
    maker, _ = admins
    a = issuance_service.draft(db.session, project, _draft(1000), actor=maker)
    b = issuance_service.draft(db.session, project, _draft(500), actor=maker)
    assert (a.serial_first, a.serial_last) == (1, 1000)
    assert (b.serial_first, b.serial_last) == (1001, 1500)


@pytest.mark.parametrize(
    "bad",
    [
        {"quantity_kg": 0},
        {"quantity_kg": -5},
        {"vintage": 1800},
        {"period_end": date(2023, 1, 1)},
        {"price_per_tonne": Decimal("-1")},
        {"delivery": Delivery.PROJECTED},
    ],
)
def test_bad_issuance_drafts_are_refused(project, admins, bad):
    from dataclasses import replace

    with pytest.raises(DomainError):
        issuance_service.draft(db.session, project, replace(_draft(), **bad), actor=admins[0])
    db.session.rollback()
    assert db.session.scalar(select(LedgerEntry)) is None


def test_reserve_takes_lowest_serials_oldest_vintage_first(project, on_sale):
    newer = on_sale(project, 1000, vintage=2025)
    older = on_sale(project, 1000, vintage=2023)
    a = alloc.reserve(db.session, project, 1500, "order-1", hold=HOLD)
    db.session.commit()
    spans = {(r.issuance_id, r.first, r.last) for r in a.ranges}
    assert spans == {
        (older.id, older.serial_first, older.serial_last),
        (newer.id, newer.serial_first, newer.serial_first + 499),
    }
    assert older.reserved_kg == 1000 and newer.reserved_kg == 500
    c = queries.project_counters(db.session)[project.id]
    assert c.to_dict() == {
        "issued_kg": 2000,
        "reserved_kg": 1500,
        "retired_kg": 0,
        "available_kg": 500,
        "buffer_held_kg": 0,
        "buffer_used_kg": 0,
        "cancelled_kg": 0,
    }


def test_reserve_is_idempotent_per_holder(project, on_sale):
    on_sale(project, 1000)
    a = alloc.reserve(db.session, project, 100, "order-1", hold=HOLD)
    b = alloc.reserve(db.session, project, 100, "order-1", hold=HOLD)
    assert a.id == b.id
    assert queries.project_counters(db.session)[project.id].reserved_kg == 100


def test_cannot_reserve_more_than_available(project, on_sale):
    on_sale(project, 1000)
    alloc.reserve(db.session, project, 800, "order-1", hold=HOLD)
    db.session.commit()
    with pytest.raises(Conflict):
        alloc.reserve(db.session, project, 201, "order-2", hold=HOLD)
    db.session.rollback()
    assert queries.project_counters(db.session)[project.id].reserved_kg == 800


def test_retire_records_public_beneficiary_only(project, on_sale):
    on_sale(project, 5000)
    a = alloc.reserve(db.session, project, 2417, "order-1", hold=HOLD)
    alloc.retire(
        db.session,
        a,
        alloc.Beneficiary(name="王小林", privacy=Privacy.INITIALS, purpose=Purpose.GIFT),
    )
    db.session.commit()
    assert a.state is AllocationState.RETIRED and a.beneficiary_public == "王**"
    entry = db.session.get(LedgerEntry, a.retirement_entry_seq)
    body = json.loads(entry.body)
    assert body["beneficiary"] == "王**" and "王小林" not in entry.body
    assert body["quantity_kg"] == 2417
    # Retiring again is a no-op.
    alloc.retire(db.session, a, BENEFICIARY)
    assert db.session.scalar(select(LedgerEntry).order_by(LedgerEntry.seq.desc())).seq == entry.seq


def test_judicial_restoration_needs_case_and_court(project, on_sale):
    on_sale(project, 5000)
    a = alloc.reserve(db.session, project, 10, "order-1", hold=HOLD)
    with pytest.raises(DomainError):
        alloc.retire(
            db.session,
            a,
            alloc.Beneficiary(
                name="某公司", privacy=Privacy.FULL, purpose=Purpose.JUDICIAL_RESTORATION
            ),
        )
    alloc.retire(
        db.session,
        a,
        alloc.Beneficiary(
            name="某公司",
            privacy=Privacy.FULL,
            purpose=Purpose.JUDICIAL_RESTORATION,
            case_number="(2026)鲁0911刑初12号",
            court="泰安市岱岳区人民法院",
        ),
    )
    body = json.loads(db.session.get(LedgerEntry, a.retirement_entry_seq).body)
    assert body["case_number"] == "(2026)鲁0911刑初12号"


def test_expired_reservations_return_serials_for_reuse(project, on_sale):
    iss = on_sale(project, 100)
    now = utcnow()
    a = alloc.reserve(db.session, project, 100, "order-1", hold=timedelta(minutes=5), now=now)
    db.session.commit()
    assert alloc.expire_due(db.session, now=now + timedelta(minutes=4)) == []
    released = alloc.expire_due(db.session, now=now + timedelta(minutes=6))
    db.session.commit()
    assert [r.id for r in released] == [a.id] and a.state is AllocationState.EXPIRED
    assert iss.reserved_kg == 0
    b = alloc.reserve(db.session, project, 100, "order-2", hold=HOLD)
    assert [(r.first, r.last) for r in b.ranges] == [(iss.serial_first, iss.serial_last)]
    with pytest.raises(Conflict):  # an expired reservation cannot be retired
        alloc.retire(db.session, a, BENEFICIARY)


def test_reversal_returns_retired_serials(project, on_sale, admins):
    iss = on_sale(project, 1000)
    a = alloc.reserve(db.session, project, 300, "order-1", hold=HOLD)
    alloc.retire(db.session, a, BENEFICIARY)
    alloc.reverse(db.session, a, reason="refund", actor=admins[0])
    db.session.commit()
    assert a.state is AllocationState.REVERSED
    assert (iss.reserved_kg, iss.retired_kg) == (0, 0)
    assert queries.counter_mismatches(db.session) == []
    kinds = list(db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)))
    assert kinds[-3:] == ["reservation", "retirement", "reversal"]


def test_allocation_state_machine_table():
    from webapp.services.registry.states import ALLOCATION_TRANSITIONS, allocation_transition

    for current, allowed in ALLOCATION_TRANSITIONS.items():
        for target in AllocationState:
            if target in allowed:
                assert allocation_transition(current, target) is target
            else:
                with pytest.raises(Conflict):
                    allocation_transition(current, target)


def test_issuance_state_machine_table():
    from webapp.services.registry.states import ISSUANCE_TRANSITIONS, issuance_transition

    for current, allowed in ISSUANCE_TRANSITIONS.items():
        for target in IssuanceStatus:
            if target in allowed:
                assert issuance_transition(current, target) is target
            else:
                with pytest.raises(Conflict):
                    issuance_transition(current, target)


def test_serial_lookup_and_register_search(project, on_sale):
    iss = on_sale(project, 1000)
    a = alloc.reserve(db.session, project, 10, "order-1", hold=HOLD)
    alloc.retire(db.session, a, BENEFICIARY)
    b = alloc.reserve(db.session, project, 10, "order-2", hold=HOLD)
    alloc.retire(
        db.session,
        b,
        alloc.Beneficiary(name="秘密", privacy=Privacy.ANONYMOUS, purpose=Purpose.OTHER),
    )
    db.session.commit()
    info = queries.serial_info(db.session, iss.serial_first + 3)
    assert info.state == "retired" and info.retirement.beneficiary == "王小林"
    assert queries.serial_info(db.session, iss.serial_first + 500).state == "available"
    assert queries.serial_info(db.session, 10**9) is None
    assert [r.allocation_id for r in queries.search_retirements(db.session, query="王小林")] == [
        a.id
    ]
    assert queries.search_retirements(db.session, query="秘密") == []
    formatted = queries.search_retirements(db.session, query="TH-TA-CLS-2024-000000015")
    assert [r.allocation_id for r in formatted] == [b.id]
    assert formatted[0].beneficiary is None
