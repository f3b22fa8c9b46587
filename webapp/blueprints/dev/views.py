from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template

from webapp.blueprints.dev import bp
from webapp.services import mail
from webapp.services.sms import outbox as sms_outbox


@bp.get("/outbox")
def outbox():
    folder = Path(current_app.config["MAIL_OUTBOX"])
    items = mail.list_outbox(folder)
    texts = sms_outbox.list_sms(folder / "sms")
    return render_template("dev/outbox.html", items=items, texts=texts)


@bp.get("/outbox/<name>")
def outbox_message(name: str):
    body = mail.read_outbox(Path(current_app.config["MAIL_OUTBOX"]), name)
    if body is None:
        abort(404)
    return render_template("dev/outbox_message.html", name=name, body=body)
