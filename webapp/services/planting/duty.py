"""The yearly tree-planting duty record (尽责) of an account, and its signed certificate.

Under the 1981 resolution of the National People's Congress every able citizen from 11
years of age plants three to five trees a year, or does the equivalent work; the 2017
《全民义务植树尽责形式管理办法（试行）》 of the 全国绿化委员会 recognises eight forms of
fulfilling it (planting, tending, nature protection, 认种认养 adoption, building
facilities, donating money or goods, volunteering, others) and leaves the conversion of
donations to the provinces. Tanhui counts (docs/METHODOLOGY.md §"Tree-planting duty"):

* **planting** (造林绿化): the trees recorded at check-in at planting days the account's
  registration attended (a repeated check-in counts nothing);
* **adoption** (认种认养): each plot sponsored in the year, its price divided by the
  conversion rule of its site's jurisdiction (``DUTY_CONVERSION``; default 20 yuan per
  tree, the figure the national portal 全民义务植树网 uses), rounded down;
* **donation** (捐资捐物, 捐资造林): each donation order paid in the year and not refunded,
  its amount divided by the same rule of its site, rounded down per donation (¥70 at ¥20 a
  tree counts 3 trees; two donations of ¥10 count none — the rule converts each gift);
* **volunteering** (志愿服务, 抚育管护): hours a ranger recorded, times the rule's
  ``trees_per_hour``, rounded down. No national figure exists; the default is 3 trees an
  hour, the conversion Hangzhou's municipal government published for volunteering and
  tending work (docs/METHODOLOGY.md §13 gives the source).

It records duty, never a carbon offset: no tonnes are claimed or retired.

A sponsorship counts while its order (if it was bought through one) is of a kind in
:data:`DUTY_ORDER_KINDS` and paid: a refunded sponsorship counts nothing, even when its
trees stand (``reservations.withdrawn``). A certificate states the figures of the moment it
was issued; it stops standing when staff revoke it or when an order it counted is refunded
(``services/planting/duty_revocation.py``). The holder can then download a new one.

The certificate's QR text::

    {BASE_URL uppercased}/D/{ID}/{YEAR}/{TOTAL}/{TAG}.{SIGNATURE}

signed with Ed25519 over ``"TANHUI-DUTY:" + ID + "/" + YEAR + "/" + TOTAL + "/" + TAG``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.errors import DomainError, Forbidden
from webapp.models import (
    DutyCertificate,
    MemorialSite,
    Order,
    OrderKind,
    OrderStatus,
    PlantingCheckIn,
    PlantingRegistration,
    Plot,
    User,
    VolunteerHours,
)
from webapp.models.base import utcnow
from webapp.models.plots import SPONSORED_STATUSES
from webapp.services import audit, text_policy
from webapp.services.planting.registrations import new_pass_id
from webapp.services.plots import rangers, reservations
from webapp.services.signing import Keyring, SigningKey

DUTY_CONTEXT = "TANHUI-DUTY:"
DUTY_PATH = "/D/"
TREES_PER_YEAR_MIN = 3  # 三至五棵 (1981 NPC resolution)
TREES_PER_YEAR_MAX = 5
DEFAULT_YUAN_PER_TREE = Decimal("20")
DEFAULT_YUAN_SOURCE = "全民义务植树网（国家林业和草原局）"
# No national rate for labour exists (the 2017 measures leave it to local greening
# commissions); the default is a published local one, named on every page that uses it.
DEFAULT_TREES_PER_HOUR = Decimal("3")
DEFAULT_HOURS_SOURCE = "杭州市人民政府《关于深入开展全民义务植树活动的通知》"
MAX_HOURS_PER_DAY = Decimal("12")
# The kinds of order whose payment counts toward the duty: a plot sponsorship (counted per
# plot, from the plot it sponsored) and a donation (counted per order). A refund of either
# stops it counting; the counting below and the revocation on refund
# (duty_revocation.revoke_for_refund) both read this one set.
DUTY_ORDER_KINDS: frozenset[OrderKind] = frozenset({OrderKind.PLOT, OrderKind.DONATION})
# Of those, the kinds counted from the order itself (its amount), not from plots.
_ORDER_COUNTED = DUTY_ORDER_KINDS - {OrderKind.PLOT}
_DUTY = re.compile(
    r"(?P<id>[0-9A-Z]{10})/(?P<year>2[0-9]{3})/(?P<total>0|[1-9][0-9]{0,6})"
    r"/(?P<tag>[A-Z2-7]{3})\.(?P<sig>[A-Z2-7]{103})"
)


class DutyTokenError(ValueError):
    pass


@dataclass(frozen=True)
class ConversionRule:
    """Yuan of a sponsorship or donation counted as one tree, and trees counted for an hour
    of volunteering or tending, for one jurisdiction; each with the rule it comes from."""

    yuan_per_tree: Decimal
    trees_per_hour: Decimal
    source: str
    hours_source: str


def rule_for(config: Mapping[str, Any], site_code: str) -> ConversionRule:
    """The rule of ``site_code`` in ``DUTY_CONVERSION`` (its ``default`` otherwise).

    An entry gives ``yuan_per_tree`` and ``source``, and may give ``trees_per_hour`` with
    ``hours_source`` (its ``source`` when it has none); what it leaves out comes from the
    defaults, with their own sources.
    """
    table = config.get("DUTY_CONVERSION") or {}
    entry = table.get(site_code) or table.get("default") or {}
    yuan = _positive(entry.get("yuan_per_tree"))
    source = str(entry.get("source") or "") if yuan is not None else DEFAULT_YUAN_SOURCE
    trees = _positive(entry.get("trees_per_hour"))
    hours_source = (
        str(entry.get("hours_source") or entry.get("source") or "")
        if trees is not None
        else DEFAULT_HOURS_SOURCE
    )
    return ConversionRule(
        yuan_per_tree=yuan if yuan is not None else DEFAULT_YUAN_PER_TREE,
        trees_per_hour=trees if trees is not None else DEFAULT_TREES_PER_HOUR,
        source=source,
        hours_source=hours_source,
    )


def _positive(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() and number > 0 else None


@dataclass(frozen=True)
class PlantedLine:
    day_code: str
    site_code: str
    date: str
    people: int
    trees: int


@dataclass(frozen=True)
class SponsoredLine:
    site_code: str
    plot_code: str
    amount: Decimal
    yuan_per_tree: Decimal
    trees: int
    order_ref: str | None = None  # None: sponsored without an order (demonstration data)


@dataclass(frozen=True)
class DonatedLine:
    site_code: str
    ref: str
    date: str
    amount: Decimal
    yuan_per_tree: Decimal
    trees: int


@dataclass(frozen=True)
class HoursLine:
    site_code: str
    date: str
    hours: Decimal
    trees_per_hour: Decimal
    trees: int


@dataclass(frozen=True)
class DutyRecord:
    year: int
    planted: list[PlantedLine]
    sponsored: list[SponsoredLine]
    volunteering: list[HoursLine] = field(default_factory=list)
    donated: list[DonatedLine] = field(default_factory=list)

    @property
    def trees_planted(self) -> int:
        return sum(line.trees for line in self.planted)

    @property
    def trees_donated(self) -> int:
        return sum(line.trees for line in self.donated)

    @property
    def trees_converted(self) -> int:
        return (
            sum(line.trees for line in self.sponsored)
            + sum(line.trees for line in self.volunteering)
            + self.trees_donated
        )

    @property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.volunteering), Decimal(0))

    @property
    def total(self) -> int:
        return self.trees_planted + self.trees_converted

    @property
    def fulfilled(self) -> bool:
        return self.total >= TREES_PER_YEAR_MIN


def trees_for(amount: Decimal, rule: ConversionRule) -> int:
    """Whole trees ``amount`` yuan counts for at ``rule`` (rounded down)."""
    return int((amount / rule.yuan_per_tree).to_integral_value(rounding=ROUND_FLOOR))


def counts(order: Order) -> bool:
    """Whether ``order`` counts on its buyer's duty record now: a kind in
    :data:`DUTY_ORDER_KINDS`, paid (a refunded order counts nothing)."""
    return order.kind in DUTY_ORDER_KINDS and order.status is OrderStatus.PAID


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = localtime.zone()
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end


def record(session: Session, user: User, year: int, config: Mapping[str, Any]) -> DutyRecord:
    start, end = _year_bounds(year)
    planted = []
    checkins = session.scalars(
        select(PlantingCheckIn)
        .join(PlantingRegistration, PlantingCheckIn.registration_id == PlantingRegistration.id)
        .where(
            PlantingRegistration.user_id == user.id,
            PlantingCheckIn.duplicate_of_id.is_(None),
            PlantingCheckIn.scanned_at >= start,
            PlantingCheckIn.scanned_at < end,
        )
        .order_by(PlantingCheckIn.scanned_at)
    )
    for checkin in checkins:
        day = checkin.registration.day
        planted.append(
            PlantedLine(
                day_code=day.code,
                site_code=day.site.code,
                date=localtime.local_date(checkin.scanned_at).isoformat(),
                people=checkin.attendees,
                trees=sum(t.trees for t in checkin.trees),
            )
        )
    sponsored = []
    plots = list(
        session.scalars(
            select(Plot)
            .where(
                Plot.sponsor_user_id == user.id,
                Plot.status.in_(SPONSORED_STATUSES),
                Plot.sponsored_at >= start,
                Plot.sponsored_at < end,
            )
            .order_by(Plot.sponsored_at, Plot.id)
        )
    )
    # A plot sponsored through an order keeps the order's ref as its holder.
    refs = {p.holder_ref for p in plots if p.holder_ref}
    orders = (
        {o.ref: o for o in session.scalars(select(Order).where(Order.ref.in_(refs)))}
        if refs
        else {}
    )
    for plot in plots:
        if reservations.withdrawn(plot):
            continue  # refunded: the trees stand, the sponsorship no longer counts
        order = orders.get(plot.holder_ref or "")
        if order is not None and not counts(order):
            continue
        rule = rule_for(config, plot.site.code)
        trees = trees_for(plot.price, rule)
        sponsored.append(
            SponsoredLine(
                site_code=plot.site.code,
                plot_code=plot.code,
                amount=plot.price,
                yuan_per_tree=rule.yuan_per_tree,
                trees=trees,
                order_ref=order.ref if order is not None else None,
            )
        )
    volunteering = []
    rows = session.scalars(
        select(VolunteerHours)
        .where(
            VolunteerHours.user_id == user.id,
            VolunteerHours.day >= date(year, 1, 1),
            VolunteerHours.day < date(year + 1, 1, 1),
        )
        .order_by(VolunteerHours.day, VolunteerHours.id)
    )
    for row in rows:
        rule = rule_for(config, row.site.code)
        trees = int((row.hours * rule.trees_per_hour).to_integral_value(rounding=ROUND_FLOOR))
        volunteering.append(
            HoursLine(
                site_code=row.site.code,
                date=row.day.isoformat(),
                hours=row.hours,
                trees_per_hour=rule.trees_per_hour,
                trees=trees,
            )
        )
    donated = []
    orders = session.scalars(
        select(Order)
        .where(
            Order.user_id == user.id,
            Order.kind.in_(sorted(_ORDER_COUNTED)),
            Order.status == OrderStatus.PAID,  # a refunded donation stops counting
            Order.paid_at >= start,
            Order.paid_at < end,
        )
        .order_by(Order.paid_at, Order.id)
    )
    for order in orders:
        if not counts(order) or order.site is None:
            continue
        rule = rule_for(config, order.site.code)
        donated.append(
            DonatedLine(
                site_code=order.site.code,
                ref=order.ref,
                date=localtime.local_date(order.paid_at).isoformat(),
                amount=order.amount,
                yuan_per_tree=rule.yuan_per_tree,
                trees=trees_for(order.amount, rule),
            )
        )
    return DutyRecord(
        year=year,
        planted=planted,
        sponsored=sponsored,
        volunteering=volunteering,
        donated=donated,
    )


def record_hours(
    session: Session,
    *,
    ranger: User,
    person: User | None,
    site: MemorialSite,
    day: date,
    hours: Decimal,
    note: str = "",
    now: datetime | None = None,
) -> VolunteerHours:
    """A ranger records someone's volunteering at their site (not in the future, at most
    12 hours a day, the account must exist)."""
    now = now or utcnow()
    if not rangers.may_report(session, ranger, site):
        raise Forbidden(_l("You are not assigned to this site."))
    if person is None:
        raise DomainError(_l("No account has this e-mail address."))
    if day > localtime.today(now) or day.year < 2000:
        raise DomainError(_l("Volunteering can be recorded for today or an earlier day."))
    if not hours.is_finite() or hours <= 0 or hours != hours.quantize(Decimal("0.1")):
        raise DomainError(_l("Hours must be a number such as 2 or 3.5."))
    recorded = session.scalar(
        select(func.coalesce(func.sum(VolunteerHours.hours), 0)).where(
            VolunteerHours.user_id == person.id, VolunteerHours.day == day
        )
    )
    if Decimal(recorded or 0) + hours > MAX_HOURS_PER_DAY:
        raise DomainError(
            _l(
                "At most 12 hours a day can be recorded; %(n)s are already recorded that day.",
                n=Decimal(recorded or 0),
            )
        )
    try:
        note = text_policy.clean(note, limit=200)
    except text_policy.TextRefused as exc:
        raise DomainError(exc.message) from exc
    row = VolunteerHours(
        user_id=person.id,
        site_id=site.id,
        day=day,
        hours=hours,
        note=note,
        recorded_by_id=ranger.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, "planting.hours", actor=ranger, subject=row, hours=str(hours))
    return row


def lock_holder(session: Session, user_id: int) -> None:
    """Serialise issuing a duty certificate and revoking on a refund for one account: both
    take the account's row (``FOR NO KEY UPDATE``; an insert referring to it is not held
    up) before reading the figures."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True)).all()


def issue(
    session: Session,
    user: User,
    year: int,
    config: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> tuple[DutyCertificate, DutyRecord]:
    """The certificate of the year's record as it stands now, and that record: the latest
    standing certificate of that year if its figures still hold, else a new one (earlier
    ones keep the figures they stated; a revoked one is never handed out again).

    The figures are read under the account's lock, after any refund being committed
    (``duty_revocation.revoke_for_refund``): a new certificate never counts an order whose
    refund committed before it."""
    lock_holder(session, user.id)
    duty = record(session, user, year, config)
    latest = session.scalar(
        select(DutyCertificate)
        .where(
            DutyCertificate.user_id == user.id,
            DutyCertificate.year == duty.year,
            DutyCertificate.revoked_at.is_(None),
        )
        .order_by(DutyCertificate.id.desc())
        .limit(1)
    )
    if (
        latest is not None
        and latest.trees_planted == duty.trees_planted
        and latest.trees_converted == duty.trees_converted
    ):
        return latest, duty
    certificate = DutyCertificate(
        public_id=new_pass_id(),
        user_id=user.id,
        year=duty.year,
        trees_planted=duty.trees_planted,
        trees_converted=duty.trees_converted,
        total_trees=duty.total,
        holder_name=user.display_name,
        issued_at=now or utcnow(),
    )
    session.add(certificate)
    session.flush()
    return certificate, duty


def qr_text(base_url: str, key: SigningKey, certificate: DutyCertificate) -> str:
    body = f"{certificate.public_id}/{certificate.year}/{certificate.total_trees}/{key.tag}"
    signature = key.sign((DUTY_CONTEXT + body).encode("ascii"))
    b32 = base64.b32encode(signature).decode("ascii").rstrip("=")
    return f"{base_url.rstrip('/').upper()}{DUTY_PATH}{body}.{b32}"


@dataclass(frozen=True)
class DutyClaims:
    public_id: str
    year: int
    total: int


def verify(keyring: Keyring, text: str) -> DutyClaims:
    text = str(text).strip().upper()
    if DUTY_PATH in text:
        text = text[text.rindex(DUTY_PATH) + len(DUTY_PATH) :]
    match = _DUTY.fullmatch(text)
    if match is None:
        raise DutyTokenError("malformed")
    key = keyring.by_tag(match["tag"])
    if key is None:
        raise DutyTokenError("unknown key")
    try:
        signature = base64.b32decode(match["sig"] + "=")
    except binascii.Error as exc:
        raise DutyTokenError("malformed signature") from exc
    body = text[: match.start("sig") - 1]
    if not key.verify((DUTY_CONTEXT + body).encode("ascii"), signature):
        raise DutyTokenError("signature")
    return DutyClaims(public_id=match["id"], year=int(match["year"]), total=int(match["total"]))


def by_public_id(session: Session, public_id: str) -> DutyCertificate | None:
    return session.scalar(select(DutyCertificate).where(DutyCertificate.public_id == public_id))


def certificates_of(session: Session, user: User, year: int) -> list[DutyCertificate]:
    """The account's duty certificates of ``year``, newest first (revoked ones included)."""
    return list(
        session.scalars(
            select(DutyCertificate)
            .where(DutyCertificate.user_id == user.id, DutyCertificate.year == year)
            .order_by(DutyCertificate.id.desc())
        )
    )


def render_pdf(
    certificate: DutyCertificate, duty: DutyRecord, qr: str, config: Mapping[str, Any]
) -> bytes:
    """The A4 certificate (bilingual), with the QR code of ``qr`` (its verify text)."""
    from webapp.services.certificates.qr import make_qr
    from webapp.services.print_sheets import PrintSheets
    from webapp.services.registry.privacy import initials

    sheets = PrintSheets("planting_print", "planting")
    return sheets.render(
        "duty.html",
        year=certificate.year,
        public_id=certificate.public_id,
        holder=certificate.holder_name,
        holder_initials=initials(certificate.holder_name),
        total=certificate.total_trees,
        fulfilled=certificate.total_trees >= TREES_PER_YEAR_MIN,
        planted=duty.planted,
        sponsored=duty.sponsored,
        volunteering=duty.volunteering,
        donated=duty.donated,
        default_rate=rule_for(config, "").yuan_per_tree,
        issued=localtime.local_date(certificate.issued_at).isoformat(),
        qr=make_qr(qr).svg(32),
        url=qr,
    )
