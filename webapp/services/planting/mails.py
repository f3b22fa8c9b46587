"""E-mails of planting days: registration (with the pass link), a place from the waiting
list, the cancellation of a day, the reminder before it, the decision on a proposed day for
its proposer, and the revocation of a duty certificate. Sent after the commit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.labels import duty_revocation_text
from webapp.models import (
    DutyCertificate,
    PlantingDay,
    PlantingDayStatus,
    PlantingRegistration,
    RegistrationStatus,
)
from webapp.models.base import utcnow
from webapp.services import mail
from webapp.services.mail import Mail

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=48)


def _when(day: PlantingDay) -> str:
    start = localtime.local(day.starts_at)
    end = localtime.local(day.ends_at)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _facts(day: PlantingDay, lang: str) -> list[str]:
    lines = [
        _("Planting day %(code)s at %(site)s", code=day.code, site=day.site.text("name", lang)),
        _("When: %(when)s (Beijing time)", when=_when(day)),
        _("Meeting point: %(place)s", place=day.meeting_point),
    ]
    if day.what_to_bring:
        lines.append(_("What to bring: %(text)s", text=day.what_to_bring))
    if day.safety_notes:
        lines.append(_("Safety and weather: %(text)s", text=day.safety_notes))
    return lines


def registration_mail(registration: PlantingRegistration, base_url: str, *, promoted=False):
    day = registration.day
    lang = registration.locale
    with force_locale(lang):
        if registration.status is RegistrationStatus.REGISTERED:
            first = (
                _("A place freed up: you are now registered.")
                if promoted
                else _("You are registered.")
            )
            subject = _("Your pass for planting day %(code)s", code=day.code)
        else:
            first = _(
                "The day is full: you are on the waiting list. We will write if a place frees up."
            )
            subject = _("Waiting list for planting day %(code)s", code=day.code)
        lines = [
            first,
            _("People: %(n)s", n=registration.places),
            "",
            *_facts(day, lang),
            "",
            _("Your pass and registration: %(url)s", url=f"{base_url}/account/planting"),
            "",
            _("Show the pass's QR code to the ranger when you arrive."),
            "— Tanhui 碳汇",
        ]
    return Mail(to=registration.user.email, subject=subject, text="\n".join(lines))


def cancelled_mail(registration: PlantingRegistration, base_url: str) -> Mail:
    day = registration.day
    with force_locale(registration.locale):
        lines = [
            _("Planting day %(code)s has been cancelled.", code=day.code),
            _("Reason: %(reason)s", reason=day.cancel_reason or ""),
            "",
            *_facts(day, registration.locale),
            "",
            _("Other planting days: %(url)s", url=f"{base_url}/planting-days"),
            "— Tanhui 碳汇",
        ]
        subject = _("Planting day %(code)s cancelled", code=day.code)
    return Mail(to=registration.user.email, subject=subject, text="\n".join(lines))


def reminder_mail(registration: PlantingRegistration, base_url: str) -> Mail:
    day = registration.day
    with force_locale(registration.locale):
        lines = [
            _("A reminder: you are registered for this planting day."),
            _("People: %(n)s", n=registration.places),
            "",
            *_facts(day, registration.locale),
            "",
            _("Your pass: %(url)s", url=f"{base_url}/account/planting"),
            _("If you cannot come, please cancel so someone on the waiting list can."),
            "— Tanhui 碳汇",
        ]
        subject = _("Reminder: planting day %(code)s", code=day.code)
    return Mail(to=registration.user.email, subject=subject, text="\n".join(lines))


def proposal_decided_mail(day: PlantingDay, base_url: str) -> Mail:
    """The proposer's e-mail: their day is scheduled (public now), or declined and why."""
    proposer = day.proposed_by
    lang = proposer.locale if proposer.locale in ("zh", "en") else "zh"
    with force_locale(lang):
        if day.status is PlantingDayStatus.DECLINED:
            subject = _("Your proposed planting day %(code)s was declined", code=day.code)
            lines = [
                _("Staff declined the planting day you proposed."),
                _("Reason: %(reason)s", reason=day.decline_reason or ""),
            ]
        else:
            subject = _("Your proposed planting day %(code)s is scheduled", code=day.code)
            lines = [
                _(
                    "Staff approved the planting day you proposed: it is now public and open for "
                    "registration."
                ),
                _("Its page: %(url)s", url=f"{base_url}/planting-days/{day.code}"),
            ]
        lines += [
            "",
            *_facts(day, lang),
            "",
            _("Your proposals: %(url)s", url=f"{base_url}/account/planting-proposals"),
            "— Tanhui 碳汇",
        ]
    return Mail(to=proposer.email, subject=subject, text="\n".join(lines))


def duty_revoked_mail(certificate: DutyCertificate, base_url: str) -> Mail | None:
    """The holder is told their duty certificate was revoked, why, and where to get a new
    one (None: the account has no e-mail address)."""
    user = certificate.user
    if not user.email or certificate.revoked_at is None:
        return None
    with force_locale(user.locale or "zh"):
        lines = [
            _(
                "Your tree-planting duty certificate %(id)s for %(year)s was revoked on %(date)s.",
                id=certificate.public_id,
                year=certificate.year,
                date=localtime.local_date(certificate.revoked_at).isoformat(),
            ),
            _(
                "Reason: %(reason)s",
                reason=duty_revocation_text(
                    certificate.revocation_reason, certificate.revocation_note
                ),
            ),
            _("Anyone who checks it is now told it is revoked."),
            "",
            _(
                "Your duty record, and a new certificate with the current figures: %(url)s",
                url=f"{base_url}/account/duty?year={certificate.year}",
            ),
            "— Tanhui 碳汇",
        ]
        subject = _("Duty certificate %(id)s revoked", id=certificate.public_id)
    return Mail(to=user.email, subject=subject, text="\n".join(lines))


def send_quietly(config: Mapping[str, Any], message: Mail) -> bool:
    try:
        mail.send(dict(config), message)
    except Exception:
        log.exception("planting e-mail to registration holder not sent")
        return False
    return True


def due_reminders(session: Session, now: datetime | None = None) -> list[int]:
    """Mark the days starting within 48 hours as reminded; the registrations to remind.

    Called inside a unit of work; the e-mails go out after it commits, so a day is
    reminded once however often the task runs."""
    now = now or utcnow()
    days = list(
        session.scalars(
            select(PlantingDay)
            .where(
                PlantingDay.status == PlantingDayStatus.SCHEDULED,
                PlantingDay.reminders_sent_at.is_(None),
                PlantingDay.starts_at > now,
                PlantingDay.starts_at <= now + REMIND_BEFORE,
            )
            .with_for_update(skip_locked=True)
        )
    )
    ids: list[int] = []
    for day in days:
        day.reminders_sent_at = now
        ids += [r.id for r in day.registrations if r.status is RegistrationStatus.REGISTERED]
    session.flush()
    return ids
