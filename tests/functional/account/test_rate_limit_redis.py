"""Login throttling shared through Redis (as with several app servers)."""

from __future__ import annotations

import os

import pytest
import redis

from tests.support.app import AuthActions
from webapp.extensions import db, limiter

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set (CI sets it and checks Redis is up)")
def test_login_throttle_is_shared_between_two_app_instances(make_app):
    redis.Redis.from_url(REDIS_URL).flushdb()
    apps = [make_app(RATELIMIT_STORAGE_URI=REDIS_URL) for _ in (1, 2)]
    codes = []
    for i in range(14):
        app = apps[i % 2]  # alternate between the two "servers"
        limiter.init_app(app)
        with app.app_context():
            codes.append(AuthActions(app.test_client()).login(password=f"wrong-{i}").status_code)
            db.session.remove()
    assert codes[:10] == [400] * 10
    assert set(codes[10:]) == {429}
    redis.Redis.from_url(REDIS_URL).flushdb()
