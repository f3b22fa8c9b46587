"""`flask certificates list|export` and the demo certificate of `flask demo-data`."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Certificate, Privacy, User
from webapp.services.certificates import issuing


def test_list_with_filters(runner, issue_certificate, make_user):
    kept = issue_certificate(name="公开的名字")
    hidden = issue_certificate(kg=1500, name="不公开的名字", privacy=Privacy.ANONYMOUS)
    issuing.revoke(db.session, hidden, reason="test", actor=make_user("admin"))
    db.session.commit()
    result = runner.invoke(args=["certificates", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split("\t") == [
        "public_id",
        "kind",
        "status",
        "quantity",
        "holder_public",
        "issued_on",
    ]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:] if "\t" in line}
    assert rows[kept.public_id][1:5] == ["offset", "valid", "2.417 t", "公开的名字"]
    assert rows[hidden.public_id][1:5] == ["offset", "revoked", "1.5 t", "(anonymous)"]
    assert "不公开的名字" not in result.output
    revoked = runner.invoke(args=["certificates", "list", "--status", "revoked"])
    assert hidden.public_id in revoked.output and kept.public_id not in revoked.output
    plots = runner.invoke(args=["certificates", "list", "--kind", "plot"])
    assert kept.public_id not in plots.output
    assert runner.invoke(args=["certificates", "list", "--status", "lost"]).exit_code != 0


def test_export_writes_the_pdf(runner, issue_certificate, tmp_path):
    certificate = issue_certificate()
    target = tmp_path / "out" / "certificate.pdf"
    result = runner.invoke(
        args=["certificates", "export", certificate.public_id.lower(), str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")
    # Into a directory: tanhui-<ID>.pdf; the stored file is reused (same bytes).
    again = runner.invoke(args=["certificates", "export", certificate.public_id, str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert (tmp_path / f"tanhui-{certificate.public_id}.pdf").read_bytes() == target.read_bytes()
    missing = runner.invoke(args=["certificates", "export", "ZZZZZZZZZZ", str(target)])
    assert missing.exit_code != 0 and "no certificate" in missing.output


def test_demo_data_issues_one_certificate_idempotently(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    match = re.search(r"http://\S+/v/([2-9A-HJKMNP-Z]{10})", first.output)
    assert match, first.output
    public_id = match.group(1)
    certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    owner = db.session.get(User, certificate.owner_id)
    assert owner.email == "resident@tanhui.local"
    assert certificate.kind.value == "offset" and certificate.quantity_kg == 2417
    assert "its PDF:" in first.output
    # Plot (and event) demo certificates are issued too; exactly one offset certificate.
    offsets = select(func.count()).select_from(Certificate).where(Certificate.kind == "offset")
    assert db.session.scalar(offsets) == 1
    issued = db.session.scalar(select(func.count()).select_from(Certificate))
    db.session.commit()  # end this test's read (SQLite: let the command write)
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "0 created" in second.output
    assert public_id in second.output
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == issued
    assert db.session.scalar(offsets) == 1
