"""NUL bytes and other control characters are refused at the edge (webapp/input_guard.py):
404 in an address, 400 in a query string, form field or JSON body, on every route, before
any view or query runs (PostgreSQL cannot store NUL and used to answer 500)."""

from __future__ import annotations

import pytest

from tests.support.app import csrf_token

GET_ADDRESSES = [
    "/projects/%00",
    "/sites/%00",
    "/events/%00",
    "/orders/%00",
    "/v/%00",
    "/api/v1/projects/%00",
    "/api/v1/sites/%00",
    "/api/v1/certificates/%00",
    "/api/v1/registry/serials/%00",
    "/admin/orders/%00",
    "/admin/projects/%00/issuances",
    "/sites/a%01b",
]
GET_QUERIES = [
    "/registry/retirements?q=a%00b",
    "/api/v1/registry/retirements?q=%00",
    "/api/v1/registry/entries?after=%00",
    "/admin/orders?q=%00",
    "/admin/orders.csv?status=%00",
    "/offset?tonnes=1%00",
    "/registry/retirements?q=a%1bb",
    "/projects?x%00=1",
]


@pytest.fixture
def staff(make_user, auth):
    make_user("admin", email="admin@example.cn")
    auth.login("admin@example.cn")


@pytest.mark.parametrize("path", GET_ADDRESSES)
def test_control_characters_in_an_address_are_404(client, staff, path):
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize("path", GET_QUERIES)
def test_control_characters_in_a_query_are_400(client, staff, path):
    response = client.get(path)
    assert response.status_code == 400, (path, response.status_code)
    if path.startswith("/api/"):
        assert "control characters" in response.get_json()["error"]["message"] or (
            "控制字符" in response.get_json()["error"]["message"]
        )


def test_control_characters_in_forms_are_400_and_change_nothing(client, make_user):
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.models import User

    make_user(email="lin@example.cn")
    login = client.post(
        "/account/login",
        data={
            "csrf_token": csrf_token(client),
            "email": "lin\x00@example.cn",
            "password": "correct-horse-9",
        },
    )
    assert login.status_code == 400
    assert "控制字符" in login.get_data(as_text=True)
    registered = client.post(
        "/account/register",
        data={
            "csrf_token": csrf_token(client, "/account/register"),
            "email": "new@example.cn",
            "display_name": "林\x00小树",
            "password": "correct-horse-9",
            "confirm": "correct-horse-9",
        },
    )
    assert registered.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    # Line breaks in multi-line text are not control characters to refuse.
    multiline = client.post(
        "/account/login",
        data={"csrf_token": csrf_token(client), "email": "a\r\nb", "password": "x"},
    )
    # (refused as an e-mail address, not by the boundary)
    assert multiline.status_code == 400
    assert "请求中含有不允许的控制字符" not in multiline.get_data(as_text=True)


def test_control_characters_in_json_are_400(client, make_user, auth):
    make_user("ranger", email="ranger@example.cn")
    auth.login("ranger@example.cn")
    token = client.get("/scan/api/session").get_json()["csrf_token"]
    response = client.post(
        "/scan/api/visits",
        json={"device_id": "d1", "visits": [{"id": "1", "site": "a\x00b"}]},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400
    estimate = client.post("/api/v1/footprints/household", json={"household_size": "\x00"})
    assert estimate.status_code == 400


def test_405_answers_say_which_methods_are_allowed(client):
    response = client.post("/api/v1/projects")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    page = client.get("/account/logout")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
