"""Certificate JSON: one certificate with its ledger proof, and the revocation list."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from flask import abort, current_app, jsonify, request, url_for

from webapp.blueprints.api import bp
from webapp.extensions import db
from webapp.services import keys
from webapp.services.certificates import freshness, status_list, verification
from webapp.services.certificates.token import qr_text


def tonnes_text(kg: int) -> str:
    """Tonnes as a plain decimal string: 2417 → "2.417", 10000 → "10"."""
    return format((Decimal(kg) / 1000).normalize(), "f")


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _list_url() -> str:
    return _base_url() + url_for("api.certificate_status_list")


def certificate_dict(record: verification.PublicRecord) -> dict[str, Any]:
    """The public JSON of a certificate (never the e-mail, order or private name)."""
    f = record.facts
    base = _base_url()
    proof = record.proof
    return {
        "public_id": record.public_id,
        "display_id": record.display_id,
        "status": record.status,
        "kind": record.kind,
        "quantity_kg": record.quantity_kg,
        "quantity_t": None if record.quantity_kg is None else tonnes_text(record.quantity_kg),
        "plot_code": record.plot_code,
        "site_code": record.site_code,
        "issued_on": record.issued_on.isoformat(),
        "holder_public": record.holder_public,
        "project": None
        if f.project_code is None
        else {
            "code": f.project_code,
            "name_zh": f.project_name_zh,
            "name_en": f.project_name_en,
            "demo": f.project_is_demo,
            "url": base + url_for("registry.project", code=f.project_code),
        },
        "purpose": f.purpose.value if f.purpose else None,
        "purpose_detail": f.purpose_detail,
        "delivery": f.delivery,
        "expected_years": f.expected_years,
        "serials": list(f.serial_ranges),
        # delivery of projected tonnes (issue 18): None until verified tonnes settled them
        "delivered": None
        if f.delivered_on is None
        else {
            "delivered_on": f.delivered_on.isoformat(),
            "serials": list(f.delivered_serials),
            "entry": f.delivery_seq,
        },
        # refunds (issue 21 part 9): serials this certificate's retirement returned, and
        # earlier reversals that returned serials it holds
        "reversals": [
            {"entry": r.seq, "quantity_kg": r.quantity_kg, "serials": list(r.serials)}
            for r in f.reversals
        ],
        "earlier_reversals": [
            {"entry": r.seq, "quantity_kg": r.quantity_kg, "serials": list(r.serials)}
            for r in f.earlier_reversals
        ],
        "share_of": f.parent_public_id,
        "revocation": None
        if record.revoked_at is None
        else {
            "revoked_at": record.revoked_at.isoformat(),
            "reason": record.revocation_reason,
        },
        "token": record.token,
        "key_id": record.key_id,
        "qr_text": qr_text(base, record.public_id, record.token),
        "verify_url": f"{base}/v/{record.public_id}",
        "retirement": None
        if proof is None
        else {
            "entry": proof.seq,
            "kind": proof.kind,
            "canonical": proof.body,
            "leaf_hash": proof.leaf_hash,
        },
        "inclusion_proof": None
        if proof is None
        else {
            "seq": proof.seq,
            "tree_size": proof.tree_size,
            "leaf_hash": proof.leaf_hash,
            "root_hash": proof.root_hash,
            "proof": list(proof.path),
        },
        "tree_head": None if proof is None else proof.tree_head,
        "credentialStatus": status_list.credential_status(_list_url(), record.index),
        # Losses (issue 18): what happened to the project's forest and how it was covered.
        "project_losses": [note.to_dict() for note in record.losses],
    }


@bp.get("/certificates/<public_id>")
def certificate(public_id: str):
    found = verification.current(db.session, current_app.config, public_id)
    if found is None:
        abort(404)
    # The body is kept per certificate state and published head, like the page.
    store = freshness.copies(current_app.config)
    body = store.get(("json", *found.key))
    if body is None:
        body = jsonify(certificate_dict(found.record)).get_data()
        store.put(("json", *found.key), body)
    response = current_app.response_class(body, mimetype="application/json")
    # Equal while the certificate's state and the published tree head are.
    tag = "|".join(str(x) for x in found.key)
    response.set_etag(hashlib.sha256(tag.encode()).hexdigest()[:32], weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/certificates/status-list")
def certificate_status_list():
    key, _keyring = keys.signing(current_app.config)
    base = _base_url()
    document = status_list.document(
        db.session,
        key=key,
        list_url=_list_url(),
        issuer=base,
        keys_url=base + url_for("public.well_known_keys"),
    )
    response = jsonify(document)
    subject = document["credentialSubject"]
    tag = (
        f"{subject['encodedList']}|{document['proof']['kid']}|{document['tanhui']['certificates']}"
    )
    response.set_etag(hashlib.sha256(tag.encode()).hexdigest()[:32], weak=True)
    response.headers["Cache-Control"] = f"public, max-age={status_list.TTL_MS // 1000}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)
