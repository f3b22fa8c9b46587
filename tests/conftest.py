"""Fixtures in the flaskr style: app, client, runner, auth — on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL too (every database test runs on both).

Isolation: the schema is created once per backend; after each test every table is
emptied (TRUNCATE on PostgreSQL, DELETE on SQLite), so tests may commit for real —
which concurrency tests and the live browser server need.

Layout: ``tests/unit/<domain>/test_<module>.py`` for services, ``tests/functional/<area>/``
per area of the site, ``tests/e2e/`` for the browser. Fixtures used by more than one folder
are in ``tests/support/fixtures.py`` (registered below); plain helpers (building the app,
CSRF tokens, logging in, domain builders) in the other ``tests/support`` modules. Tests
import only from ``tests.support``, never from a conftest or another test module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.support.app import AuthActions, IsolatedClient, build_app, empty_all_tables
from webapp.extensions import db, limiter

pytest_plugins = ["tests.support.fixtures"]

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = build_app(database_url, tmp_path_factory.mktemp("schema"))
    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # Whatever an earlier run or another branch left behind goes, dependants too.
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        db.engine.dispose()
    yield database_url


@pytest.fixture
def make_app(_schema: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Factory: another app instance (another "server") on the test database. Its engine is
    disposed at teardown even when the test fails, so no pooled connection is left for the
    garbage collector to close inside a later test (psycopg warns, and warnings are errors)."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        # Like production servers, they sign with the same key (the test app's).
        overrides.setdefault("SIGNING_KEY_FILE", str(tmp_path / "signing-key.pem"))
        made.append(build_app(_schema, tmp_path / f"app-{len(made)}", **overrides))
        return made[-1]

    yield make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(_schema: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(_schema, tmp_path)
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
