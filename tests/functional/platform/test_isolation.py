"""Each test starts from empty tables: whichever of these runs second proves it."""

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_isolation_first(make_user):
    assert _count() == 0
    make_user(email="first@example.cn")
    assert _count() == 1


def test_isolation_second(make_user):
    assert _count() == 0
    make_user(email="second@example.cn")
    assert _count() == 1
