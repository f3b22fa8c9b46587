"""Recognition points (碳积分) for taking part in voluntary tree planting.

The 丽水 programme (森林碳汇丽水行动方案, 2022–2025) asks for 林业碳积分 for 义务植树 and
tree adoption (认养). Tanhui's rules are its own, published on ``/planting-days/points``
and in docs/METHODOLOGY.md: points recognise taking part and **never** convert into
tonnes of CO2, credits or money. They are computed from the records (check-ins, plot
sponsorships), so they cannot drift from them and are never stored or traded.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from webapp.services.planting.duty import DutyRecord


@dataclass(frozen=True)
class Rule:
    key: str
    points: int
    text: object  # lazy, translatable


RULES = (
    Rule(
        "attend", 10, _l("10 points for each person of your registration present at a planting day")
    ),
    Rule("plant", 2, _l("2 points for each tree planted at a planting day")),
    Rule("tend", 5, _l("5 points for each hour of volunteering or tending a ranger recorded")),
    Rule("adopt", 20, _l("20 points for each plot you sponsor (认种认养)")),
)
_BY_KEY = {rule.key: rule.points for rule in RULES}


@dataclass(frozen=True)
class Points:
    attend: int
    plant: int
    tend: int
    adopt: int

    @property
    def total(self) -> int:
        return self.attend + self.plant + self.tend + self.adopt


def for_record(duty: DutyRecord) -> Points:
    """The year's points from the same lines as the duty record."""
    return Points(
        attend=_BY_KEY["attend"] * sum(line.people for line in duty.planted),
        plant=_BY_KEY["plant"] * duty.trees_planted,
        tend=int(_BY_KEY["tend"] * duty.hours),
        adopt=_BY_KEY["adopt"] * len(duty.sponsored),
    )
