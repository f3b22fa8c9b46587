"""Building the app under test and talking to it as a browser would (plain helpers)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from webapp import create_app
from webapp.extensions import db
from webapp.models import registry_ddl

PASSWORD = "correct-horse-9"  # every test user's password unless a test says otherwise


def build_app(database_url: str, instance: Path, **overrides: object) -> Flask:
    os.environ.setdefault("TANHUI_ENV", "testing")
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "MAIL_OUTBOX": str(instance / "outbox"),
        "CERTIFICATE_DIR": str(instance / "certificates"),
        "SIGNING_KEY_FILE": str(instance / "signing-key.pem"),
    }
    settings.update(overrides)
    return create_app("testing", **settings)


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    # The ledger tables are append-only in the database; emptying them between tests is
    # the one maintenance the suite does (registry_ddl.maintenance, one transaction).
    with db.engine.begin() as conn, registry_ddl.maintenance(conn):
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            has_seq = conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first()
            if has_seq:
                conn.execute(text("DELETE FROM sqlite_sequence"))


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh app context (its own g and db session), as in production,
    even though the test body holds an app context of its own for direct queries."""

    def open(self, *args, **kwargs):
        # End the test body's own transaction first: on SQLite it holds the write lock
        # (BEGIN IMMEDIATE), which the request would otherwise wait for.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/account/login") -> str:
    """The CSRF token a page renders, the way a browser would get it."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html) or re.search(r'value="([^"]+)" name="csrf_token"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def register(
        self, email: str = "lin@example.cn", password: str = "correct-horse-9", name: str = "林小树"
    ):
        token = csrf_token(self._client, "/account/register")
        return self._client.post(
            "/account/register",
            data={
                "csrf_token": token,
                "email": email,
                "display_name": name,
                "password": password,
                "confirm": password,
            },
        )

    def login(self, email: str = "lin@example.cn", password: str = "correct-horse-9", **extra):
        token = csrf_token(self._client, "/account/login")
        return self._client.post(
            "/account/login",
            data={
                "csrf_token": token,
                "email": email,
                "password": password,
                **extra,
            },
        )

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/account/logout", data={"csrf_token": token})
