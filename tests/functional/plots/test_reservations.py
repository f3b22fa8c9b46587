"""Reserving many plots, conflicts, idempotency, expiry, release and sponsorship."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import DedicationKind, LedgerEntry, Plot, PlotStatus, Privacy
from webapp.models.base import utcnow
from webapp.services.plots import reservations

HOLD = timedelta(minutes=30)


def _status(plot_id: int) -> PlotStatus:
    db.session.expire_all()
    return db.session.get(Plot, plot_id).status


def test_reserve_many_plots_at_once(make_plot):
    plots = [make_plot() for _ in range(3)]
    now = utcnow()
    held = reservations.reserve(db.session, plots, "ORDER-1", HOLD, now)
    db.session.commit()
    assert [p.id for p in held] == sorted(p.id for p in plots)
    for plot in held:
        assert plot.status is PlotStatus.RESERVED
        assert plot.holder_ref == "ORDER-1"
        assert plot.reserved_until == now + HOLD


def test_one_taken_plot_refuses_the_whole_reservation_and_names_it(make_plot):
    a, b, c = make_plot("A-01"), make_plot("B-07"), make_plot("C-03")
    reservations.reserve(db.session, [a, b], "ORDER-1", HOLD)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        reservations.reserve(db.session, [b.id, c.id], "ORDER-2", HOLD)
    db.session.rollback()
    assert "B-07" in str(exc.value.message)
    assert "A-01" not in str(exc.value.message)
    assert _status(c.id) is PlotStatus.AVAILABLE
    assert db.session.get(Plot, b.id).holder_ref == "ORDER-1"


def test_reserve_is_idempotent_per_holder(make_plot):
    plots = [make_plot(), make_plot()]
    first_at = utcnow()
    first = reservations.reserve(db.session, plots, "ORDER-1", HOLD, first_at)
    db.session.commit()
    again = reservations.reserve(
        db.session, [p.id for p in plots], "ORDER-1", HOLD, first_at + timedelta(minutes=5)
    )
    db.session.commit()
    assert [p.id for p in again] == [p.id for p in first]
    assert all(p.reserved_until == first_at + HOLD for p in again)  # not extended


def test_a_holder_cannot_swap_its_plots(make_plot):
    a, b = make_plot(), make_plot()
    reservations.reserve(db.session, [a], "ORDER-1", HOLD)
    db.session.commit()
    with pytest.raises(Conflict):
        reservations.reserve(db.session, [b], "ORDER-1", HOLD)
    db.session.rollback()
    assert _status(b.id) is PlotStatus.AVAILABLE


def test_empty_and_cross_site_requests_are_refused(make_plot):
    with pytest.raises(DomainError):
        reservations.reserve(db.session, [], "ORDER-1", HOLD)
    with pytest.raises(DomainError):
        reservations.reserve(db.session, [make_plot()], "", HOLD)


def test_expiry_releases_the_plots(make_plot):
    plots = [make_plot(), make_plot()]
    now = utcnow()
    reservations.reserve(db.session, plots, "ORDER-1", HOLD, now)
    db.session.commit()
    assert reservations.expire_due(db.session, now + HOLD - timedelta(seconds=1)) == []
    freed = reservations.expire_due(db.session, now + HOLD)
    db.session.commit()
    assert {p.id for p in freed} == {p.id for p in plots}
    for plot in plots:
        db.session.refresh(plot)
        assert plot.status is PlotStatus.AVAILABLE
        assert plot.holder_ref is None and plot.reserved_until is None
    reservations.reserve(db.session, plots, "ORDER-2", HOLD, now + HOLD)
    db.session.commit()


def test_a_lapsed_hold_can_be_taken_before_it_is_swept(make_plot):
    plot = make_plot()
    now = utcnow()
    reservations.reserve(db.session, [plot], "ORDER-1", HOLD, now)
    db.session.commit()
    later = now + HOLD + timedelta(seconds=1)
    with pytest.raises(Conflict):
        reservations.reserve(db.session, [plot], "ORDER-2", HOLD, now + timedelta(minutes=1))
    db.session.rollback()
    reservations.reserve(db.session, [plot], "ORDER-2", HOLD, later)
    db.session.commit()
    db.session.refresh(plot)
    assert plot.holder_ref == "ORDER-2"


def test_release_returns_only_the_holders_reserved_plots(make_plot):
    a, b = make_plot(), make_plot()
    reservations.reserve(db.session, [a], "ORDER-1", HOLD)
    reservations.reserve(db.session, [b], "ORDER-2", HOLD)
    db.session.commit()
    released = reservations.release(db.session, "ORDER-1")
    db.session.commit()
    assert [p.id for p in released] == [a.id]
    assert _status(a.id) is PlotStatus.AVAILABLE
    assert _status(b.id) is PlotStatus.RESERVED


def test_sponsor_turns_the_reservation_into_a_sponsorship(make_plot, make_user):
    buyer = make_user(email="mei@example.cn")
    plots = [make_plot("A-01"), make_plot("A-02")]
    reservations.reserve(db.session, plots, "ORDER-1", HOLD)
    db.session.commit()
    done = reservations.sponsor(
        db.session,
        "ORDER-1",
        user=buyer,
        sponsor_name="李梅",
        privacy=Privacy.INITIALS,
        dedication=DedicationKind.BIRTH,
        message="欢迎你，小树苗",
        locale="zh_CN",
        expected=[p.id for p in plots],
    )
    db.session.commit()
    assert {p.status for p in done} == {PlotStatus.SPONSORED}
    for plot in done:
        assert plot.sponsor_user_id == buyer.id
        assert plot.sponsor_public == "李*"
        assert plot.dedication_kind is DedicationKind.BIRTH
        assert plot.reserved_until is None and plot.sponsored_at is not None
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "sponsorship")).all()
    assert len(entries) == 1
    body = json.loads(entries[0].body)
    assert body["plots"] == ["A-01", "A-02"] and body["sponsor"] == "李*"
    assert "李梅" not in entries[0].body

    # Idempotent: a repeated fulfilment changes nothing and writes no second entry.
    again = reservations.sponsor(
        db.session,
        "ORDER-1",
        user=buyer,
        sponsor_name="李梅",
        privacy=Privacy.INITIALS,
        dedication=DedicationKind.BIRTH,
    )
    db.session.commit()
    assert [p.id for p in again] == [p.id for p in done]
    count = db.session.scalar(
        select(db.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "sponsorship")
    )
    assert count == 1
    # Sponsored plots cannot be reserved by anyone, nor released.
    with pytest.raises(Conflict):
        reservations.reserve(db.session, [plots[0]], "ORDER-2", HOLD)
    db.session.rollback()
    assert reservations.release(db.session, "ORDER-1") == []


def test_sponsor_after_the_hold_was_released_is_refused(make_plot, make_user):
    buyer = make_user()
    plot = make_plot()
    reservations.reserve(db.session, [plot], "ORDER-1", HOLD)
    reservations.release(db.session, "ORDER-1")
    db.session.commit()
    with pytest.raises(Conflict):
        reservations.sponsor(
            db.session,
            "ORDER-1",
            user=buyer,
            sponsor_name="王小林",
            privacy=Privacy.FULL,
            dedication=DedicationKind.MEMORIAL,
        )
    db.session.rollback()
    assert _status(plot.id) is PlotStatus.AVAILABLE


def test_sponsor_refuses_when_the_held_plots_differ_from_the_order(make_plot, make_user):
    buyer = make_user()
    a, b = make_plot(), make_plot()
    reservations.reserve(db.session, [a], "ORDER-1", HOLD)
    db.session.commit()
    with pytest.raises(Conflict):
        reservations.sponsor(
            db.session,
            "ORDER-1",
            user=buyer,
            sponsor_name="王小林",
            privacy=Privacy.FULL,
            dedication=DedicationKind.MEMORIAL,
            expected=[a.id, b.id],
        )
    db.session.rollback()
    assert _status(a.id) is PlotStatus.RESERVED


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "hi"), ("x" * 121, ""), ("王小林", "长" * 121)],
)
def test_dedication_is_validated(name, message):
    with pytest.raises(DomainError):
        reservations.check_dedication(name, Privacy.FULL, DedicationKind.OTHER, message)


def test_database_refuses_a_sponsored_plot_without_sponsor(make_plot):
    plot = make_plot()
    plot.status = PlotStatus.SPONSORED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cli_expire_releases_lapsed_holds(runner, make_plot):
    plot = make_plot()
    reservations.reserve(db.session, [plot], "ORDER-1", HOLD, utcnow() - HOLD * 2)
    db.session.commit()
    result = runner.invoke(args=["plots", "expire"])
    assert result.exit_code == 0 and "released 1" in result.output
    assert _status(plot.id) is PlotStatus.AVAILABLE


def test_certificate_details_for_order_fulfilment(make_plot, make_user, sponsor_plot):
    from datetime import date
    from decimal import Decimal

    from webapp.services.plots.certificate import certificate_details

    plot = sponsor_plot(make_plot(), make_user())
    details = certificate_details(plot, date(2026, 11, 21))
    assert details.plot_code == plot.code and details.trees == 100
    assert details.projected_t_per_year == Decimal("0.86")
    assert details.projected_years == "2027–2046"
    assert details.dedication_kind_en == "wedding tree"
    assert details.dedication_message == "愿你长青"
