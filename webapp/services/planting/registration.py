"""What planting registers at app creation: the e-mails sent after its commits
(registrations, cancelled days, decided proposals, revoked duty certificates) and the
fulfilment of donation orders (捐资造林)."""

from __future__ import annotations

from flask import Flask

from webapp.extensions import db
from webapp.models import (
    DutyCertificate,
    OrderKind,
    PlantingDay,
    PlantingRegistration,
    RegistrationStatus,
)
from webapp.services.messages import (
    DutyCertificateRevoked,
    PlantingDayCancelled,
    PlantingProposalDecided,
    PlantingRegistered,
)
from webapp.services.payments import fulfilment
from webapp.services.planting import donations, mails
from webapp.unit_of_work import on


def _registered(app: Flask, message: PlantingRegistered) -> None:
    registration = db.session.get(PlantingRegistration, message.registration_id)
    if registration is None:
        return
    mails.send_quietly(
        app.config,
        mails.registration_mail(registration, app.config["BASE_URL"], promoted=message.promoted),
    )


def _cancelled(app: Flask, message: PlantingDayCancelled) -> None:
    day = db.session.get(PlantingDay, message.day_id)
    if day is None:
        return
    for registration in day.registrations:
        if registration.status is not RegistrationStatus.CANCELLED:
            mails.send_quietly(
                app.config, mails.cancelled_mail(registration, app.config["BASE_URL"])
            )


def _decided(app: Flask, message: PlantingProposalDecided) -> None:
    day = db.session.get(PlantingDay, message.day_id)
    if day is None or day.proposed_by is None:
        return
    mails.send_quietly(app.config, mails.proposal_decided_mail(day, app.config["BASE_URL"]))


def _duty_revoked(app: Flask, message: DutyCertificateRevoked) -> None:
    certificate = db.session.get(DutyCertificate, message.certificate_id)
    if certificate is None:
        return
    notice = mails.duty_revoked_mail(certificate, app.config["BASE_URL"])
    if notice is not None:
        mails.send_quietly(app.config, notice)


def register(app: Flask) -> None:
    on(app, PlantingRegistered, _registered)
    on(app, PlantingDayCancelled, _cancelled)
    on(app, PlantingProposalDecided, _decided)
    on(app, DutyCertificateRevoked, _duty_revoked)
    fulfilment.register_fulfiller(OrderKind.DONATION, donations.fulfil)
