"""Probes, request ids and metrics (webapp/observability.py, blueprints/health)."""

from __future__ import annotations

import json
import logging
import os

import pytest

from webapp.observability import JsonFormatter, RequestIdFilter


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_database_and_storage(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] and checks["storage"]["ok"]
    # The probe leaves nothing behind in the store.
    probe_dir = os.path.join(app.config["CERTIFICATE_DIR"], "readyz")
    assert not os.path.isdir(probe_dir) or not os.listdir(probe_dir)


def test_readyz_is_503_when_the_signing_key_is_unusable(client, app, tmp_path):
    assert client.get("/readyz").get_json()["checks"]["signing"]["ok"] is True
    # Production never generates a key: a key file that went away is a failed check.
    app.config.update(ENV_NAME="production", SIGNING_KEY_FILE=str(tmp_path / "gone.pem"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["signing"] == {"ok": False, "error": "KeyConfigError"}
    app.config.update(ENV_NAME="testing", SIGNING_KEY="not a key")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["signing"]["ok"] is False


def test_readyz_is_503_naming_the_redis_that_is_down(client, app):
    app.config["RQ_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis1"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"]


def test_readyz_is_503_when_storage_cannot_be_written(client, app, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's folder should be")
    app.config["CERTIFICATE_DIR"] = str(blocker)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"]["ok"] is False


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
def test_readyz_pings_configured_redis(client, app):
    app.config["RQ_REDIS_URL"] = os.environ["REDIS_URL"]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis1"]["ok"] is True


def test_request_id_is_kept_or_made_and_echoed(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123.x_y"})
    assert given.headers["X-Request-ID"] == "abc-123.x_y"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 80})
    assert made.headers["X-Request-ID"] != "bad id"
    assert len(made.headers["X-Request-ID"]) == 32
    other = client.get("/healthz")
    assert other.headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_json_log_lines_carry_the_request_id(app):
    formatter, request_filter = JsonFormatter(), RequestIdFilter()
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "req-42"
        record = logging.LogRecord(
            "webapp.x", logging.WARNING, __file__, 1, "订单 %s", ("A1",), None
        )
        request_filter.filter(record)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-42"
    assert line["message"] == "订单 A1"
    assert line["level"] == "WARNING"
    assert line["logger"] == "webapp.x"


def test_metrics_count_requests_by_endpoint(client):
    client.get("/healthz")
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'tanhui_http_request_duration_seconds_count{endpoint="health.healthz",method="GET"}' in (
        text
    )
    assert "tanhui_payment_events_total" in text or "tanhui_payment_events" in text
    assert "tanhui_certificates_rendered_total" in text
    assert "tanhui_queue_depth" in text


def test_metrics_refused_to_remote_or_proxied_clients(client, app):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    proxied = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert proxied.status_code == 404


def test_metrics_token_when_configured(client, app):
    app.config["METRICS_TOKEN"] = "s3cret-token"
    loopback = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", environ_base=loopback).status_code == 404
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 200


def test_proxy_fix_trusts_one_proxy_when_configured(make_app):
    from flask import request

    def address_and_scheme():
        return f"{request.remote_addr} {request.scheme}"

    for hops, expected in ((0, "127.0.0.1 http"), (1, "203.0.113.7 https")):
        app = make_app(PROXY_FIX_X_FOR=hops)
        app.add_url_rule("/_who", view_func=address_and_scheme)
        answer = app.test_client().get(
            "/_who",
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"},
        )
        assert answer.get_data(as_text=True) == expected


def test_dev_outbox_answers_only_loopback_clients_outside_production(client, app):
    assert client.get("/dev/outbox").status_code == 200
    remote = client.get("/dev/outbox", environ_overrides={"REMOTE_ADDR": "10.0.0.7"})
    assert remote.status_code == 404
    proxied = client.get("/dev/outbox", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404
    assert (
        client.get("/dev/outbox/x.eml", environ_overrides={"REMOTE_ADDR": "::2"}).status_code == 404
    )
    app.config["ENV_NAME"] = "production"
    assert client.get("/dev/outbox").status_code == 404
