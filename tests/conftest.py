"""Fixtures in the flaskr style: app, client, runner, auth — on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL too (every database test runs on both).

Isolation: the schema is created once per backend; after each test every table is
emptied (TRUNCATE on PostgreSQL, DELETE on SQLite), so tests may commit for real —
which concurrency tests and the live browser server need.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from webapp import create_app
from webapp.extensions import db, limiter

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = _make_app(database_url, tmp_path_factory.mktemp("schema"))
    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # Whatever an earlier run or another branch left behind goes, dependants too.
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        db.engine.dispose()
    yield database_url


def _make_app(database_url: str, instance: Path, **overrides: object) -> Flask:
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


@pytest.fixture
def make_app(_schema: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Factory: another app instance (another "server") on the test database. Its engine is
    disposed at teardown even when the test fails, so no pooled connection is left for the
    garbage collector to close inside a later test (psycopg warns, and warnings are errors)."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        # Like production servers, they sign with the same key (the test app's).
        overrides.setdefault("SIGNING_KEY_FILE", str(tmp_path / "signing-key.pem"))
        made.append(_make_app(_schema, tmp_path / f"app-{len(made)}", **overrides))
        return made[-1]

    yield make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
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


@pytest.fixture
def app(_schema: str, tmp_path: Path) -> Iterator[Flask]:
    app = _make_app(_schema, tmp_path)
    app.test_client_class = IsolatedClient
    limiter.reset()
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


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


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app: Flask):
    """Factory: a committed user with a role."""
    from webapp.models import Role
    from webapp.services import accounts

    counter = {"n": 0}

    def make(
        role: str = "resident",
        email: str | None = None,
        password: str = "correct-horse-9",
        name: str | None = None,
    ):
        counter["n"] += 1
        user = accounts.register(
            db.session,
            email=email or f"user{counter['n']}@example.cn",
            password=password,
            display_name=name or f"用户{counter['n']}",
            role=Role(role),
        )
        db.session.commit()
        return user

    return make
