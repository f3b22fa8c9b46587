"""The yearly duty record (尽责) and its signed, QR-verifiable certificate."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from tests.support.pdftools import decoded, pdftotext
from tests.support.planting import make_today, pass_text, register_early
from webapp import localtime
from webapp.extensions import db
from webapp.models import DutyCertificate


def _checkin(client, day, text, trees):
    token = client.get("/scan/api/session").get_json()["csrf_token"]
    item = {
        "id": str(uuid.uuid4()),
        "day": day.code,
        "pass_text": text,
        "attendees": 2,
        "scanned_at": datetime.now(UTC).isoformat(),
        "trees": [{"plot": p, "trees": n} for p, n in trees],
    }
    return client.post(
        "/scan/api/checkins",
        json={"device_id": str(uuid.uuid4()), "checkins": [item]},
        headers={"X-CSRFToken": token},
    ).get_json()["results"][0]


def test_duty_record_counts_planted_and_converted_trees_and_the_certificate_verifies(
    app,
    english,
    auth,
    make_user,
    site,
    make_plot,
    sponsor_plot,
    sponsored_plots,
    planting_admin,
    planting_ranger,
):
    resident = make_user(email="lin@example.cn", name="林小树")
    sponsor_plot(make_plot("D-01"), resident)  # ¥600 at ¥20 a tree: 30 trees
    day = make_today(site, sponsored_plots, planting_admin)
    registration = register_early(day, resident, ["林小树", ("林苗苗", True)])
    auth.login(email="ranger@example.cn")
    assert (
        _checkin(english, day, pass_text(app, registration), [("B-01", 3), ("B-02", 2)])["status"]
        == "created"
    )
    auth.logout()

    auth.login(email="lin@example.cn")
    year = localtime.today().year
    page = english.get("/account/duty").get_data(as_text=True)
    assert f"35 trees in {year}" in page and "the yearly duty is fulfilled." in page
    assert day.code in page and "CLS-JN / D-01" in page and "¥20 per tree" in page
    assert "not a carbon offset" in page
    # Points: 2 people present × 10, 5 trees × 2, 1 plot sponsored × 20.
    assert (
        "50 points in" in page
        and "20 for attending, 10 for planting, 0 for tending, 20 for adoption" in page
    )

    response = english.get(f"/account/duty/{year}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pdftotext(response.data).split())
    assert "义务植树尽责证明" in text and "不是碳抵消证明" in text.replace(" ", "")
    assert "It is not a carbon offset" in text
    assert "35" in text and day.code in text
    (qr,) = decoded(response.data)
    certificate = db.session.query(DutyCertificate).one()
    assert qr.startswith(app.config["BASE_URL"].upper() + "/D/" + certificate.public_id)
    assert (certificate.trees_planted, certificate.trees_converted) == (5, 30)
    # The same figures: the same certificate again.
    english.get(f"/account/duty/{year}.pdf")
    assert db.session.query(DutyCertificate).count() == 1

    auth.logout()
    path = qr[len(app.config["BASE_URL"]) :]
    check = english.get(path)
    body = check.get_data(as_text=True)
    assert check.status_code == 200 and "VALID" in body and "林*" in body and "林小树" not in body
    assert "35 (planted 5, converted 30)" in body
    forged = english.get(re.sub(r"/35/", "/99/", path))
    assert forged.status_code == 400 and "not a genuine duty certificate" in forged.get_data(
        as_text=True
    )


def test_duty_pages_need_an_account_and_a_sensible_year(client, auth, make_user):
    assert client.get("/account/duty").status_code == 302
    make_user(email="lin@example.cn")
    auth.login()
    assert client.get("/account/duty?year=1999").status_code == 404
    assert client.get("/account/duty?year=abc").status_code == 404
    assert client.get("/account/duty/3000.pdf").status_code == 404


def test_the_points_rules_are_public_and_say_they_never_become_tonnes_or_money(english):
    page = english.get("/planting-days/points").get_data(as_text=True)
    assert "2 points for each tree planted at a planting day" in page
    assert "never convert into tonnes of CO₂, carbon credits or money" in page


def test_rangers_record_volunteering_hours_that_count_in_the_duty_record(
    english, auth, make_user, site, planting_ranger
):
    make_user(email="lin@example.cn", name="林小树")
    auth.login(email="ranger@example.cn")
    path = "/planting-days/volunteering"
    from tests.support.app import csrf_token

    def post(**fields):
        data = {
            "csrf_token": csrf_token(english, path),
            "email": "lin@example.cn",
            "site": str(site.id),
            "day": localtime.today().isoformat(),
            "hours": "8",
            "note": "Weeding",
            **fields,
        }
        return english.post(path, data=data, follow_redirects=True)

    first = post().get_data(as_text=True)
    assert "8 hours recorded." in first
    too_much = post(hours="5")
    assert too_much.status_code == 400
    assert "At most 12 hours a day can be recorded; 8" in too_much.get_data(as_text=True)
    for garbage in ("NaN", "1e9", "abc", "-2", "Infinity"):
        refused = post(hours=garbage)
        assert refused.status_code == 400, garbage
    assert "4 hours recorded." in post(hours="４ 小时", day="2025-06-01").get_data(as_text=True)
    future = post(day="2999-01-01")
    assert "today or an earlier day" in future.get_data(as_text=True)
    nobody = post(email="nobody@example.cn")
    assert "No account has this e-mail address." in nobody.get_data(as_text=True)
    auth.logout()
    auth.login(email="lin@example.cn")
    assert english.get(path).status_code == 403  # residents cannot record hours
    page = english.get("/account/duty").get_data(as_text=True)
    # 8 hours at 3 trees an hour (the published default): 24 trees, and 5 points an hour.
    assert f"24 trees in {localtime.today().year}" in page and "40 for tending" in page
    assert "3 trees per hour" in page and "杭州市人民政府" in page


def test_the_duty_record_says_who_issues_it_and_that_it_is_not_a_commissions_certificate(
    english, auth, make_user
):
    make_user(email="lin@example.cn")
    auth.login(email="lin@example.cn")
    page = english.get("/account/duty").get_data(as_text=True)
    assert "Issued by Tanhui from its own records" in page
    assert "not the duty certificate of a greening commission (绿化委员会)" in page
    assert "is for that commission to decide" in page
    english.set_cookie("lang", "zh_CN")
    chinese = english.get("/account/duty").get_data(as_text=True)
    assert "不是绿化委员会或全民义务植树网颁发的尽责证书" in chinese
