"""The site pack: what a ranger's device needs to verify certificates without signal.

A pack holds, for the sites a ranger is assigned to (every site for administrators):

* the public keys (the ``/.well-known/tanhui-keys.json`` document) and the signed
  revocation list (the bitstring status list document, unchanged, with its own proof);
* each site's plots with the facts the public plot page shows (code, status, species,
  size, planting date, the sponsor's name *as they allowed it* — ``sponsor_public``);
* the site's plot certificates, keyed by public id: their status-list index, site and
  plot, issue date and ``holder_public`` (the name as the holder allowed it, ``None`` when
  anonymous) — no more than the public verify page shows;
* the sites' planting days (植树日) from yesterday to two weeks ahead: code, times, plots
  and each registered pass's id and places — no planter's name.

It never holds an e-mail address, a private full name, a dedication message, an order or
an account id. The pack is signed like the status list: an Ed25519 signature (hex) by the
key ``proof.kid`` over ``"tanhui-scan-pack-v1\\n"`` + the canonical JSON of the pack with
``proof.signature`` left out (``docs/PROTOCOLS.md`` §11).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import MemorialSite, Plot, User
from webapp.models.base import utcnow
from webapp.services import signed_json
from webapp.services.certificates import status_list
from webapp.services.planting import queries as planting_queries
from webapp.services.plots import queries, rangers
from webapp.services.scan import links
from webapp.services.signing import Keyring, SigningKey, well_known_document

PACK_FORMAT = "tanhui-scan-pack-v1"
SIGNING_CONTEXT = b"tanhui-scan-pack-v1\n"


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decimal(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def plot_facts(plot: Plot) -> dict[str, Any]:
    """A plot as its public page shows it (the sponsor only as they allowed)."""
    return {
        "code": plot.code,
        "status": plot.status.value,
        "species_zh": plot.species.name_zh,
        "species_en": plot.species.name_en,
        "tree_count": plot.tree_count,
        "area_mu": _decimal(plot.area_mu),
        "planted_on": plot.planted_on.isoformat() if plot.planted_on else None,
        "sponsor_public": plot.sponsor_public if plot.is_sponsored else None,
    }


def _site(session: Session, site: MemorialSite) -> tuple[dict[str, Any], dict[str, Any]]:
    plots = queries.site_plots(session, site)
    certificates = {
        certificate.public_id: {
            "index": certificate.id,
            "kind": certificate.kind.value,
            "site": site.code,
            "plot": plot.code,
            "issued_on": certificate.issued_on.isoformat(),
            "holder_public": certificate.holder_public,
        }
        for certificate, plot in links.site_certificates(session, site, plots)
    }
    entry = {
        "code": site.code,
        "name_zh": site.name_zh,
        "name_en": site.name_en,
        "is_demo": bool(site.is_demo),
        "plots": [plot_facts(plot) for plot in plots],
    }
    return entry, certificates


def signing_input(pack: Mapping[str, Any]) -> bytes:
    """The exact bytes signed: the prefix + canonical JSON without ``proof.signature``."""
    return signed_json.signing_input(SIGNING_CONTEXT, pack)


def build(
    session: Session,
    user: User,
    *,
    key: SigningKey,
    keyring: Keyring,
    base_url: str,
    list_url: str,
    keys_url: str,
    max_age_hours: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The signed pack for ``user``'s sites as they are now."""
    now = now or utcnow()
    sites: list[dict[str, Any]] = []
    certificates: dict[str, Any] = {}
    site_list = rangers.sites_for(session, user)
    for site in site_list:
        entry, site_certificates = _site(session, site)
        sites.append(entry)
        certificates.update(site_certificates)
    revocations = status_list.document(
        session, key=key, list_url=list_url, issuer=base_url, keys_url=keys_url, now=now
    )
    created = _iso(now)
    pack: dict[str, Any] = {
        "format": PACK_FORMAT,
        "generated_at": created,
        "revocations_as_of": revocations["validFrom"],
        "max_age_hours": max_age_hours,
        "base_url": base_url,
        "keys": well_known_document(keyring),
        "status_list": revocations,
        "sites": sites,
        "certificates": certificates,
        "planting_days": planting_queries.pack_days(session, site_list, now),
        "proof": {"type": PACK_FORMAT, "kid": key.key_id, "created": created},
    }
    pack["proof"]["signature"] = key.sign(signing_input(pack)).hex()
    return pack


def verify(pack: Mapping[str, Any], keyring: Keyring) -> bool:
    """True iff the pack is signed by a key of ``keyring`` and unaltered."""
    return signed_json.verify(pack, keyring, context=SIGNING_CONTEXT, proof_type=PACK_FORMAT)
