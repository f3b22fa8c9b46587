"""Copies of a certificate's record and page (``services/certificates/freshness.py``) are
keyed by the state they show, so they can never outlive a revocation: not on another
server, not when nobody told this process. Anonymous visitors share a rendered page, byte
for byte, and get no session from it; signed-in users never do. (Replaces the tests of the former
time-based page cache, ``test_verify_cache.py``.)"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select, text

from tests.support.app import PASSWORD, AuthActions, IsolatedClient
from webapp.extensions import db
from webapp.models import TreeHead
from webapp.services.certificates import freshness

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _visitor(app):
    client = IsolatedClient(app, app.response_class, use_cookies=True)
    client.set_cookie("lang", "en")
    return client


def _pages(app) -> int:
    store = freshness.copies(app.config)
    return sum(1 for key in store._entries if key[0] == "page")


def test_anonymous_visitors_share_the_page_and_get_no_session(app, issue_certificate):
    certificate = issue_certificate(name="甲单位")
    first, second = _visitor(app), _visitor(app)
    a = first.get(f"/v/{certificate.public_id}")
    b = second.get(f"/v/{certificate.public_id}")
    assert a.get_data() == b.get_data() and "甲单位" in b.get_data(as_text=True)
    assert "Set-Cookie" not in b.headers and not TOKEN.search(b.get_data(as_text=True))
    # The shared page's language form works for whoever posts it from this site.
    switched = second.post(
        "/lang", data={"lang": "zh_CN"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert switched.status_code in (302, 303)
    assert _pages(app) == 1


def test_signed_in_users_are_never_served_a_shared_page(app, client, make_user, issue_certificate):
    certificate = issue_certificate()
    make_user("admin", email="registrar@example.cn")
    AuthActions(client).login(email="registrar@example.cn", password=PASSWORD)
    assert client.get(f"/v/{certificate.public_id}").status_code == 200
    assert _pages(app) == 0


def test_a_revocation_nobody_announced_is_seen_at_once(app, issue_certificate):
    """Another process revokes and dies before any after-commit action: this process,
    which holds copies of the valid page, JSON and record, still answers REVOKED."""
    certificate = issue_certificate()
    public_id = certificate.public_id
    visitor = _visitor(app)
    assert "VALID" in visitor.get(f"/v/{public_id}").get_data(as_text=True)
    assert visitor.get(f"/api/v1/certificates/{public_id}").get_json()["status"] == "valid"
    assert len(freshness.copies(app.config)) >= 2
    db.session.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:
            conn.execute(
                text(
                    "UPDATE certificates SET status = 'revoked', revoked_at = CURRENT_TIMESTAMP,"
                    " revocation_reason = 'revoked elsewhere' WHERE public_id = :p"
                ),
                {"p": public_id},
            )
    finally:
        other.dispose()
    page = visitor.get(f"/v/{public_id}").get_data(as_text=True)
    assert "REVOKED" in page and "revoked elsewhere" in page
    data = visitor.get(f"/api/v1/certificates/{public_id}").get_json()
    assert data["status"] == "revoked"
    assert data["revocation"]["reason"] == "revoked elsewhere"


def test_certificates_changed_frees_only_those_copies(app, issue_certificate):
    one, two = issue_certificate(), issue_certificate()
    visitor = _visitor(app)
    for certificate in (one, two):
        assert visitor.get(f"/v/{certificate.public_id}").status_code == 200
    store = freshness.copies(app.config)
    before = len(store)
    dropped = freshness.certificates_changed(app.config, [one.public_id])
    assert dropped == 2  # its record and its page
    assert len(store) == before - 2
    assert {key[1] for key in store._entries} == {two.public_id}
    assert freshness.certificates_changed(app.config, []) == 0


def test_the_proof_is_against_the_latest_published_head(app, issue_certificate):
    certificate = issue_certificate()
    head = db.session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))
    data = _visitor(app).get(f"/api/v1/certificates/{certificate.public_id}").get_json()
    assert data["tree_head"]["tree_size"] == head.tree_size
    assert data["tree_head"]["signature"] == bytes(head.signature).hex()
    # The same head for everyone until the ledger grows: not signed per request.
    again = _visitor(app).get(f"/api/v1/certificates/{certificate.public_id}").get_json()
    assert again["tree_head"] == data["tree_head"]
    assert _visitor(app).get("/api/v1/registry/tree-head").get_json() == data["tree_head"]


def test_the_state_read_survives_a_dropped_database_connection(app, issue_certificate):
    """The state read runs without the pool's pre-ping (one round trip, not two); a
    connection the server dropped (a restart) is replaced and the read asked again, so the
    first visitor after a restart still gets an answer, not "registry unreachable"."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite has no server connection to lose")
    from webapp.services.certificates import verification

    certificate = issue_certificate(name="甲单位")
    visitor = _visitor(app)
    assert visitor.get(f"/v/{certificate.public_id}").status_code == 200
    state = verification._state_engine(db.session)
    assert state is not db.engine and state.pool._pre_ping is False
    db.session.commit()
    # As a restart does: every other connection to this database is dropped.
    with db.engine.connect() as admin:
        killed = admin.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert killed >= 1
    response = visitor.get(f"/v/{certificate.public_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "VALID" in response.get_data(as_text=True)
    # A second failure is not hidden: the database really down is still "unreachable".
    reader = verification._STATE_READERS[db.engine]
    broken = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_pre_ping=False)
    verification._STATE_READERS[db.engine] = verification._StateReader(broken)
    try:
        response = visitor.get(f"/V/{certificate.public_id}/{certificate.token}")
        assert response.status_code == 503
        assert "REGISTRY UNREACHABLE" in response.get_data(as_text=True)
    finally:
        verification._STATE_READERS[db.engine] = reader
        broken.dispose()


def test_a_record_is_built_once_per_state_revoked_ones_too(app, issue_certificate, monkeypatch):
    """The state read's values (as the driver gives them on PostgreSQL) and the record's
    (typed by the ORM) must make the same key, or every request would rebuild the record:
    a revocation time in particular, whatever the connection's time zone."""
    from webapp.services.certificates import verification

    built = []
    real = verification.public_record
    monkeypatch.setattr(
        verification, "public_record", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    certificate = issue_certificate()
    public_id = certificate.public_id
    visitor = _visitor(app)
    for _ in range(3):
        assert "VALID" in visitor.get(f"/v/{public_id}").get_data(as_text=True)
    assert len(built) == 1
    db.session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        conn.execute(
            text(
                "UPDATE certificates SET status = 'revoked', revoked_at = CURRENT_TIMESTAMP,"
                " revocation_reason = 'revoked elsewhere' WHERE public_id = :p"
            ),
            {"p": public_id},
        )
    if db.engine.dialect.name == "postgresql":
        for conn in verification._STATE_READERS[db.engine]._idle:
            conn.exec_driver_sql("SET TIME ZONE 'Asia/Shanghai'")
    for _ in range(3):
        assert "REVOKED" in visitor.get(f"/v/{public_id}").get_data(as_text=True)
    assert len(built) == 2


def test_state_reads_from_many_threads_keep_a_few_connections(app, issue_certificate):
    """A threaded server starts a thread per request: connections are given back after
    each read, never left with a thread that has gone (which would exhaust the pool)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite reads through the application's pool")
    import threading

    from webapp.services.certificates import verification

    public_id = issue_certificate().public_id
    state = verification._state_engine(db.session)
    reader = verification._STATE_READERS[db.engine]
    rows, errors = [], []

    def visit():
        try:
            for _ in range(5):
                rows.append(reader.read(public_id))
        except Exception as exc:  # reported below
            errors.append(exc)

    for _round in range(3):
        threads = [threading.Thread(target=visit) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == [] and len(rows) == 180
    assert {row.public_id for row in rows} == {public_id}
    assert len(reader._idle) <= reader.IDLE
    assert state.pool.checkedout() == len(reader._idle)
