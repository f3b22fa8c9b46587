"""Ten requests race on one sign-in code, each on its own connection: the guesses counted
in the code's row never exceed the limit, and the right code signs in exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.support.app import build_app
from tests.support.phone_accounts import last_code
from webapp.extensions import db
from webapp.models import CodePurpose, PhoneCode, User
from webapp.services import phone_accounts
from webapp.services.throttle import Throttle
from webapp.unit_of_work import committing

RACERS = 10
NUMBER = "+8613800138000"


def _race(app, tmp_path, code: str) -> list[str]:
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACERS + 2, "max_overflow": 0, "pool_timeout": 60},
    )
    throttle = Throttle("memory://")
    # A generous per-number limit: only the per-code one counts here.
    limits = phone_accounts.Limits(
        secret=app.config["SECRET_KEY"], max_attempts=3, verify_limit="1000 per hour"
    )
    start = threading.Barrier(RACERS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def racer() -> None:
        try:
            with worker_app.app_context():
                start.wait()
                try:
                    with committing(db.session):
                        outcome = phone_accounts.sign_in(
                            db.session, phone=NUMBER, code=code, limits=limits, throttle=throttle
                        )
                    outcomes.append("ok" if outcome.ok else str(outcome.error))
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert len(outcomes) == RACERS
    return outcomes


def _code(app) -> str:
    limits = phone_accounts.Limits.from_config(app.config)
    with committing(db.session):
        phone_accounts.request_code(
            db.session,
            phone=NUMBER,
            purpose=CodePurpose.SIGN_IN,
            limits=limits,
            throttle=Throttle("memory://"),
            address="127.0.0.1",
        )
    # The code is only in the message handed to the sender; read it from the outbox.
    return last_code(app)


def test_parallel_wrong_guesses_count_against_one_limit(app, tmp_path):
    code = _code(app)
    wrong = "000000" if code != "000000" else "111111"
    outcomes = _race(app, tmp_path, wrong)
    assert outcomes.count("验证码不正确。") == 3
    assert outcomes.count("验证码输错次数过多，请重新获取。") == RACERS - 3
    db.session.expire_all()
    assert db.session.scalar(select(PhoneCode.attempts)) == 3
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_right_code_sent_ten_times_at_once_signs_in_once(app, tmp_path):
    code = _code(app)
    outcomes = _race(app, tmp_path, code)
    assert outcomes.count("ok") == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
