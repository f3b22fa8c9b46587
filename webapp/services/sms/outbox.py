"""Development: text messages written as JSON files beside the e-mail outbox, listed on
``/dev/outbox`` (loopback only, never in production). The number is kept masked."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask_babel import gettext as _

from webapp.models.accounts import mask_phone


@dataclass(frozen=True)
class OutboxSms:
    name: str
    to: str
    text: str
    date: datetime


def code_text(code: str, minutes: int) -> str:
    return _(
        "Your Tanhui code is %(code)s. It is valid for %(minutes)d minutes. Do not share it.",
        code=code,
        minutes=minutes,
    )


class OutboxSender:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send_code(self, phone: str, code: str, minutes: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        body = {"to": mask_phone(phone), "text": code_text(code, minutes), "date": now.isoformat()}
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False)
        os.replace(tmp, self.directory / f"{now.strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}.json")


def list_sms(directory: Path) -> list[OutboxSms]:
    if not directory.is_dir():
        return []
    items = []
    for path in sorted(directory.glob("*.json"), reverse=True):
        data = json.loads(path.read_text(encoding="utf-8"))
        items.append(
            OutboxSms(path.name, data["to"], data["text"], datetime.fromisoformat(data["date"]))
        )
    return items
