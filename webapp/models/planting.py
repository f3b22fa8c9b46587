"""Voluntary tree planting (全民义务植树): planting days (植树日) at memorial sites, who
registered for them, the check-ins the rangers' scanner records, and volunteering hours.

A day has a capacity in places (one per person); ``places_taken`` counts the places of its
registered (not waiting-listed, not cancelled) registrations and the database refuses more
than the capacity. Registrations lock the day's row, so the count is exact under
concurrency (``services/planting/registrations.py``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.plots import Plot
from webapp.models.projects import MemorialSite
from webapp.models.registry import Privacy

MAX_DAY_CODE = 12
MAX_PASS_ID = 12
MAX_PARTICIPANT_NAME = 60
MAX_GROUP_NAME = 120


class PlantingDayStatus(enum.StrEnum):
    """A day staff schedule is SCHEDULED at once; a day an organisation proposes is PROPOSED
    until staff approve it (SCHEDULED) or decline it, or its proposer withdraws it. Only
    SCHEDULED and CANCELLED days are public (``PUBLIC_DAY_STATUSES``)."""

    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# The states anyone but staff and the proposer may see (pages, API, scanner, e-mails).
PUBLIC_DAY_STATUSES = (PlantingDayStatus.SCHEDULED, PlantingDayStatus.CANCELLED)
MAX_PROPOSAL_NOTE = 500
MAX_DECLINE_REASON = 500


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class DutyRevocationReason(enum.StrEnum):
    """Why a duty certificate stopped standing (labels: ``webapp/labels.py``)."""

    STAFF = "staff"  # a staff decision, with the note they typed
    REFUNDED = "refunded"  # an order counted on it was refunded (automatic)


MAX_DUTY_NOTE = 200


planting_day_plots = Table(
    "planting_day_plots",
    Base.metadata,
    Column("day_id", ForeignKey("planting_days.id"), primary_key=True),
    Column("plot_id", ForeignKey("plots.id"), primary_key=True),
)


class PlantingDay(Base):
    """A day of voluntary planting at a memorial site (植树日)."""

    __tablename__ = "planting_days"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "places_taken >= 0 AND places_taken <= capacity", name="places_within_capacity"
        ),
        CheckConstraint("trees_available > 0", name="trees_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        # Proposals (issue 19): who proposed, who approved (never the proposer), why declined.
        CheckConstraint(
            "status NOT IN ('proposed', 'declined', 'withdrawn') OR proposed_by_id IS NOT NULL",
            name="proposal_has_proposer",
        ),
        CheckConstraint(
            "status NOT IN ('proposed', 'declined', 'withdrawn') OR places_taken = 0",
            name="proposal_has_no_places",
        ),
        CheckConstraint(
            "(approved_at IS NULL) = (approved_by_id IS NULL)", name="approval_complete"
        ),
        CheckConstraint(
            "approved_at IS NULL OR (proposed_by_id IS NOT NULL"
            " AND status IN ('scheduled', 'cancelled'))",
            name="approved_only_scheduled_proposal",
        ),
        CheckConstraint(
            "proposed_by_id IS NULL OR status NOT IN ('scheduled', 'cancelled')"
            " OR approved_at IS NOT NULL",
            name="scheduled_proposal_approved",
        ),
        CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> proposed_by_id",
            name="approver_not_proposer",
        ),
        CheckConstraint(
            "(status = 'declined') = (declined_at IS NOT NULL)"
            " AND (declined_at IS NULL OR (declined_by_id IS NOT NULL"
            " AND decline_reason IS NOT NULL AND decline_reason <> ''))",
            name="declined_has_reason",
        ),
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_time"
        ),
        Index("ix_planting_days_site_starts", "site_id", "starts_at"),
        Index("ix_planting_days_status", "status"),
        Index("ix_planting_days_proposed_by", "proposed_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_DAY_CODE), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_point: Mapped[str] = mapped_column(String(200))
    trees_available: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    safety_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PlantingDayStatus] = mapped_column(
        str_enum(PlantingDayStatus, length=12), default=PlantingDayStatus.SCHEDULED
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A proposal (status PROPOSED at first): its proposer, their note to staff, and the
    # decision. A day staff scheduled themselves has none of these.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposal_note: Mapped[str | None] = mapped_column(String(MAX_PROPOSAL_NOTE))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(MAX_DECLINE_REASON))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MemorialSite] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    plots: Mapped[list[Plot]] = relationship(secondary=planting_day_plots, order_by="Plot.code")
    registrations: Mapped[list[PlantingRegistration]] = relationship(
        back_populates="day", order_by="PlantingRegistration.id"
    )

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.places_taken)

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_DAY_STATUSES


class PlantingRegistration(Base):
    """One account's registration for a day: the account holder and family members, or an
    organisation's group. ``places`` is the number of people; the pass admits them all."""

    __tablename__ = "planting_registrations"
    __table_args__ = (
        CheckConstraint("places > 0", name="places_positive"),
        CheckConstraint(
            "status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        Index("ix_planting_registrations_day_status", "day_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[str] = mapped_column(String(MAX_PASS_ID), unique=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("planting_days.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_name: Mapped[str | None] = mapped_column(String(MAX_GROUP_NAME))
    places: Mapped[int] = mapped_column(Integer)
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus, length=12))
    # How the planters' names may appear on public pages (anonymous by default).
    name_privacy: Mapped[Privacy] = mapped_column(str_enum(Privacy), default=Privacy.ANONYMOUS)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    day: Mapped[PlantingDay] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship()
    participants: Mapped[list[PlantingParticipant]] = relationship(
        back_populates="registration", order_by="PlantingParticipant.position"
    )


class PlantingParticipant(Base):
    """A person of a registration. A child's guardian is the registering adult."""

    __tablename__ = "planting_participants"
    __table_args__ = (
        CheckConstraint("NOT is_child OR guardian_id IS NOT NULL", name="child_has_guardian"),
        CheckConstraint("guardian_id IS NULL OR guardian_id <> id", name="not_own_guardian"),
        CheckConstraint("length(name) BETWEEN 1 AND 60", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("planting_registrations.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(MAX_PARTICIPANT_NAME))
    is_child: Mapped[bool] = mapped_column(default=False)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("planting_participants.id"))

    registration: Mapped[PlantingRegistration] = relationship(back_populates="participants")


class PlantingCheckIn(Base):
    """A registration's pass checked at the site by a ranger (possibly offline, uploaded
    later). ``client_id`` is the device's visit id, so an upload repeated stores it once; a
    second check-in of the same pass (another device) is kept as ``duplicate_of`` the first
    and counts nothing."""

    __tablename__ = "planting_checkins"
    __table_args__ = (
        CheckConstraint("attendees >= 0", name="attendees_not_negative"),
        CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(String(36))
    day_id: Mapped[int] = mapped_column(ForeignKey("planting_days.id"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("planting_registrations.id"), index=True
    )
    ranger_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attendees: Mapped[int] = mapped_column(Integer)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("planting_checkins.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[PlantingRegistration] = relationship()
    trees: Mapped[list[PlantedTrees]] = relationship(
        back_populates="checkin", order_by="PlantedTrees.id"
    )


class PlantedTrees(Base):
    """Trees a checked-in registration planted on one plot."""

    __tablename__ = "planted_trees"
    __table_args__ = (CheckConstraint("trees > 0", name="trees_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("planting_checkins.id"), index=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("plots.id"), index=True)
    trees: Mapped[int] = mapped_column(Integer)

    checkin: Mapped[PlantingCheckIn] = relationship(back_populates="trees")
    plot: Mapped[Plot] = relationship()


class DutyCertificate(Base):
    """A signed record of one account's tree-planting duty (义务植树尽责证明) for a year, as
    the figures stood when it was issued. Its QR code carries the id, year and total trees,
    signed; the verify page (``/D/…``) compares them with this row, and says REVOKED once
    staff or a refund of an order it counted revoked it (``services/planting/duty.py``)."""

    __tablename__ = "duty_certificates"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2999", name="year_range"),
        CheckConstraint(
            "trees_planted >= 0 AND trees_converted >= 0"
            " AND total_trees = trees_planted + trees_converted",
            name="totals_add_up",
        ),
        # Revoked iff a reason is recorded; a staff decision names the person and carries
        # their note, an automatic revocation (a refund) names nobody.
        CheckConstraint(
            "(revoked_at IS NULL AND revocation_reason IS NULL)"
            " OR (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
            name="revoked_iff_reason",
        ),
        CheckConstraint(
            "(revocation_reason IS NULL AND revoked_by_id IS NULL AND revocation_note IS NULL)"
            " OR (revocation_reason IS NOT NULL AND revocation_reason = 'staff'"
            " AND revoked_by_id IS NOT NULL"
            " AND revocation_note IS NOT NULL AND revocation_note <> '')"
            " OR (revocation_reason IS NOT NULL AND revocation_reason <> 'staff'"
            " AND revoked_by_id IS NULL)",
            name="revocation_by_whom",
        ),
        Index("ix_duty_certificates_user_year", "user_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(MAX_PASS_ID), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    year: Mapped[int] = mapped_column(Integer)
    trees_planted: Mapped[int] = mapped_column(Integer)
    trees_converted: Mapped[int] = mapped_column(Integer)
    total_trees: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Revocation (migration 0024): when, why, by whom (None when automatic) and the note.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[DutyRevocationReason | None] = mapped_column(
        str_enum(DutyRevocationReason, length=16)
    )
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_note: Mapped[str | None] = mapped_column(String(MAX_DUTY_NOTE))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class VolunteerHours(Base):
    """Volunteering (志愿服务) for the forest, recorded by a ranger of the site for an
    account: counted in that account's duty record at the conversion rule in force."""

    __tablename__ = "volunteer_hours"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 12", name="hours_in_range"),
        Index("ix_volunteer_hours_user_day", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"))
    day: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    site: Mapped[MemorialSite] = relationship()
