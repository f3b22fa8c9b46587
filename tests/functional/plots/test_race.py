"""Ten buyers race for the same plot on their own connections: exactly one wins.

On PostgreSQL the row lock (SELECT … FOR UPDATE) makes the others wait, re-read the
plot as reserved and get a Conflict; on SQLite writers are serialised.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.support.app import build_app
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Plot, PlotStatus
from webapp.services.plots import reservations

BUYERS = 10


def test_ten_buyers_racing_for_one_plot_produce_one_holder(app, make_plot, tmp_path):
    plot_id = make_plot("A-01").id
    other_id = make_plot("A-02").id
    db.session.rollback()
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        # Servers share the signing key: the heads they publish verify with it.
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 2, "max_overflow": 0, "pool_timeout": 60},
    )
    start = threading.Barrier(BUYERS)
    outcomes: dict[int, str] = {}
    messages: list[str] = []
    errors: list[BaseException] = []

    def buyer(i: int) -> None:
        try:
            with worker_app.app_context():
                start.wait()
                # Buyer i wants the contested plot, half of them with another plot too.
                wanted = [plot_id, other_id] if i % 2 else [plot_id]
                try:
                    reservations.reserve(db.session, wanted, f"ORDER-{i}", timedelta(minutes=30))
                    db.session.commit()
                    outcomes[i] = "won"
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[i] = "conflict"
                    messages.append(str(exc.message))
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert sorted(outcomes.values()).count("won") == 1
    assert list(outcomes.values()).count("conflict") == BUYERS - 1
    assert all("A-01" in m for m in messages)

    winner = next(i for i, o in outcomes.items() if o == "won")
    db.session.expire_all()
    plot = db.session.get(Plot, plot_id)
    assert plot.status is PlotStatus.RESERVED and plot.holder_ref == f"ORDER-{winner}"
    other = db.session.get(Plot, other_id)
    if winner % 2:
        assert other.holder_ref == f"ORDER-{winner}"
    else:  # all or nothing: the losers who also wanted A-02 did not keep it
        assert other.status is PlotStatus.AVAILABLE
