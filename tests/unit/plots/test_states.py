"""The plot state machine, table-driven: every pair is either allowed or refused."""

from __future__ import annotations

import pytest

from webapp import create_app
from webapp.errors import Conflict
from webapp.models import PlotStatus, PlotUpdateKind
from webapp.services.plots.states import (
    PLOT_TRANSITIONS,
    UPDATE_TARGET,
    allowed_updates,
    plot_transition,
)

S = PlotStatus
ALLOWED = {
    (S.AVAILABLE, S.RESERVED),
    (S.RESERVED, S.AVAILABLE),
    (S.RESERVED, S.SPONSORED),
    (S.SPONSORED, S.PLANTED),
    (S.SPONSORED, S.AVAILABLE),  # refunded before planting
    (S.PLANTED, S.INSPECTED),
    (S.PLANTED, S.FAILED),
    (S.INSPECTED, S.INSPECTED),
    (S.INSPECTED, S.FAILED),
    (S.FAILED, S.REPLANTED),
    (S.REPLANTED, S.INSPECTED),
    (S.REPLANTED, S.FAILED),
}


@pytest.fixture(scope="module", autouse=True)
def _context(tmp_path_factory):
    app = create_app("testing", INSTANCE_PATH=str(tmp_path_factory.mktemp("inst")))
    with app.test_request_context():
        yield


def test_table_covers_every_status():
    assert set(PLOT_TRANSITIONS) == set(PlotStatus)


@pytest.mark.parametrize("current", list(PlotStatus))
@pytest.mark.parametrize("target", list(PlotStatus))
def test_transition(current, target):
    if (current, target) in ALLOWED:
        assert plot_transition(current, target) is target
    else:
        with pytest.raises(Conflict):
            plot_transition(current, target)


def test_the_refusal_names_both_states():
    with pytest.raises(Conflict) as exc:
        plot_transition(S.AVAILABLE, S.PLANTED)
    message = str(exc.value.message)
    assert "可认养" in message or "Available to sponsor" in message


def test_ranger_updates_follow_the_table():
    assert set(UPDATE_TARGET) == set(PlotUpdateKind)
    assert allowed_updates(S.AVAILABLE) == []
    assert allowed_updates(S.RESERVED) == []
    assert allowed_updates(S.SPONSORED) == [PlotUpdateKind.PLANTED]
    assert allowed_updates(S.PLANTED) == [PlotUpdateKind.INSPECTED, PlotUpdateKind.FAILED]
    assert allowed_updates(S.FAILED) == [PlotUpdateKind.REPLANTED]
