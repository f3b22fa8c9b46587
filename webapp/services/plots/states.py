"""The plot state machine: one table and one transition function.

available → reserved → sponsored → planted → inspected (again and again);
a planting that did not survive is failed → replanted → inspected. A reservation
returns to available when released or expired, a sponsorship not yet planted when it is
refunded.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.errors import Conflict
from webapp.models import PlotStatus, PlotUpdateKind

PLOT_TRANSITIONS: dict[PlotStatus, frozenset[PlotStatus]] = {
    PlotStatus.AVAILABLE: frozenset({PlotStatus.RESERVED}),
    PlotStatus.RESERVED: frozenset({PlotStatus.AVAILABLE, PlotStatus.SPONSORED}),
    # A refunded sponsorship of a plot not yet planted frees the plot again.
    PlotStatus.SPONSORED: frozenset({PlotStatus.PLANTED, PlotStatus.AVAILABLE}),
    PlotStatus.PLANTED: frozenset({PlotStatus.INSPECTED, PlotStatus.FAILED}),
    PlotStatus.INSPECTED: frozenset({PlotStatus.INSPECTED, PlotStatus.FAILED}),
    PlotStatus.FAILED: frozenset({PlotStatus.REPLANTED}),
    PlotStatus.REPLANTED: frozenset({PlotStatus.INSPECTED, PlotStatus.FAILED}),
}

# What a ranger's update moves the plot to.
UPDATE_TARGET: dict[PlotUpdateKind, PlotStatus] = {
    PlotUpdateKind.PLANTED: PlotStatus.PLANTED,
    PlotUpdateKind.INSPECTED: PlotStatus.INSPECTED,
    PlotUpdateKind.FAILED: PlotStatus.FAILED,
    PlotUpdateKind.REPLANTED: PlotStatus.REPLANTED,
}


def can_move(current: PlotStatus, target: PlotStatus) -> bool:
    return target in PLOT_TRANSITIONS[current]


def plot_transition(current: PlotStatus, target: PlotStatus) -> PlotStatus:
    """``target`` if the table allows ``current`` → ``target``; raises Conflict otherwise."""
    if not can_move(current, target):
        from webapp.labels import label

        raise Conflict(
            _l(
                "A plot cannot go from “%(a)s” to “%(b)s”.",
                a=label(current),
                b=label(target),
            )
        )
    return target


def allowed_updates(current: PlotStatus) -> list[PlotUpdateKind]:
    """The ranger updates that make sense for a plot in ``current``."""
    return [kind for kind, target in UPDATE_TARGET.items() if can_move(current, target)]
