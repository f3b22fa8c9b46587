"""What every server answers about a certificate: the verify page, the scanned QR URL, the
JSON and the signed status list. Used by the tests of each revocation path (issue 22):
immediately after the revoking request, on the server that revoked and on a second server
sharing the database, all four say revoked, even though each had built its copies of the
valid certificate just before."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.support.app import IsolatedClient
from webapp.extensions import db
from webapp.models import Certificate
from webapp.services.certificates import status_list


def _state_of_page(html: str) -> str:
    if "REVOKED" in html:
        return "revoked"
    return "valid" if "VALID" in html else "unknown"


def answers(client: FlaskClient, public_id: str) -> dict[str, str]:
    """The status each public endpoint gives for ``public_id`` (anonymous, in English)."""
    row = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    index, token = row.id, row.token
    page = client.get(f"/v/{public_id}")
    assert page.status_code == 200
    scanned = client.get(f"/V/{public_id}/{token}")
    assert scanned.status_code == 200
    data = client.get(f"/api/v1/certificates/{public_id}").get_json()
    listing = client.get("/api/v1/certificates/status-list").get_json()
    bits = status_list.decode(listing["credentialSubject"]["encodedList"])
    return {
        "page": _state_of_page(page.get_data(as_text=True)),
        "qr": _state_of_page(scanned.get_data(as_text=True)),
        "json": data["status"],
        "status_list": "revoked" if status_list.is_set(bits, index) else "valid",
    }


@dataclass
class Servers:
    """The app under test and a second app instance ("another server") on its database."""

    first: Flask
    second: Flask

    def clients(self) -> list[tuple[str, FlaskClient]]:
        out = []
        for name, app in (("first", self.first), ("second", self.second)):
            client = IsolatedClient(app, app.response_class, use_cookies=True)
            client.set_cookie("lang", "en")
            out.append((name, client))
        return out

    def everywhere(self, public_ids: list[str]) -> dict[tuple[str, str], dict[str, str]]:
        db.session.commit()
        return {
            (name, public_id): answers(client, public_id)
            for name, client in self.clients()
            for public_id in public_ids
        }

    def assert_all(self, public_ids: list[str], status: str) -> None:
        seen = self.everywhere(public_ids)
        wrong = {where: got for where, got in seen.items() if set(got.values()) != {status}}
        assert not wrong, f"expected {status} everywhere, got {wrong}"


def two_servers(app: Flask, make_app) -> Servers:
    # The second server signs with the same key (as production servers do).
    second = make_app(SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"])
    return Servers(first=app, second=second)
