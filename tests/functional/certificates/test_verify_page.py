"""The public verify page: VALID / REVOKED / NOT FOUND, scanned tokens, privacy, size."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from sqlalchemy.exc import OperationalError

from webapp.extensions import db
from webapp.models import Delivery, Privacy
from webapp.services import keys
from webapp.services.certificates import issuing, verification
from webapp.services.certificates.ids import format_public_id
from webapp.services.certificates.token import TokenClaims, encode_token
from webapp.services.registry import published
from webapp.services.signing import SigningKey

OWNER_EMAIL = "holder-private@example.cn"


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_valid_certificate_page(english, issue_certificate, make_user):
    owner = make_user(email=OWNER_EMAIL)
    certificate = issue_certificate(owner=owner)
    response = english.get(f"/v/{certificate.public_id}")
    assert response.status_code == 200
    html = _html(response)
    assert "VALID" in html and "REVOKED" not in html
    assert format_public_id(certificate.public_id) in html
    assert "2.417 t" in html
    assert "TH-TA-CLS-2024-000000001-000002417" in html
    assert 'href="/projects/TA-CLS"' in html
    assert "Delivered (verified)" in html
    # The retirement entry, its inclusion proof and the signed tree head.
    record = verification.public_record(db.session, certificate, head=published.latest(db.session))
    proof = record.proof
    assert proof is not None and proof.verified
    assert f"Retired in entry {proof.seq} of the public ledger" in html
    assert proof.leaf_hash in html and proof.root_hash in html
    for h in proof.path:
        assert h in html
    assert proof.tree_head["kid"] in html
    assert f"/api/v1/registry/proofs/inclusion?seq={proof.seq}" in html
    assert f"/api/v1/certificates/{certificate.public_id}" in html
    # Light and script-free: works without JavaScript, under 30 KB.
    assert len(response.data) < 30_000
    assert "<script" not in html
    # The owner's e-mail never appears.
    assert OWNER_EMAIL not in html


def test_page_is_chinese_by_default(client, issue_certificate):
    certificate = issue_certificate(privacy=Privacy.ANONYMOUS, name="隐名居民张三")
    html = _html(client.get(f"/v/{certificate.public_id}"))
    assert 'lang="zh-CN"' in html
    assert "匿名" in html and "隐名居民张三" not in html


@pytest.mark.parametrize("variant", ["lower", "hyphen", "spaces"])
def test_forgiving_ids_redirect_to_the_canonical_page(client, issue_certificate, variant):
    public_id = issue_certificate().public_id
    typed = {
        "lower": public_id.lower(),
        "hyphen": format_public_id(public_id).lower(),
        "spaces": f"{public_id[:5]} {public_id[5:]}",
    }[variant]
    response = client.get(f"/v/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/v/{public_id}")
    assert client.get(f"/V/{public_id}").headers["Location"].endswith(f"/v/{public_id}")


def test_lookup_form(english, issue_certificate):
    public_id = issue_certificate().public_id
    form = english.get("/v")
    assert form.status_code == 200 and 'name="id"' in _html(form)
    typed = format_public_id(public_id).lower()
    found = english.get("/v", query_string={"id": f"  {typed} "})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/v/{public_id}")
    bad = english.get("/v", query_string={"id": "O0I1L-XXXXX"})
    assert bad.status_code == 400
    assert "This is not a certificate number" in _html(bad)


@pytest.mark.parametrize("path", ["/v/ZZZZZZZZZZ", "/v/not-an-id-0000", "/V/ZZZZZZZZZZ"])
def test_not_found(english, app, path):
    response = english.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert "NOT FOUND" in _html(response)


def test_revoked_certificate_shows_date_and_reason(english, issue_certificate, make_user):
    certificate = issue_certificate()
    issuing.revoke(
        db.session, certificate, reason="Refunded to the buyer", actor=make_user("admin")
    )
    db.session.commit()
    response = english.get(f"/v/{certificate.public_id}")
    assert response.status_code == 200
    html = _html(response)
    assert "REVOKED" in html and ">VALID<" not in html
    assert "Refunded to the buyer" in html
    assert "was revoked on" in html


def test_projected_tonnes_are_stated_plainly(english, issue_certificate):
    certificate = issue_certificate(project_code="LS-FM", delivery=Delivery.PROJECTED)
    html = _html(english.get(f"/v/{certificate.public_id}"))
    assert "Projected (ex-ante)" in html
    assert "expected to be sequestered in 2027–2031" in html
    assert "not yet been measured and verified" in html


def test_scanned_valid_token(english, issue_certificate):
    certificate = issue_certificate()
    response = english.get(f"/V/{certificate.public_id}/{certificate.token}")
    assert response.status_code == 200
    html = _html(response)
    assert "Signature valid" in html and "SIGNATURE INVALID" not in html
    assert "VALID" in html
    # Lower case (a phone may lower-case the URL) verifies the same.
    lower = english.get(f"/v/{certificate.public_id.lower()}/{certificate.token.lower()}")
    assert lower.status_code == 200 and "Signature valid" in _html(lower)


def _flip(text: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    ch = text[index]
    return text[:index] + alphabet[(alphabet.index(ch) + 1) % 32] + text[index + 1 :]


def test_forged_signature_is_shown_invalid_even_for_an_existing_id(english, issue_certificate):
    certificate = issue_certificate()
    claims, signature = certificate.token.split(".")
    forged = f"{claims}.{_flip(signature, 10)}"
    html = _html(english.get(f"/V/{certificate.public_id}/{forged}"))
    assert "SIGNATURE INVALID" in html
    assert "Signature valid" not in html
    # The banner comes before the registry's (secondary) verdict.
    assert html.index("SIGNATURE INVALID") < html.index("verdict-label")


def test_altered_quantity_is_shown_invalid(english, issue_certificate):
    certificate = issue_certificate(kg=2417)
    altered = certificate.token.replace("2417.", "9417.")
    assert altered != certificate.token
    html = _html(english.get(f"/V/{certificate.public_id}/{altered}"))
    assert "SIGNATURE INVALID" in html


def test_token_of_another_certificate_or_key_is_invalid(english, app, issue_certificate):
    first, second = issue_certificate(), issue_certificate(kg=100)
    html = _html(english.get(f"/V/{first.public_id}/{second.token}"))
    assert "SIGNATURE INVALID" in html
    # A well-formed token signed by a key that is not ours.
    stranger = SigningKey.from_seed(hashlib.sha256(b"not tanhui").digest())
    claims = TokenClaims(
        public_id=first.public_id, kind="offset", issued_on=first.issued_on, quantity_kg=2417
    )
    fake = encode_token(stranger, claims)
    response = english.get(f"/V/{first.public_id}/{fake}")
    assert "SIGNATURE INVALID" in _html(response)


def test_signed_token_for_an_unknown_id_is_not_found_but_signature_valid(english, app):
    key, _ = keys.signing(app.config)
    claims = TokenClaims(
        public_id="7K3MPQ9XRT", kind="offset", issued_on=date(2025, 3, 15), quantity_kg=10
    )
    response = english.get(f"/V/7K3MPQ9XRT/{encode_token(key, claims)}")
    assert response.status_code == 404
    html = _html(response)
    assert "NOT FOUND" in html and "Signature valid" in html


def test_registry_unreachable_is_not_invalid(english, issue_certificate, monkeypatch):
    certificate = issue_certificate()

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(verification, "current", down)
    response = english.get(f"/V/{certificate.public_id}/{certificate.token}")
    assert response.status_code == 503
    html = _html(response)
    assert "REGISTRY UNREACHABLE" in html and "Signature valid" in html
    assert "NOT FOUND" not in html and "SIGNATURE INVALID" not in html


@pytest.mark.parametrize(
    ("privacy", "shown"),
    [(Privacy.INITIALS, "欧***"), (Privacy.ANONYMOUS, "Anonymous"), (Privacy.FULL, "欧阳明月")],
)
def test_holder_is_shown_only_as_allowed(english, issue_certificate, make_user, privacy, shown):
    owner = make_user(email=OWNER_EMAIL, name="账户昵称")
    certificate = issue_certificate(owner=owner, name="欧阳明月", privacy=privacy)
    for path in (f"/v/{certificate.public_id}", f"/api/v1/certificates/{certificate.public_id}"):
        text = _html(english.get(path))
        assert OWNER_EMAIL not in text and "账户昵称" not in text
        if privacy is Privacy.FULL:
            assert "欧阳明月" in text or "\\u6b27\\u9633" in text
        else:
            assert "欧阳明月" not in text and "\\u6b27\\u9633\\u660e\\u6708" not in text
    html = _html(english.get(f"/v/{certificate.public_id}"))
    assert re.search(rf"<dt>Holder</dt><dd>{re.escape(shown)}</dd>", html)
