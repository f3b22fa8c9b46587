"""The planting-day pass: a compact Ed25519-signed text for a QR code, checked offline.

QR text (QR alphanumeric characters only)::

    {BASE_URL uppercased}/T/{PASS_ID}/{DAY}/{SITE}/{PLACES}/{TAG}.{SIGNATURE}

``PASS_ID`` the registration's 10-character id, ``DAY`` the planting day's code, ``SITE``
the site's code, ``PLACES`` the people it admits (1-999), ``TAG`` the signing key's tag.
``SIGNATURE`` is RFC 4648 base32 without padding of the Ed25519 signature over the ASCII
bytes ``"TANHUI-PASS:" + PASS_ID + "/" + DAY + "/" + SITE + "/" + PLACES + "/" + TAG`` —
the path after ``/T/`` up to the last ``.``, with a fixed prefix. No name, no e-mail: a
pass read by a stranger tells them only that some registration holds that many places.
The scanner (``static/scan/crypto.js: parsePass, verifyPass``) checks the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from webapp.services.signing import Keyring, SigningKey

PASS_CONTEXT = "TANHUI-PASS:"  # noqa: S105 - a signing context, not a secret
PASS_PATH = "/T/"  # noqa: S105 - a URL path
_PASS = re.compile(
    r"(?P<pass_id>[0-9A-Z]{10})/(?P<day>PD[0-9A-Z]{6})/(?P<site>[0-9A-Z-]{1,16})"
    r"/(?P<places>[1-9][0-9]{0,2})/(?P<tag>[A-Z2-7]{3})\.(?P<sig>[A-Z2-7]{103})"
)


class PassError(ValueError):
    """Malformed, forged or foreign pass."""


@dataclass(frozen=True)
class PassClaims:
    pass_id: str
    day_code: str
    site_code: str
    places: int


def _body(claims: PassClaims, tag: str) -> str:
    return f"{claims.pass_id}/{claims.day_code}/{claims.site_code}/{claims.places}/{tag}"


def encode(key: SigningKey, claims: PassClaims) -> str:
    """``…/TAG.SIGNATURE`` — the part after ``/T/``."""
    body = _body(claims, key.tag)
    if not _PASS.fullmatch(body + "." + "A" * 103):
        raise PassError("claims cannot be encoded")
    signature = key.sign((PASS_CONTEXT + body).encode("ascii"))
    return f"{body}.{base64.b32encode(signature).decode('ascii').rstrip('=')}"


def qr_text(base_url: str, key: SigningKey, claims: PassClaims) -> str:
    return f"{base_url.rstrip('/').upper()}{PASS_PATH}{encode(key, claims)}"


def verify(keyring: Keyring, text: str) -> PassClaims:
    """Parse a scanned or typed pass (the whole QR text or the part after ``/T/``) and
    check its signature; raises :class:`PassError`."""
    if not isinstance(text, str):
        raise PassError("not a pass")
    text = text.strip().upper()
    if PASS_PATH in text:
        text = text[text.rindex(PASS_PATH) + len(PASS_PATH) :]
    match = _PASS.fullmatch(text)
    if match is None:
        raise PassError("malformed pass")
    key = keyring.by_tag(match["tag"])
    if key is None:
        raise PassError("unknown signing key")
    try:
        signature = base64.b32decode(match["sig"] + "=")
    except binascii.Error as exc:
        raise PassError("malformed signature") from exc
    if base64.b32encode(signature).decode("ascii").rstrip("=") != match["sig"]:
        raise PassError("non-canonical signature")
    body = text[: match.start("sig") - 1]
    if not key.verify((PASS_CONTEXT + body).encode("ascii"), signature):
        raise PassError("signature does not verify")
    return PassClaims(
        pass_id=match["pass_id"],
        day_code=match["day"],
        site_code=match["site"],
        places=int(match["places"]),
    )
