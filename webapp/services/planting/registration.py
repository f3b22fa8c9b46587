"""What planting registers at app creation: the e-mails sent after planting days' commits,
and the fulfilment of donation orders (捐资造林)."""

from __future__ import annotations

from flask import Flask

from webapp.extensions import db
from webapp.models import OrderKind, PlantingDay, PlantingRegistration, RegistrationStatus
from webapp.services.messages import PlantingDayCancelled, PlantingRegistered
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


def register(app: Flask) -> None:
    on(app, PlantingRegistered, _registered)
    on(app, PlantingDayCancelled, _cancelled)
    fulfilment.register_fulfiller(OrderKind.DONATION, donations.fulfil)
