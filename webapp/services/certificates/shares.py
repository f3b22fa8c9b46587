"""Personal share certificates (个人证书) issued in bulk from an organiser's certificate.

An organiser who owns a valid offset certificate uploads a CSV of names (one per line,
optionally followed by kilograms). Every row is checked first; any error refuses the
whole file with a message per row, and nothing is created. Otherwise every personal
certificate is issued in one transaction, under a lock on the parent certificate, so the
shares of one parent never add up to more than its quantity — whatever the concurrency.
Rows without kilograms split what is left equally (the first rows take the remainder
kilogram by kilogram, so the split is exact).

The PDFs are rendered afterwards by a background job (see :mod:`.jobs`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.models import Certificate, CertificateStatus, Privacy, User
from webapp.models.base import utcnow
from webapp.models.certificate_batches import BatchStatus, CertificateBatch
from webapp.services import audit, text_policy
from webapp.services.certificates import issuing
from webapp.services.certificates.context import MAX_NAME
from webapp.services.certificates.coverage import shared_kg
from webapp.services.certificates.token import MAX_QUANTITY_KG, CertificateKind
from webapp.services.messages import CertificateBatchCreated
from webapp.services.signing import SigningKey
from webapp.unit_of_work import after_commit

MAX_ROWS = 2000
MAX_FILE_BYTES = 256 * 1024
MAX_REPORTED_ERRORS = 50
_NAME_HEADERS = {"name", "names", "姓名", "名字", "holder", "full name", "持有人"}
_KG = re.compile(r"[0-9]{1,9}")
# Control, format (e.g. right-to-left overrides), surrogate, private-use, unassigned and
# line/paragraph separators: invisible or misleading on a certificate.


@dataclass(frozen=True)
class ShareRow:
    line: int  # line number in the file, as a spreadsheet shows it
    name: str
    kg: int | None


@dataclass(frozen=True)
class RowError:
    line: int | None
    message: object  # a lazy, translatable message


class SharesRefused(DomainError):
    """The file was refused; ``errors`` says why, row by row. Nothing was created."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors[0].message if errors else _l("The file was refused."))
        self.errors = errors


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB 18030 — what Excel in China saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SharesRefused(
        [RowError(None, _l("The file is not readable text. Save it as CSV (UTF-8) and retry."))]
    )


def check_name(name: str) -> object | None:
    """Why ``name`` cannot be printed on a certificate, or None."""
    if not name:
        return _l("the name is empty.")
    if len(name) > MAX_NAME:
        return _l("the name is longer than %(max)d characters.", max=MAX_NAME)
    if text_policy.problem(name) is not None:
        return _l("the name contains an invisible or control character.")
    return None


def parse_csv(data: bytes) -> list[ShareRow]:
    """The rows of an uploaded CSV; raises :class:`SharesRefused` listing every problem."""
    if len(data) > MAX_FILE_BYTES:
        raise SharesRefused(
            [RowError(None, _l("The file is larger than %(kb)d KB.", kb=MAX_FILE_BYTES // 1024))]
        )
    text = decode_text(data)
    if "\x00" in text:
        raise SharesRefused([RowError(None, _l("The file is not a CSV text file."))])
    rows: list[ShareRow] = []
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            line = reader.line_num
            values = [unicodedata.normalize("NFC", c).strip() for c in cells]
            while values and not values[-1]:
                values.pop()
            if not values:
                continue  # blank line
            if not rows and not errors and values[0].lower() in _NAME_HEADERS:
                continue  # header row
            if len(rows) + len(errors) >= MAX_ROWS:
                raise SharesRefused(
                    [
                        RowError(
                            None,
                            _l(
                                "The file has more than %(max)d names; split it into "
                                "several uploads.",
                                max=MAX_ROWS,
                            ),
                        )
                    ]
                )
            if len(values) > 2:
                errors.append(
                    RowError(line, _l("expected a name and, optionally, kilograms; no more."))
                )
                continue
            name = values[0]
            problem = check_name(name)
            if problem is not None:
                errors.append(RowError(line, problem))
                continue
            kg = None
            if len(values) == 2 and values[1]:
                raw = values[1].replace(",", "").replace(" ", "")
                if not _KG.fullmatch(raw) or not 0 < int(raw) <= MAX_QUANTITY_KG:
                    errors.append(
                        RowError(line, _l("kilograms must be a whole number of at least 1."))
                    )
                    continue
                kg = int(raw)
            rows.append(ShareRow(line=line, name=name, kg=kg))
    except csv.Error as exc:
        raise SharesRefused(
            [RowError(reader.line_num or None, _l("the line is not valid CSV."))]
        ) from exc
    if errors:
        raise SharesRefused(errors[:MAX_REPORTED_ERRORS])
    if not rows:
        raise SharesRefused([RowError(None, _l("The file contains no names."))])
    return rows


def plan(rows: list[ShareRow], available_kg: int) -> list[int]:
    """Kilograms per row: given ones as they are, the rest split equally and exactly."""
    given = sum(row.kg for row in rows if row.kg is not None)
    if given > available_kg:
        raise SharesRefused(
            [
                RowError(
                    None,
                    _l(
                        "The quantities add up to %(sum)s kg, more than the %(left)s kg "
                        "still available on this certificate.",
                        sum=f"{given:,}",
                        left=f"{available_kg:,}",
                    ),
                )
            ]
        )
    open_rows = sum(1 for row in rows if row.kg is None)
    left = available_kg - given
    if open_rows and left < open_rows:
        raise SharesRefused(
            [
                RowError(
                    None,
                    _l(
                        "Only %(left)s kg are left for %(count)d names without a quantity: "
                        "each person needs at least 1 kg.",
                        left=f"{left:,}",
                        count=open_rows,
                    ),
                )
            ]
        )
    each, extra = divmod(left, open_rows) if open_rows else (0, 0)
    quantities = []
    for row in rows:
        if row.kg is not None:
            quantities.append(row.kg)
        else:
            quantities.append(each + (1 if extra > 0 else 0))
            extra -= 1
    return quantities


def check_parent(parent: Certificate, owner: User) -> None:
    """Refuse a parent the organiser cannot share from (domain errors, translated)."""
    if parent.owner_id != owner.id:
        raise DomainError(_l("Only the holder of a certificate can share it."))
    if parent.status is not CertificateStatus.VALID:
        raise DomainError(_l("A revoked certificate cannot be shared."))
    if parent.kind is not CertificateKind.OFFSET or parent.parent_id is not None:
        raise DomainError(_l("Only your own offset certificates can be shared."))
    if not parent.quantity_kg or parent.allocation_id is None:
        raise DomainError(_l("This certificate names no retired serials to share."))


def available_kg(session: Session, parent: Certificate) -> int:
    return max(0, (parent.quantity_kg or 0) - shared_kg(session, parent))


def issue_shares(
    session: Session,
    *,
    key: SigningKey,
    parent: Certificate,
    owner: User,
    rows: list[ShareRow],
    privacy: Privacy = Privacy.INITIALS,
    locale: str = "zh_CN",
    now: datetime | None = None,
) -> CertificateBatch:
    """Issue one personal certificate per row and the batch that will render them.

    Flushed, not committed. Raises :class:`SharesRefused` / ``DomainError``; on any error
    the caller rolls back and nothing exists.
    """
    now = now or utcnow()
    check_parent(parent, owner)
    # Serialise shares of this parent (PostgreSQL: row lock; SQLite: BEGIN IMMEDIATE).
    session.refresh(parent, with_for_update=True)
    check_parent(parent, owner)
    quantities = plan(rows, available_kg(session, parent))
    children = [
        issuing.issue(
            session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name=row.name,
            privacy=privacy,
            locale=locale,
            owner=owner,
            quantity_kg=kg,
            allocation_id=parent.allocation_id,
            parent=parent,
            now=now,
        )
        for row, kg in zip(rows, quantities, strict=True)
    ]
    batch = CertificateBatch(
        owner_id=owner.id,
        parent_id=parent.id,
        status=BatchStatus.QUEUED,
        total=len(children),
        done=0,
        quantity_kg=sum(quantities),
        first_certificate_id=children[0].id,
        last_certificate_id=children[-1].id,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    after_commit(session, CertificateBatchCreated(batch.id))
    audit.record(
        session,
        "certificate.shares_issued",
        actor=owner,
        subject=parent,
        batch=batch.id,
        count=len(children),
        quantity_kg=batch.quantity_kg,
    )
    return batch


def requeue_batch(session: Session, batch: CertificateBatch) -> None:
    """Queue a failed bulk issue's job again; it starts after the commit."""
    if batch.status is not BatchStatus.FAILED:
        return
    batch.status = BatchStatus.QUEUED
    batch.error = None
    after_commit(session, CertificateBatchCreated(batch.id))
