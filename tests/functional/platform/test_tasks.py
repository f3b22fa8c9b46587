"""Background tasks (webapp/background/): in-process by default, queued on RQ when
RQ_REDIS_URL is set, periodic ones started once per interval however many schedulers."""

from __future__ import annotations

import os

import pytest
import redis
from rq import Queue

from webapp.background import queue as task_queue
from webapp.background import scheduler, tasks

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set (CI sets it)")


def test_dispatch_runs_inline_without_a_queue(app, monkeypatch):
    ran = []
    monkeypatch.setitem(tasks.TASKS, "after_payment", lambda s, c, ids: ran.append(ids))
    app.config["RQ_REDIS_URL"] = None
    from webapp.extensions import db

    assert tasks.dispatch(db.session, app.config, "after_payment", [7]) == "inline"
    assert ran == [[7]]


def test_dispatch_falls_back_inline_when_redis_is_down(app, monkeypatch):
    ran = []
    monkeypatch.setitem(tasks.TASKS, "after_payment", lambda s, c, ids: ran.append(ids))
    app.config["RQ_REDIS_URL"] = "redis://127.0.0.1:1/0"
    from webapp.extensions import db

    assert tasks.dispatch(db.session, app.config, "after_payment", [8]) == "inline"
    assert ran == [[8]]


def test_periodic_tasks_run_in_process_without_redis(app):
    app.config["RQ_REDIS_URL"] = None
    last: dict[str, float] = {}
    started = scheduler.scheduler_tick(app.config, 1000.0, last)
    assert started == sorted(tasks.PERIODIC, key=list(tasks.PERIODIC).index)
    assert scheduler.scheduler_tick(app.config, 1001.0, last) == []  # not due yet
    assert scheduler.scheduler_tick(app.config, 1061.0, last) == [
        "expire_reservations",
        "expire_plots",
        "publish_tree_head",
    ]


def test_run_task_by_name(runner):
    result = runner.invoke(args=["tasks", "run", "expire_reservations"])
    assert result.exit_code == 0, result.output
    assert "released 0 expired reservations" in result.output


@needs_redis
def test_queued_on_rq_and_once_per_interval_for_two_schedulers(app):
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    app.config["RQ_REDIS_URL"] = REDIS_URL
    from webapp.extensions import db

    assert tasks.dispatch(db.session, app.config, "after_payment", [1, 2]) == "rq"
    queue = Queue(task_queue.DEFAULT_QUEUE, connection=connection)
    (job,) = queue.jobs
    assert job.func_name == "webapp.background.tasks.run" and job.args == ("after_payment", [1, 2])
    assert task_queue.queue_depths(REDIS_URL) == {"default": 1, "certificates": 0}

    first, second = {}, {}
    assert len(scheduler.scheduler_tick(app.config, 6000.0, first)) == len(tasks.PERIODIC) == 5
    assert scheduler.scheduler_tick(app.config, 6000.5, second) == []  # the other scheduler
    assert queue.count == 6  # the payment job and the five periodic tasks
    # Metrics show the queue depth at scrape time.
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'tanhui_queue_depth{queue="default"} 6.0' in text
    connection.flushdb()
