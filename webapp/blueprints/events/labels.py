"""Display names of the events' enums (kept apart: their values, e.g. "other", repeat
those of other enums, and ``webapp.labels`` keys its table by value)."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from webapp.blueprints.events import bp
from webapp.models import EventKind, MemberRole, OrganisationKind, TravelMode

_LABELS: dict[tuple[type, str], object] = {
    (OrganisationKind, "company"): _l("Company"),
    (OrganisationKind, "government"): _l("Government office"),
    (OrganisationKind, "association"): _l("Association"),
    (OrganisationKind, "school"): _l("School"),
    (OrganisationKind, "court"): _l("Court"),
    (MemberRole, "owner"): _l("Owner"),
    (MemberRole, "member"): _l("Member"),
    (EventKind, "meeting"): _l("Meeting (会议)"),
    (EventKind, "forum"): _l("Forum (论坛)"),
    (EventKind, "exhibition"): _l("Exhibition (展览)"),
    (EventKind, "performance"): _l("Performance (演出)"),
    (EventKind, "sports"): _l("Sports event (赛事)"),
    (EventKind, "other"): _l("Other event"),
    (TravelMode, "flight"): _l("Plane"),
    (TravelMode, "high_speed_rail"): _l("High-speed train"),
    (TravelMode, "rail"): _l("Train"),
    (TravelMode, "coach"): _l("Coach"),
    (TravelMode, "car"): _l("Car"),
    (TravelMode, "taxi"): _l("Taxi"),
    (TravelMode, "metro_bus"): _l("Metro or bus"),
}


@bp.app_template_global()
def event_label(value: enum.Enum) -> str:
    return str(_LABELS.get((type(value), value.value), value.value))
