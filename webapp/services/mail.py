"""Outgoing e-mail: SMTP when configured, otherwise .eml files in the outbox.

Called only after the transaction that caused the message has committed.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Mail:
    to: str | None  # None: the account has no e-mail address (a mobile-number account)
    subject: str
    text: str


@dataclass(frozen=True)
class OutboxItem:
    name: str
    to: str
    subject: str
    date: str


def build_message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="tanhui.local")
    msg.set_content(mail.text)
    return msg


def send(config: dict[str, Any], mail: Mail) -> None:
    if not mail.to:
        return  # an account made with a mobile number and no e-mail: nothing to send
    msg = build_message(mail, config["MAIL_FROM"])
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
        return
    _write_outbox(Path(config["MAIL_OUTBOX"]), msg)


def _write_outbox(outbox: Path, msg: EmailMessage) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    fd, tmp = tempfile.mkstemp(dir=outbox, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    final = outbox / f"{stamp}-{os.getpid()}.eml"
    os.replace(tmp, final)  # atomic: readers never see half a message
    return final


def list_outbox(outbox: Path) -> list[OutboxItem]:
    from email import policy
    from email.parser import BytesParser

    if not outbox.is_dir():
        return []
    items = []
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        with path.open("rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh, headersonly=True)
        items.append(OutboxItem(path.name, str(msg["To"]), str(msg["Subject"]), str(msg["Date"])))
    return items


def read_outbox(outbox: Path, name: str) -> str | None:
    from email import policy
    from email.parser import BytesParser

    path = outbox / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        return None
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    body = msg.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""
