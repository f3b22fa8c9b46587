"""Write audit events. The caller's transaction commits them with the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webapp.models import AuditRecord, User


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    subject: object | None = None,
    ip: str | None = None,
    **details: Any,
) -> AuditRecord:
    subject_type = subject_id = None
    if subject is not None:
        subject_type = getattr(subject, "__tablename__", type(subject).__name__)
        subject_id = str(getattr(subject, "id", subject))
    event = AuditRecord(
        action=action,
        actor_id=actor.id if actor is not None else None,
        subject_type=subject_type,
        subject_id=subject_id,
        ip=ip,
        details={k: v for k, v in details.items() if v is not None},
    )
    session.add(event)
    return event
