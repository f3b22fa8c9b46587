"""The true-up: the actual footprint replaces the estimate, with the attendees' travel set
by the rule of docs/METHODOLOGY.md ("True-up from the survey").

The organiser's saved actual figures give energy, meals, materials and the organisers' own
travel. The attendees' travel comes from the survey only when enough of them answered:

* at least ``MIN_ANSWERS`` answers **and** at least ``MIN_RATE`` of the attendees: the
  answers are extrapolated to every attendee — the attendees are shared among the answers'
  mode/distance rows in proportion to the answers (whole people, largest remainders), so
  those who did not answer count as travelling like those who did;
* otherwise the estimate's travel stands (its rows, as estimated) — unless the organiser's
  rows with the answers as given already come to more, which then count instead. A handful
  of answers never lowers the travel.

The rule applied, the answers and the attendees it was judged on are stored on the event,
so the pages, the badge and the reports say what the figure rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.labels import TRUEUP_TEXTS, percent
from webapp.models import CalculationKind, Event, FootprintCalculation, TrueUpRule, User
from webapp.services import footprint_records
from webapp.services.events import records, survey
from webapp.services.footprint.parsing import FootprintInputError

MIN_ANSWERS = 30
MIN_RATE = Decimal("0.20")


@dataclass(frozen=True)
class Basis:
    """What a survey-based true-up is judged on."""

    answers: int
    attendees: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.answers) / Decimal(self.attendees) if self.attendees else Decimal(0)

    @property
    def enough(self) -> bool:
        return self.answers >= MIN_ANSWERS and self.rate >= MIN_RATE


def apportion(rows: list[dict[str, Any]], attendees: int) -> list[dict[str, Any]]:
    """``rows`` (people summing to n) scaled to ``attendees`` whole people: each row gets
    ⌊people × attendees / n⌋, and the people left over go one each to the rows with the
    largest remainders (on ties, the longer trip first — the conservative choice — then
    the earlier row)."""
    n = sum(int(r["people"]) for r in rows)
    if n == 0:
        return []
    shares = [divmod(int(r["people"]) * attendees, n) for r in rows]
    people = [q for q, _ in shares]
    left = attendees - sum(people)
    order = sorted(
        range(len(rows)), key=lambda i: (-shares[i][1], -Decimal(rows[i]["one_way_km"]), i)
    )
    for i in order[:left]:
        people[i] += 1
    return [dict(r, people=p) for r, p in zip(rows, people, strict=True) if p]


def _travel_kg(calculation_inputs: dict[str, Any]) -> Decimal:
    _inputs, result = footprint_records.calculate(CalculationKind.EVENT, calculation_inputs)
    return result.by_category.get("travel", Decimal(0))


def actual_inputs(
    base_inputs: dict[str, Any],
    estimate_inputs: dict[str, Any] | None,
    answer_rows: list[dict[str, Any]],
    basis: Basis,
) -> tuple[dict[str, Any], TrueUpRule]:
    """The calculator input of the actual footprint and the rule that set its travel."""
    own = list(base_inputs.get("travel") or [])
    if basis.enough:
        data = dict(base_inputs, travel=own + apportion(answer_rows, basis.attendees))
        return data, TrueUpRule.SURVEY_EXTRAPOLATED
    as_given = dict(base_inputs, travel=own + answer_rows)
    if estimate_inputs is None:  # nothing to stand: the answers as given (records refuses)
        return as_given, TrueUpRule.SURVEY_ABOVE_ESTIMATE
    stands = dict(
        base_inputs,
        travel=list(estimate_inputs.get("travel") or []),
        round_trip=estimate_inputs.get("round_trip", True),
    )
    if _travel_kg(as_given) > _travel_kg(stands):
        return as_given, TrueUpRule.SURVEY_ABOVE_ESTIMATE
    return stands, TrueUpRule.ESTIMATE_STANDS


def attendees_of(event: Event, base: FootprintCalculation) -> int:
    """The attendees the answers are a share of: the actual figures' participants (the
    organiser's count after the event), else the expected attendees."""
    try:
        return max(int(base.inputs.get("participants") or 0), 0) or event.expected_attendees
    except (TypeError, ValueError):
        return event.expected_attendees


def record(
    session: Session,
    event: Event,
    base: FootprintCalculation,
    *,
    actor: User,
    use_survey: bool,
    today: date,
) -> FootprintCalculation:
    """Record the actual footprint: ``base`` (the organiser's actual figures), with the
    attendees' travel set by the rule when ``use_survey``."""
    records.check_own_calculation(base, actor)
    calculation = base
    rule = TrueUpRule.ORGANISER_FIGURES
    answers_count = attendees = None
    if use_survey:
        answers = survey.responses(session, event)
        if not answers:
            raise DomainError(
                _l("The survey has no answers yet; untick “add the survey's travel”.")
            )
        attendees = max(attendees_of(event, base), len(answers))
        answers_count = len(answers)
        basis = Basis(answers=answers_count, attendees=attendees)
        rows = survey.travel_rows((a.mode, a.one_way_km) for a in answers)
        estimate = event.estimate_calculation
        try:
            data, rule = actual_inputs(
                base.inputs, estimate.inputs if estimate is not None else None, rows, basis
            )
            calculation = footprint_records.save(
                session,
                kind=CalculationKind.EVENT,
                data=data,
                user=actor,
                label=f"{event.name} · {answers_count}/{attendees}"[:120],
            )
        except FootprintInputError as exc:
            raise DomainError(
                _l("The actual figures with the survey's travel are not valid: %(error)s",
                   error="; ".join(exc.as_text().values())[:200])
            ) from exc  # fmt: skip
    records.record_actual(session, event, calculation, actor=actor, today=today)
    event.trueup_rule = rule
    event.trueup_answers = answers_count
    event.trueup_attendees = attendees
    return calculation


def trueup_text(event: object) -> str:
    """The sentence saying what an event's actual footprint rests on ("" before the
    true-up, or for true-ups recorded before the rule was stored)."""
    rule = getattr(event, "trueup_rule", None)
    if rule is None or getattr(event, "actual_kg", None) is None:
        return ""
    answers = getattr(event, "trueup_answers", None) or 0
    attendees = getattr(event, "trueup_attendees", None) or 0
    return str(TRUEUP_TEXTS[rule]) % {
        "answers": answers,
        "attendees": attendees,
        "rate": percent(Basis(answers, attendees).rate),
        "min_answers": MIN_ANSWERS,
        "min_rate": percent(MIN_RATE),
    }
