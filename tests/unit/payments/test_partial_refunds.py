"""Money of partial refunds: pro rata, rounded down to the fen, cumulative (no drift), and
the last kilogram returns exactly what is left."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.models import Order
from webapp.services.payments.partial_refunds import amount_for, refunded_in_all


def _order(amount: str, quantity_kg: int, refunded_kg: int = 0, refunded: str = "0.00") -> Order:
    return Order(
        amount=Decimal(amount),
        quantity_kg=quantity_kg,
        refunded_kg=refunded_kg,
        refunded_amount=Decimal(refunded),
    )


def test_thirds_round_down_and_the_last_step_takes_the_remainder():
    order = _order("10.00", 3)
    steps = []
    for _ in range(3):
        step = amount_for(order, 1)
        steps.append(step)
        order.refunded_kg += 1
        order.refunded_amount += step
    assert steps == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert order.refunded_amount == order.amount


@pytest.mark.parametrize(
    ("amount", "quantity", "kg", "expected"),
    [
        ("98.72", 1234, 1000, Decimal("80.00")),  # ¥80/t: exact
        ("0.11", 7, 3, Decimal("0.04")),  # 0.0471… → 0.04, never 0.05
        ("77.77", 1000, 999, Decimal("77.69")),  # 77.69223 → 77.69
        ("100.00", 3, 3, Decimal("100.00")),  # everything: all of it
    ],
)
def test_pro_rata_amounts_never_exceed_what_was_paid(amount, quantity, kg, expected):
    order = _order(amount, quantity)
    assert refunded_in_all(order, kg) == expected
    assert amount_for(order, kg) == expected <= order.amount
    assert amount_for(order, kg).as_tuple().exponent == -2  # whole fen


def test_successive_refunds_do_not_drift():
    order = _order("0.10", 7)
    total = Decimal("0.00")
    for _ in range(7):
        step = amount_for(order, 1)
        assert step >= 0
        total += step
        order.refunded_kg += 1
        order.refunded_amount += step
        assert order.refunded_amount == refunded_in_all(order, order.refunded_kg)
    assert total == Decimal("0.10")
