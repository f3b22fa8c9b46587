"""Registering sink projects (碳汇项目) — by registry administrators, audited."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.models import (
    ProjectStatus,
    ProjectType,
    RiskRating,
    Role,
    SinkInstrument,
    SinkProject,
    User,
)
from webapp.services import audit
from webapp.services.registry.queries import project_by_code


@dataclass(frozen=True)
class ProjectData:
    code: str
    name_zh: str
    name_en: str
    type: ProjectType
    instrument: SinkInstrument
    province: str
    city_zh: str
    city_en: str
    county_zh: str
    county_en: str
    latitude: Decimal | None
    longitude: Decimal | None
    area_mu: Decimal
    developer_zh: str
    developer_en: str
    methodology: str
    crediting_start: date
    crediting_end: date | None
    description_zh: str = ""
    description_en: str = ""
    risk_rating: RiskRating = RiskRating.MEDIUM  # buffer share (issue 18)


def create(session: Session, data: ProjectData, *, actor: User) -> SinkProject:
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may do this."))
    code = data.code.strip().upper()
    if project_by_code(session, code) is not None:
        raise Conflict(_l("A project with this code already exists."))
    if data.crediting_end is not None and data.crediting_end < data.crediting_start:
        raise DomainError(_l("The crediting period must end after it starts."))
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in asdict(data).items()}
    values["code"] = code
    project = SinkProject(**values, status=ProjectStatus.ACTIVE)
    session.add(project)
    session.flush()
    audit.record(session, "registry.project_created", actor=actor, subject=project, code=code)
    return project
