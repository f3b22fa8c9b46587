"""Bulk personal certificates: CSV checks, exact shares, the job (in-process and RQ), ZIP."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from tests.support.app import PASSWORD, csrf_token
from webapp.background import batches as jobs
from webapp.background import queue as task_queue
from webapp.extensions import db
from webapp.models import Certificate, CertificateStatus, Privacy
from webapp.models.certificate_batches import BatchStatus, CertificateBatch
from webapp.services.certificates import issuing, status_list

PARENT_KG = 10_000


@pytest.fixture
def organiser(make_user, auth):
    user = make_user("organiser", email="forum@example.cn", name="泰山论坛组委会")
    auth.login(email="forum@example.cn", password=PASSWORD)
    return user


@pytest.fixture
def parent(organiser, issue_certificate):
    return issue_certificate(owner=organiser, kg=PARENT_KG, name="泰山论坛组委会")


def _upload(client, public_id: str, body: bytes | str, **fields):
    data = body.encode("utf-8") if isinstance(body, str) else body
    page = f"/certificates/{public_id}/shares"
    return client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "file": (io.BytesIO(data), "names.csv"),
            "privacy": "initials",
            "locale": "zh_CN",
            **fields,
        },
        content_type="multipart/form-data",
    )


def _counts() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(Certificate)),
        db.session.scalar(select(func.count()).select_from(CertificateBatch)),
    )


def _finish(batch_id: int) -> CertificateBatch:
    assert jobs.wait_for_threads(120), "the in-process job did not finish"
    db.session.expire_all()
    return db.session.get(CertificateBatch, batch_id)


def _zip(client, batch_id: int) -> zipfile.ZipFile:
    response = client.get(f"/certificates/batches/{batch_id}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = response.data
    response.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_who_may_share(client, auth, make_user, parent, issue_certificate):
    page = f"/certificates/{parent.public_id}/shares"
    assert client.get(page).status_code == 200
    auth.logout()
    assert client.get(page).status_code == 302  # to the log-in page
    make_user("organiser", email="other-org@example.cn")
    auth.login(email="other-org@example.cn", password=PASSWORD)
    assert client.get(page).status_code == 404  # not theirs: existence is not revealed
    auth.logout()
    resident = make_user("resident", email="res@example.cn")
    own = issue_certificate(owner=resident, kg=100)
    auth.login(email="res@example.cn", password=PASSWORD)
    assert client.get(f"/certificates/{own.public_id}/shares").status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "name\n王小林\n张\x07三\n",
            "Line 3: the name contains an invisible or control character.",
        ),
        ("Mallory\u202egnp.exe\n", "Line 1: the name contains an invisible or control character."),
        (",500\n", "Line 1: the name is empty."),
        ("A" * 61 + "\n", "Line 1: the name is longer than 60 characters."),
        ("王小林,1.5\n", "Line 1: kilograms must be a whole number of at least 1."),
        ("王小林,0\n", "Line 1: kilograms must be a whole number of at least 1."),
        ("王小林,-3\n", "Line 1: kilograms must be a whole number of at least 1."),
        ("王小林,500,extra\n", "Line 1: expected a name and, optionally, kilograms; no more."),
        ("甲,6000\n乙,5000\n", "The quantities add up to 11,000 kg, more than the 10,000 kg"),
        ("甲,10000\n乙\n", "Only 0 kg are left for 1 names without a quantity"),
        ("name,kg\n\n", "The file contains no names."),
        ("".join(f"人{i}\n" for i in range(2001)), "The file has more than 2000 names"),
        (b"\xff\xfe\x00\x01\x02\xff", "The file is not"),
    ],
)
def test_csv_errors_change_nothing(english, parent, body, message):
    before = _counts()
    response = _upload(english, parent.public_id, body)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "nothing was issued" in html
    assert _counts() == before


def test_all_row_errors_are_listed_at_once(english, parent):
    response = _upload(english, parent.public_id, "好名字\n\x01坏\n也好\n" + "长" * 61 + "\n")
    html = response.get_data(as_text=True)
    assert "Line 2:" in html and "Line 4:" in html and "Line 1:" not in html


def test_gbk_csv_from_excel_is_read(english, parent):
    response = _upload(english, parent.public_id, "王小林,100\n李梅,200\n".encode("gb18030"))
    assert response.status_code == 302
    jobs.wait_for_threads(120)
    names = set(
        db.session.scalars(select(Certificate.holder_name).where(Certificate.parent_id.isnot(None)))
    )
    assert names == {"王小林", "李梅"}


def test_good_csv_in_process(english, app, parent):
    response = _upload(english, parent.public_id, "name,kg\n王小林,500\n李梅\nZhang Wei\n")
    assert response.status_code == 302
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    batch = _finish(batch_id)
    assert batch.status is BatchStatus.DONE, batch.error
    assert (batch.total, batch.done, batch.quantity_kg) == (3, 3, PARENT_KG)
    assert batch.job_id is None  # no broker configured: ran in-process
    children = list(
        db.session.scalars(
            select(Certificate).where(Certificate.parent_id == parent.id).order_by(Certificate.id)
        )
    )
    # 500 kg as asked; the rest split equally and exactly; never more than the parent.
    assert [c.quantity_kg for c in children] == [500, 4750, 4750]
    assert sum(c.quantity_kg for c in children) <= PARENT_KG
    assert [c.holder_public for c in children] == ["王**", "李*", "Z. W."]
    assert all(c.owner_id == parent.owner_id and c.kind.value == "offset" for c in children)
    assert all(c.pdf_sha256 for c in children)
    # Progress JSON, the page, the ZIP of every PDF with its manifest.
    progress = english.get(f"/certificates/batches/{batch_id}/progress.json").get_json()
    assert progress["status"] == "done" and progress["percent"] == 100
    assert progress["zip_url"].endswith(f"/certificates/batches/{batch_id}.zip")
    page = english.get(f"/certificates/batches/{batch_id}").get_data(as_text=True)
    assert "http-equiv" not in page and f"/certificates/batches/{batch_id}.zip" in page
    archive = _zip(english, batch_id)
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 3
    assert all(archive.read(n).startswith(b"%PDF-") for n in pdfs)
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [row["name"] for row in manifest] == ["王小林", "李梅", "Zhang Wei"]
    assert {row["public_id"] for row in manifest} == {c.public_id for c in children}
    # Each share is a slice of the parent's serials, and says whose share it is.
    first = english.get(f"/v/{children[0].public_id}").get_data(as_text=True)
    assert "TH-TA-CLS-2024-000000001-000000500" in first
    assert "A personal share of certificate" in first and parent.public_id in first
    second = english.get(f"/api/v1/certificates/{children[1].public_id}").get_json()
    assert second["serials"] == ["TH-TA-CLS-2024-000000501-000005250"]
    assert second["share_of"] == parent.public_id
    # Nothing is left to share now.
    again = _upload(english, parent.public_id, "再来一位\n")
    assert again.status_code == 400 and "Only 0 kg are left" in again.get_data(as_text=True)


def test_shares_are_revoked_with_their_parent(english, parent, make_user):
    response = _upload(english, parent.public_id, "甲,100\n乙,200\n")
    _finish(int(response.headers["Location"].rsplit("/", 1)[1]))
    issuing.revoke(db.session, parent, reason="refund", actor=make_user("admin"))
    db.session.commit()
    children = list(
        db.session.scalars(select(Certificate).where(Certificate.parent_id.isnot(None)))
    )
    assert {c.status for c in children} == {CertificateStatus.REVOKED}
    bits = status_list.decode(
        english.get("/api/v1/certificates/status-list").get_json()["credentialSubject"][
            "encodedList"
        ]
    )
    assert all(status_list.is_set(bits, c.id) for c in [parent, *children])


def test_batch_pages_are_private(client, auth, make_user, parent):
    response = _upload(client, parent.public_id, "甲\n")
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    _finish(batch_id)
    auth.logout()
    make_user("organiser", email="nosy@example.cn")
    auth.login(email="nosy@example.cn", password=PASSWORD)
    for path in (
        f"/certificates/batches/{batch_id}",
        f"/certificates/batches/{batch_id}/progress.json",
        f"/certificates/batches/{batch_id}.zip",
    ):
        assert client.get(path).status_code == 404


def test_unfinished_batch_page_refreshes_itself(english, parent, monkeypatch):
    monkeypatch.setattr(jobs, "start", lambda app, session, batch_id: "none")
    response = _upload(english, parent.public_id, "甲\n乙\n")
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = english.get(f"/certificates/batches/{batch_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "<script" not in page
    progress = english.get(f"/certificates/batches/{batch_id}/progress.json").get_json()
    assert progress == {
        "id": batch_id,
        "status": "queued",
        "total": 2,
        "done": 0,
        "percent": 0,
        "error": None,
        "zip_url": None,
    }
    assert english.get(f"/certificates/batches/{batch_id}.zip").status_code == 404


def _rq_url() -> str | None:
    base = os.environ.get("REDIS_URL")
    if not base:
        return None
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/3", "", ""))  # a database of our own


@pytest.mark.skipif(not _rq_url(), reason="REDIS_URL not set (CI sets it and checks Redis is up)")
def test_rq_worker_runs_the_job(english, app, parent):
    from redis import Redis
    from rq import SimpleWorker

    url = _rq_url()
    redis = Redis.from_url(url)
    redis.flushdb()
    app.config["RQ_REDIS_URL"] = url
    try:
        response = _upload(english, parent.public_id, "甲,100\n乙,200\n", privacy="anonymous")
        assert response.status_code == 302
        batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
        db.session.expire_all()
        batch = db.session.get(CertificateBatch, batch_id)
        assert batch.status is BatchStatus.QUEUED and batch.job_id
        db.session.commit()  # end this test's read before the worker writes
        queue = task_queue.queue(app.config, task_queue.CERTIFICATES_QUEUE)
        assert queue.count == 1
        SimpleWorker([queue], connection=redis).work(burst=True)
        db.session.expire_all()
        batch = db.session.get(CertificateBatch, batch_id)
        assert batch.status is BatchStatus.DONE, batch.error
        assert batch.done == 2 and batch.zip_sha256
        archive = _zip(english, batch_id)
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 2
        holders = set(
            db.session.scalars(
                select(Certificate.holder_public).where(Certificate.parent_id == parent.id)
            )
        )
        assert holders == {None}
        assert Privacy.ANONYMOUS in set(
            db.session.scalars(
                select(Certificate.privacy).where(Certificate.parent_id == parent.id)
            )
        )
    finally:
        redis.flushdb()
        redis.close()


def test_a_failed_job_is_recorded_and_can_be_retried(english, app, parent, monkeypatch, runner):
    real = jobs.documents.write_pdf

    def broken(plan, config):
        raise OSError("disk full")

    monkeypatch.setattr(jobs.documents, "write_pdf", broken)
    response = _upload(english, parent.public_id, "甲\n乙\n")
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    batch = _finish(batch_id)
    assert batch.status is BatchStatus.FAILED and "disk full" in batch.error
    page = english.get(f"/certificates/batches/{batch_id}").get_data(as_text=True)
    assert "Try again" in page and "http-equiv" not in page
    # The certificates themselves stand: they are valid on the verify page.
    child = db.session.scalar(select(Certificate).where(Certificate.parent_id == parent.id))
    assert ">VALID<" in english.get(f"/v/{child.public_id}").get_data(as_text=True)
    monkeypatch.setattr(jobs.documents, "write_pdf", real)
    retry = english.post(
        f"/certificates/batches/{batch_id}/retry",
        data={"csrf_token": csrf_token(english, f"/certificates/batches/{batch_id}")},
    )
    assert retry.status_code == 302
    assert _finish(batch_id).status is BatchStatus.DONE


def test_cli_runs_a_batch_and_needs_a_broker_for_the_worker(
    app, english, parent, monkeypatch, runner
):
    monkeypatch.setattr(jobs, "start", lambda app, session, batch_id: "none")
    response = _upload(english, parent.public_id, "甲\n")
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.commit()
    result = runner.invoke(args=["certificates", "run-batch", str(batch_id)])
    assert result.exit_code == 0, result.output
    assert f"batch {batch_id}: done, 1/1 PDFs" in result.output
    assert runner.invoke(args=["certificates", "run-batch", "999999"]).exit_code != 0
    app.config["RQ_REDIS_URL"] = None
    worker = runner.invoke(args=["certificates", "worker", "--burst"])
    assert worker.exit_code != 0 and "RQ_REDIS_URL" in worker.output
