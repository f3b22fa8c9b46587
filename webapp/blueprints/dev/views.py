from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template

from webapp.blueprints.dev import bp
from webapp.services import mail


@bp.get("/outbox")
def outbox():
    items = mail.list_outbox(Path(current_app.config["MAIL_OUTBOX"]))
    return render_template("dev/outbox.html", items=items)


@bp.get("/outbox/<name>")
def outbox_message(name: str):
    body = mail.read_outbox(Path(current_app.config["MAIL_OUTBOX"]), name)
    if body is None:
        abort(404)
    return render_template("dev/outbox_message.html", name=name, body=body)
