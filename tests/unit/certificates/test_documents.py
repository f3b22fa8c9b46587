"""From registry facts to printable text: purposes, fitting, serial slices, delivery."""

from __future__ import annotations

import pytest

from webapp.models import Purpose
from webapp.services.certificates.context import MAX_TEXT, MAX_TEXT_ZH
from webapp.services.certificates.coverage import Coverage, Run, slice_runs
from webapp.services.certificates.documents import fit, purpose_texts


def test_household_year_reads_naturally():
    assert purpose_texts(Purpose.HOUSEHOLD_YEAR, "2025") == (
        "2025年日常工作生活碳足迹",
        "the 2025 daily work and life footprint",
    )
    assert purpose_texts(Purpose.HOUSEHOLD_YEAR, None) == (
        "日常工作生活碳足迹",
        "daily work and life",
    )


def test_event_gift_judicial_other():
    assert purpose_texts(Purpose.EVENT, "2026 泰山低碳论坛") == (
        "2026 泰山低碳论坛",
        "the event “2026 泰山低碳论坛”",
    )
    assert purpose_texts(Purpose.GIFT, "") == ("受赠人的日常生活", "the recipient's daily life")
    zh, en = purpose_texts(Purpose.JUDICIAL_RESTORATION, "", "(2025)皖1102刑初88号")
    assert zh == "(2025)皖1102刑初88号案所涉生态环境损害"
    assert en == "the ecological damage in case (2025)皖1102刑初88号"
    assert purpose_texts(Purpose.OTHER, "") == ("持有人指定用途", "the holder's stated purpose")
    assert purpose_texts(None, None) == ("持有人指定用途", "the holder's stated purpose")


@pytest.mark.parametrize("purpose", list(Purpose))
def test_long_details_always_fit_the_certificate(purpose):
    zh, en = purpose_texts(purpose, "很长的说明" * 40, "案号" * 60)
    assert len(fit(zh, MAX_TEXT_ZH)) <= MAX_TEXT_ZH and len(fit(en, MAX_TEXT)) <= MAX_TEXT


def test_fit_removes_control_characters_and_cuts_with_an_ellipsis():
    assert fit("a\u0007b\u202ec\n d", 20) == "a b c d"
    assert fit("x" * 30, 10) == "x" * 9 + "…"


def _runs() -> tuple[Run, ...]:
    return (
        Run("TA-CLS", 2024, 1, 100),
        Run("TA-CLS", 2027, 501, 550, projected=True, expected_from=2027, expected_to=2031),
    )


def test_slices_follow_the_runs_in_order():
    runs = _runs()
    assert [r.label for r in slice_runs(runs, 0, 100)] == ["TH-TA-CLS-2024-000000001-000000100"]
    sliced = slice_runs(runs, 90, 20)
    assert [(r.first, r.last) for r in sliced] == [(91, 100), (501, 510)]
    assert sum(r.quantity_kg for r in sliced) == 20
    assert [(r.first, r.last) for r in slice_runs(runs, 149, 1)] == [(550, 550)]
    for offset, quantity in [(150, 1), (0, 151), (-1, 1), (0, 0)]:
        with pytest.raises(ValueError):
            slice_runs(runs, offset, quantity)


def test_delivery_and_expected_years():
    runs = _runs()
    assert Coverage(runs=runs[:1]).delivery == "verified"
    mixed = Coverage(runs=runs)
    assert mixed.delivery == "projected" and mixed.expected_years == "2027–2031"
    one_year = Run("X", 2027, 1, 2, projected=True, expected_from=2027, expected_to=2027)
    assert Coverage(runs=(one_year,)).expected_years == "2027"
    assert Coverage().delivery is None and Coverage().serial_ranges == ()
