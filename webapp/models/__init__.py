"""Typed SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.accounts import Role, User
from webapp.models.audit import AuditRecord
from webapp.models.base import Base
from webapp.models.certificate_batches import CertificateBatch
from webapp.models.certificates import Certificate, CertificateKind, CertificateStatus
from webapp.models.events import (
    Event,
    EventKind,
    MemberRole,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    SurveyResponse,
    SurveyTicket,
    TravelMode,
)
from webapp.models.footprint import CalculationKind, FootprintCalculation
from webapp.models.monitoring import MonitoringPeriod, MonitoringStatus
from webapp.models.orders import (
    DemoCheckout,
    Order,
    OrderKind,
    OrderPlot,
    OrderStatus,
    PaymentEvent,
    PaymentMethod,
)
from webapp.models.plots import (
    DedicationKind,
    Plot,
    PlotPhoto,
    PlotStatus,
    PlotUpdate,
    PlotUpdateKind,
    RangerAssignment,
    SitePhoto,
    SiteSpecies,
)
from webapp.models.projects import (
    MemorialSite,
    ProjectStatus,
    ProjectType,
    SinkInstrument,
    SinkProject,
)
from webapp.models.registry import (
    Allocation,
    AllocationState,
    Delivery,
    Issuance,
    IssuanceStatus,
    LedgerEntry,
    LedgerHead,
    MerkleNode,
    Privacy,
    Purpose,
    RangeState,
    SerialRange,
    TreeHead,
)
from webapp.models.scan import ScanResult, ScanVisit

__all__ = [
    "Allocation",
    "AllocationState",
    "AuditRecord",
    "Base",
    "CalculationKind",
    "Certificate",
    "CertificateBatch",
    "CertificateKind",
    "CertificateStatus",
    "DedicationKind",
    "Delivery",
    "DemoCheckout",
    "Event",
    "EventKind",
    "FootprintCalculation",
    "Issuance",
    "IssuanceStatus",
    "LedgerEntry",
    "LedgerHead",
    "MemberRole",
    "MemorialSite",
    "MerkleNode",
    "MonitoringPeriod",
    "MonitoringStatus",
    "Order",
    "OrderKind",
    "OrderPlot",
    "OrderStatus",
    "Organisation",
    "OrganisationKind",
    "OrganisationMember",
    "PaymentEvent",
    "PaymentMethod",
    "Plot",
    "PlotPhoto",
    "PlotStatus",
    "PlotUpdate",
    "PlotUpdateKind",
    "Privacy",
    "ProjectStatus",
    "ProjectType",
    "Purpose",
    "RangeState",
    "RangerAssignment",
    "Role",
    "ScanResult",
    "ScanVisit",
    "SerialRange",
    "SinkInstrument",
    "SinkProject",
    "SitePhoto",
    "SiteSpecies",
    "SurveyResponse",
    "SurveyTicket",
    "TravelMode",
    "TreeHead",
    "User",
]
from webapp.models import registry_ddl  # noqa: F401 - attaches DB-level guards
