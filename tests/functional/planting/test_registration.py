"""Residents and groups register for planting days; the waiting list; reminders."""

from __future__ import annotations

import io
from pathlib import Path

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import PlantingRegistration, RegistrationStatus
from webapp.services.mail import list_outbox


def register(client, day, **fields):
    path = f"/planting-days/{day.code}"
    data = {"csrf_token": csrf_token(client, path), "privacy": "anonymous", **fields}
    return client.post(f"{path}/register", data=data, follow_redirects=True)


def outbox(app) -> list[str]:
    return [item.subject for item in list_outbox(Path(app.config["MAIL_OUTBOX"]))]


def test_a_resident_registers_with_a_child_whose_guardian_is_the_adult(
    app, english, auth, make_user, planting_day
):
    make_user(email="lin@example.cn", name="Lin")
    auth.login()
    page = register(english, planting_day, your_name="Lin Xiaoshu", children="Lin Miaomiao")
    assert "You are registered (2 places). Your pass is ready." in page.get_data(as_text=True)
    registration = db.session.query(PlantingRegistration).one()
    adult, child = registration.participants
    assert registration.status is RegistrationStatus.REGISTERED and registration.places == 2
    assert child.is_child and child.guardian_id == adult.id and not adult.is_child
    db.session.refresh(planting_day)
    assert planting_day.places_taken == 2
    mine = english.get("/account/planting").get_data(as_text=True)
    assert "<svg" in mine and f"/T/{registration.pass_id}/{planting_day.code}/CLS-JN/2/" in mine
    assert f"Your pass for planting day {planting_day.code}" in outbox(app)
    # Registering again for the same day is refused.
    again = register(english, planting_day, your_name="Lin Xiaoshu")
    assert again.status_code == 409
    assert "You are already registered for this planting day." in again.get_data(as_text=True)


def test_a_full_day_waiting_lists_and_a_cancellation_moves_the_list_up(
    app, english, auth, make_user, planting_day
):
    make_user(email="school@example.cn", name="Teacher")
    make_user(email="lin@example.cn", name="Lin")
    auth.login(email="school@example.cn")
    csv = "name\n张三\n李四\n王五\n".encode()
    page = register(
        english,
        planting_day,
        your_name="Teacher Wang",
        group_name="Tai'an No. 1 School",
        names_file=(io.BytesIO(csv), "names.csv"),
    )
    assert "You are registered (4 places)" in page.get_data(as_text=True)
    group = db.session.query(PlantingRegistration).one()
    assert [p.name for p in group.participants] == ["Teacher Wang", "张三", "李四", "王五"]
    auth.logout()
    auth.login(email="lin@example.cn")
    page = register(english, planting_day, your_name="Lin").get_data(as_text=True)
    assert "This planting day is full: you are number 1 on the waiting list." in page
    waiting = db.session.query(PlantingRegistration).filter_by(group_name=None).one()
    assert waiting.status is RegistrationStatus.WAITLISTED
    assert english.get("/account/planting").get_data(as_text=True).count("<svg") == 0
    assert f"Waiting list for planting day {planting_day.code}" in outbox(app)

    auth.logout()
    auth.login(email="school@example.cn")
    token = csrf_token(english, "/account/planting")
    english.post(f"/account/planting/{group.pass_id}/cancel", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(PlantingRegistration, group.id).status is RegistrationStatus.CANCELLED
    assert db.session.get(PlantingRegistration, waiting.id).status is RegistrationStatus.REGISTERED
    db.session.refresh(planting_day)
    assert planting_day.places_taken == 1


def test_bad_registrations_are_refused_and_change_nothing(english, auth, make_user, planting_day):
    make_user(email="lin@example.cn", name="Lin")
    auth.login(email="lin@example.cn")
    too_many = register(english, planting_day, your_name="Lin", adults="A\nB\nC\nD")
    assert too_many.status_code == 400
    assert "This planting day has 4 places in all" in too_many.get_data(as_text=True)
    hidden_direction = register(english, planting_day, your_name="\u202eLin")
    assert hidden_direction.status_code == 400
    assert "direction-changing character" in hidden_direction.get_data(as_text=True)
    bad_csv = register(
        english,
        planting_day,
        your_name="Lin",
        group_name="Club",
        names_file=(io.BytesIO(b"\xff\xfe\x00\x00"), "x.csv"),
    )
    assert bad_csv.status_code == 400
    assert db.session.query(PlantingRegistration).count() == 0
    db.session.refresh(planting_day)
    assert planting_day.places_taken == 0


def test_registration_needs_an_account(client, planting_day):
    response = client.post(f"/planting-days/{planting_day.code}/register", data={})
    assert response.status_code in (302, 400)
    assert db.session.query(PlantingRegistration).count() == 0


def test_reminders_are_sent_once_for_days_within_48_hours(
    app, runner, make_user, site, sponsored_plots, planting_admin
):
    from tests.support.planting import make_day
    from webapp.services.planting import registrations

    soon = make_day(site, sponsored_plots[:1], planting_admin, in_days=1)
    later = make_day(site, sponsored_plots[1:], planting_admin, in_days=10)
    for day in (soon, later):
        user = make_user()
        registrations.register(db.session, day, user, [registrations.Person("林")], locale="en")
        db.session.commit()
    first = runner.invoke(args=["planting", "remind"])
    assert "sent 1 planting-day reminder(s)" in first.output
    second = runner.invoke(args=["planting", "remind"])
    assert "sent 0 planting-day reminder(s)" in second.output
    assert outbox(app).count(f"Reminder: planting day {soon.code}") == 1
    assert not any(later.code in s and "Reminder" in s for s in outbox(app))
