"""Organisations and their zero-carbon events (零碳会议 / 零碳活动), with the attendee survey.

An organisation (company, government office, association, school, court) has members
(owner or member) and invoice details kept for receipts. An event belongs to one
organisation; its footprint is a stored calculation (the estimate before the event, the
actual after the true-up). Survey responses are anonymous: one per device (a hashed,
signed cookie id) per event, throttled per client address; or, where the organiser
hands out ticket codes (参会码), one per ticket code.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.footprint import FootprintCalculation


class OrganisationKind(enum.StrEnum):
    COMPANY = "company"  # 企业
    GOVERNMENT = "government"  # 机关事业单位
    ASSOCIATION = "association"  # 社会团体
    SCHOOL = "school"  # 学校
    COURT = "court"  # 法院


class MemberRole(enum.StrEnum):
    OWNER = "owner"  # manages members and invoice details
    MEMBER = "member"  # creates and runs events


class EventKind(enum.StrEnum):
    MEETING = "meeting"  # 会议
    FORUM = "forum"  # 论坛
    EXHIBITION = "exhibition"  # 展览
    PERFORMANCE = "performance"  # 演出
    SPORTS = "sports"  # 赛事
    OTHER = "other"  # 其他活动


class TravelMode(enum.StrEnum):
    """How an attendee came (the event calculator's travel modes)."""

    FLIGHT = "flight"
    HIGH_SPEED_RAIL = "high_speed_rail"
    RAIL = "rail"
    COACH = "coach"
    CAR = "car"
    TAXI = "taxi"
    METRO_BUS = "metro_bus"


class TrueUpRule(enum.StrEnum):
    """Which rule of docs/METHODOLOGY.md ("True-up from the survey") set the attendees'
    travel of an event's actual footprint."""

    ORGANISER_FIGURES = "organiser_figures"  # the organiser's figures, no survey used
    SURVEY_EXTRAPOLATED = "survey_extrapolated"  # enough answers: scaled to all attendees
    ESTIMATE_STANDS = "estimate_stands"  # too few answers: the estimate's travel stands
    SURVEY_ABOVE_ESTIMATE = "survey_above_estimate"  # too few, yet more than the estimate


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    invoice_title: Mapped[str | None] = mapped_column(String(120))  # 发票抬头
    invoice_tax_id: Mapped[str | None] = mapped_column(String(40))  # 税号
    invoice_address: Mapped[str | None] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", order_by="OrganisationMember.id"
    )


class OrganisationMember(Base):
    __tablename__ = "organisation_members"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("expected_attendees > 0", name="attendees_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public code in the event page's and the survey's URLs.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(60))
    province: Mapped[str] = mapped_column(String(8))  # ISO 3166-2:CN, e.g. CN-SD
    expected_attendees: Mapped[int] = mapped_column()
    estimate_calculation_id: Mapped[int | None] = mapped_column(
        ForeignKey("footprint_calculations.id")
    )
    actual_calculation_id: Mapped[int | None] = mapped_column(
        ForeignKey("footprint_calculations.id")
    )
    # Whole kg, rounded up from the calculations (what must be covered).
    estimate_kg: Mapped[int | None] = mapped_column(BigInteger)
    actual_kg: Mapped[int | None] = mapped_column(BigInteger)
    survey_open: Mapped[bool] = mapped_column(default=True)
    # When set, every answer needs one of the event's unused ticket codes (参会码).
    survey_tickets_required: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trued_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The true-up's basis, as it was when recorded (answers may still arrive afterwards).
    trueup_rule: Mapped[TrueUpRule | None] = mapped_column(str_enum(TrueUpRule))
    trueup_answers: Mapped[int | None] = mapped_column()
    trueup_attendees: Mapped[int | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    estimate_calculation: Mapped[FootprintCalculation | None] = relationship(
        foreign_keys=[estimate_calculation_id]
    )
    actual_calculation: Mapped[FootprintCalculation | None] = relationship(
        foreign_keys=[actual_calculation_id]
    )

    @property
    def footprint_kg(self) -> int | None:
        """What must be covered now: the actual after the true-up, else the estimate."""
        return self.actual_kg if self.actual_kg is not None else self.estimate_kg


class SurveyTicket(Base):
    """A ticket code (参会码) the organiser hands out: it admits one survey answer."""

    __tablename__ = "survey_tickets"
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyResponse(Base):
    """One attendee's travel to the event, given without an account: one per device, or
    one per ticket code where the event requires them (``device_hash`` then also keys
    the ticket, so one phone may answer for several tickets)."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("event_id", "device_hash"),
        CheckConstraint("one_way_km > 0", name="distance_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    device_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("survey_tickets.id"), unique=True)
    origin: Mapped[str | None] = mapped_column(String(60))
    mode: Mapped[TravelMode] = mapped_column(str_enum(TravelMode))
    one_way_km: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    comment: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
