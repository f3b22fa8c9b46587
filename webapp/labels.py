"""Translated display names for domain enums (presentation only)."""

from __future__ import annotations

import enum

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.models import ProjectStatus, ProjectType, Role, SinkInstrument

LABELS: dict[enum.Enum, object] = {
    Role.RESIDENT: _l("Resident"),
    Role.ORGANISER: _l("Organiser"),
    Role.RANGER: _l("Ranger"),
    Role.ADMIN: _l("Administrator"),
    ProjectType.AFFORESTATION: _l("Afforestation (造林碳汇)"),
    ProjectType.FOREST_MANAGEMENT: _l("Forest management (森林经营)"),
    ProjectType.BAMBOO: _l("Bamboo forest management (竹林经营)"),
    ProjectType.WETLAND: _l("Wetland (湿地)"),
    SinkInstrument.CCER: _l("CCER"),
    SinkInstrument.FORESTRY_TICKET: _l("Forestry carbon ticket (林业碳票)"),
    SinkInstrument.CARBON_PUHUI: _l("Carbon inclusion (碳普惠)"),
    SinkInstrument.VOLUNTARY_PLANTING: _l("Voluntary tree planting (义务植树)"),
    ProjectStatus.DRAFT: _l("Draft"),
    ProjectStatus.ACTIVE: _l("Active"),
    ProjectStatus.CLOSED: _l("Closed"),
}


def label(value: enum.Enum) -> str:
    return str(LABELS.get(value, value.value))


def register_labels(app: Flask) -> None:
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["role_label"] = label
