"""Typed SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.accounts import Role, User
from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.projects import (
    MemorialSite,
    ProjectStatus,
    ProjectType,
    SinkInstrument,
    SinkProject,
)

__all__ = [
    "AuditEvent",
    "Base",
    "MemorialSite",
    "ProjectStatus",
    "ProjectType",
    "Role",
    "SinkInstrument",
    "SinkProject",
    "User",
]
