"""Mobile-number code limits shared through Redis: two app instances ("servers") with
REDIS_URL set count sending and guessing together."""

from __future__ import annotations

import os

import pytest
import redis

from tests.support.phone_accounts import PhoneActions, last_code
from webapp.extensions import db

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL not set (CI sets it and checks Redis is up)"
)


@pytest.fixture
def servers(app, make_app):
    """Two instances configured as production is: REDIS_URL set, no storage named."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    made = [make_app(REDIS_URL=REDIS_URL, PHONE_THROTTLE_STORAGE_URI=None) for _ in (1, 2)]
    assert all(a.extensions["phone_throttle"].storage_uri == REDIS_URL for a in made)
    yield made
    redis.Redis.from_url(REDIS_URL).flushdb()


def _on(server, action):
    with server.app_context():
        try:
            return action(PhoneActions(server.extensions["client"]))
        finally:
            db.session.remove()


def _clients(servers):
    for server in servers:
        server.extensions["client"] = server.test_client()


def test_sending_limit_per_number_is_shared(servers):
    _clients(servers)
    first = _on(servers[0], lambda p: p.send("138 0013 8000").status_code)
    second = _on(servers[1], lambda p: p.send("+8613800138000").status_code)
    assert (first, second) == (302, 429)


def test_sending_limit_per_address_is_shared(servers):
    _clients(servers)
    for server in servers:
        server.config["PHONE_SEND_ADDRESS_LIMIT"] = "3 per hour"
    statuses = [
        _on(servers[i % 2], lambda p, i=i: p.send(f"1390000000{i}").status_code) for i in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]


def test_guessing_limit_per_number_is_shared(servers):
    _clients(servers)
    for server in servers:
        server.config["PHONE_CODE_MAX_ATTEMPTS"] = 100  # only the per-number limit counts here
    assert _on(servers[0], lambda p: p.send("13800138000").status_code) == 302
    with servers[0].app_context():
        code = last_code(servers[0])
    wrong = "000000" if code != "000000" else "111111"
    with servers[1].extensions["client"].session_transaction() as session:
        session["phone_flow"] = {"phone": "+8613800138000", "purpose": "sign_in", "next": ""}
    statuses = [_on(servers[i % 2], lambda p: p.verify(wrong).status_code) for i in range(8)]
    assert statuses == [400] * 6 + [429] * 2
    # The right code now waits an hour, on either server.
    assert _on(servers[1], lambda p: p.verify(code).status_code) == 429
