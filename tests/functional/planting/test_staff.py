"""Staff schedule planting days at /admin, change the capacity and cancel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.support.app import csrf_token
from webapp import localtime
from webapp.extensions import db
from webapp.models import PlantingDay, PlantingDayStatus, PlotStatus
from webapp.services.mail import list_outbox
from webapp.services.planting import registrations


def _schedule(client, site, plots, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/admin/planting-days"),
        "site": str(site.id),
        "day": (localtime.today() + timedelta(days=5)).isoformat(),
        "start": "09:00",
        "end": "12:00",
        "meeting_point": "East gate",
        "plots": [str(p.id) for p in plots],
        "trees_available": "40",
        "capacity": "20",
        "what_to_bring": "Gloves",
        "safety_notes": "Postponed if it rains",
        **overrides,
    }
    return client.post("/admin/planting-days", data=data, follow_redirects=True)


def test_staff_schedule_a_day_in_local_time(english, auth, planting_admin, site, sponsored_plots):
    auth.login(email="staff@example.cn")
    page = _schedule(english, site, sponsored_plots)
    assert page.status_code == 200
    day = db.session.query(PlantingDay).one()
    assert localtime.local(day.starts_at).hour == 9  # 09:00 Beijing time = 01:00 UTC
    assert day.starts_at.hour == 1
    assert {p.code for p in day.plots} == {"B-01", "B-02"}
    assert f"Planting day {day.code} is scheduled." in page.get_data(as_text=True)
    public = english.get(f"/planting-days/{day.code}").get_data(as_text=True)
    assert "20 of 20 places left" in public and "East gate" in public
    assert day.code in english.get("/sites/CLS-JN").get_data(as_text=True)
    assert day.code in english.get("/planting-days").get_data(as_text=True)


def test_a_past_date_or_a_plot_not_waiting_is_refused(
    english, auth, planting_admin, site, sponsored_plots, make_plot
):
    auth.login(email="staff@example.cn")
    past = _schedule(
        english, site, sponsored_plots, day=(localtime.today() - timedelta(days=1)).isoformat()
    )
    assert past.status_code == 400
    assert "A planting day must start in the future." in past.get_data(as_text=True)
    backwards = _schedule(english, site, sponsored_plots, start="12:00", end="09:00")
    assert "The end time must be after the start time." in backwards.get_data(as_text=True)
    free = make_plot("C-01")
    assert free.status is PlotStatus.AVAILABLE
    not_waiting = _schedule(english, site, [free])
    assert not_waiting.status_code == 400
    assert db.session.query(PlantingDay).count() == 0


def test_capacity_cannot_go_below_the_registrations_and_cancelling_tells_everyone(
    app, english, auth, planting_admin, planting_day, make_user
):
    for n in range(3):
        registrations.register(
            db.session, planting_day, make_user(), [registrations.Person(f"人{n}")], locale="en"
        )
    db.session.commit()
    auth.login(email="staff@example.cn")
    path = f"/admin/planting-days/{planting_day.code}"
    token = csrf_token(english, path)
    low = english.post(f"{path}/capacity", data={"csrf_token": token, "cap-capacity": "2"})
    assert low.status_code == 400
    assert "The capacity cannot be below the 3 places already registered." in low.get_data(
        as_text=True
    )
    db.session.refresh(planting_day)
    assert planting_day.capacity == 4
    english.post(f"{path}/capacity", data={"csrf_token": token, "cap-capacity": "6"})
    db.session.refresh(planting_day)
    assert planting_day.capacity == 6

    english.post(f"{path}/cancel", data={"csrf_token": token, "cancel-reason": "Storm warning"})
    db.session.refresh(planting_day)
    assert planting_day.status is PlantingDayStatus.CANCELLED
    subjects = [i.subject for i in list_outbox(Path(app.config["MAIL_OUTBOX"]))]
    assert subjects.count(f"Planting day {planting_day.code} cancelled") == 3
    public = english.get(f"/planting-days/{planting_day.code}").get_data(as_text=True)
    assert "This planting day was cancelled: Storm warning" in public
    assert 'action="/planting-days/' not in public  # no registration form any more


def test_residents_cannot_reach_the_staff_pages(client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login()
    assert client.get("/admin/planting-days").status_code == 403


def test_a_cancellation_without_a_reason_redisplays_the_page(
    english, auth, planting_admin, planting_day
):
    """The page re-rendered after one of its forms failed shows the other forms fresh
    (it once read the capacity form from the cancel form's post and answered 500)."""
    auth.login(email="staff@example.cn")
    path = f"/admin/planting-days/{planting_day.code}"
    token = csrf_token(english, path)
    page = english.post(f"{path}/cancel", data={"csrf_token": token, "cancel-reason": ""})
    assert page.status_code == 400
    assert "This field is required." in page.get_data(as_text=True)
    db.session.refresh(planting_day)
    assert planting_day.status is PlantingDayStatus.SCHEDULED
