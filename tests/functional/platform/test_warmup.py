"""A server process warms up before it takes requests (webapp/warmup.py, gunicorn's
``post_worker_init``): recycled workers used to spend their first verify page on the ORM's
mappers and template compilation (~0.5 s), a stall at the p99 of the busiest page."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import SimpleNamespace

from webapp import warmup
from webapp.extensions import db
from webapp.services.certificates import freshness

ROOT = Path(__file__).resolve().parents[3]


def _gunicorn_conf(monkeypatch, tmp_path):
    # Importing the settings sets PROMETHEUS_MULTIPROC_DIR when it is unset (gunicorn's
    # workers share their metrics through it): set here, it is unset again after the test,
    # or every later test's /metrics would read the multiprocess directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worker_hook_warms_the_verify_page_before_any_request(
    app, issue_certificate, monkeypatch, tmp_path
):
    public_id = issue_certificate(name="甲单位").public_id
    db.session.remove()  # as in a fresh worker: no transaction of the test's left open
    app.jinja_env.cache.clear()
    freshness.copies(app.config).clear()
    worker = SimpleNamespace(wsgi=app, pid=1, log=logging.getLogger("test"))
    _gunicorn_conf(monkeypatch, tmp_path).post_worker_init(worker)
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert {"base.html", "verify/certificate.html", "errors/error.html"} <= compiled
    # The newest retirement's record is built: its statements are compiled, and that
    # visitor's first answer is already there.
    records = [k for k in freshness.copies(app.config)._entries if k[0] == "record"]
    assert [k[1] for k in records] == [public_id]


def test_a_failing_step_is_logged_and_the_others_still_run(app, caplog):
    ran = []

    def broken(_app):
        raise RuntimeError("database down at boot")

    warmup.register(app, broken)
    warmup.register(app, lambda a: ran.append(a))
    with caplog.at_level(logging.WARNING, logger="webapp.warmup"):
        seconds = warmup.warm(app)
    assert ran == [app] and seconds >= 0
    assert "warm-up step broken failed" in caplog.text
