"""What the public sees of a project's monitoring, verification and delivery: the project
page and ``/api/v1/projects/<code>`` read the same dictionaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from webapp.localtime import local_iso
from webapp.models import MonitoringPeriod, MonitoringStatus, SinkProject
from webapp.services.registry import delivery, monitoring


@dataclass(frozen=True)
class PublicRecord:
    periods: list[MonitoringPeriod]
    figures: delivery.DeliveryFigures

    def documents(self) -> list[dict[str, Any]]:
        out = []
        for p in self.periods:
            out.append(
                {
                    "kind": "monitoring_report",
                    "monitoring_period": p.id,
                    "sha256": p.report_sha256,
                    "bytes": p.report_bytes,
                }
            )
            if p.statement_sha256:
                out.append(
                    {
                        "kind": "verification_statement",
                        "monitoring_period": p.id,
                        "sha256": p.statement_sha256,
                        "bytes": p.statement_bytes,
                    }
                )
        return out


def record(session: Session, project: SinkProject) -> PublicRecord:
    return PublicRecord(monitoring.periods_of(session, project), delivery.figures(session, project))


def period_dict(p: MonitoringPeriod) -> dict[str, Any]:
    verified = p.status is MonitoringStatus.VERIFIED
    return {
        "id": p.id,
        "period": [p.period_start.isoformat(), p.period_end.isoformat()],
        "method": p.method,
        "area_ha": str(p.area_ha),
        "status": p.status.value,
        "monitoring_report_sha256": p.report_sha256,
        "verifier": p.verifier,
        "verified_kg": p.verified_kg,
        "verification_statement_sha256": p.statement_sha256,
        "approved": verified,
        "approved_at": local_iso(p.approved_at) if p.approved_at else None,
        "issuance": p.issuance_id,
    }
