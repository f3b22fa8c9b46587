"""Compact signed certificate token for QR codes, verifiable offline.

QR text (all characters in the QR alphanumeric set ``0-9 A-Z space $ % * + - . / :``)::

    {BASE_URL uppercased}/V/{PUBLIC_ID}/{CLAIMS}.{SIGNATURE}

``CLAIMS`` is fixed-width fields followed by a variable value, no separators::

    VERSION  1 char   "1"
    KIND     1 char   "O" offset | "P" plot | "E" event
    DAYS     5 digits issue date as days since 1970-01-01, zero-padded
    TAG      3 chars  key tag: first 3 base32 chars of the key id, uppercased
    VALUE    1-16     offset/event: quantity in kg, decimal, 1..999999999, no leading zero
                      plot: plot code, [0-9A-Z-], 1..16 chars

``SIGNATURE`` is RFC 4648 base32 without padding (103 chars) of the Ed25519 signature
over the ASCII bytes ``"TANHUI-CERT:" + PUBLIC_ID + "/" + CLAIMS`` - i.e. the URL path
after ``/V/`` up to the last ``.``, with a fixed prefix. Tokens are canonical: a claim set
has exactly one encoding, and lowercase input is accepted by uppercasing it first.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from webapp.models.certificates import CertificateKind
from webapp.services.certificates.ids import is_public_id
from webapp.services.signing import KEY_TAG_LENGTH, Keyring, SigningKey

TOKEN_VERSION = 1
CERT_CONTEXT = "TANHUI-CERT:"
VERIFY_PATH = "/V/"
MAX_QUANTITY_KG = 999_999_999
MAX_PLOT_CODE_LENGTH = 16
SIGNATURE_CHARS = 103
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

_EPOCH = date(1970, 1, 1)
_MAX_DAYS = 99_999
_PLOT_CODE = re.compile(rf"[0-9A-Z-]{{1,{MAX_PLOT_CODE_LENGTH}}}")
_KEY_TAG = re.compile(rf"[A-Z2-7]{{{KEY_TAG_LENGTH}}}")
_QUANTITY = re.compile(r"[1-9][0-9]{0,8}")
_TOKEN = re.compile(
    r"(?P<version>[0-9])(?P<kind>[A-Z])(?P<days>[0-9]{5})"
    rf"(?P<tag>[A-Z2-7]{{{KEY_TAG_LENGTH}}})(?P<value>[0-9A-Z-]{{1,{MAX_PLOT_CODE_LENGTH}}})"
    rf"\.(?P<sig>[A-Z2-7]{{{SIGNATURE_CHARS}}})"
)


class TokenError(ValueError):
    """Malformed, unverifiable or forged token."""


_KIND_CODES = {CertificateKind.OFFSET: "O", CertificateKind.PLOT: "P", CertificateKind.EVENT: "E"}
_CODE_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


@dataclass(frozen=True)
class TokenClaims:
    """What a certificate token asserts.

    ``quantity_kg`` is set for offset/event certificates, ``plot_code`` for plot ones.
    ``key_tag`` is filled in by encoding/decoding, ``key_id`` only by :func:`verify_token`.
    """

    public_id: str
    kind: CertificateKind
    issued_on: date
    quantity_kg: int | None = None
    plot_code: str | None = None
    key_tag: str | None = None
    key_id: str | None = None
    version: int = TOKEN_VERSION

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", CertificateKind(self.kind))
        except ValueError as exc:
            raise TokenError(f"unknown certificate kind {self.kind!r}") from exc
        if not is_public_id(self.public_id):
            raise TokenError(f"invalid public id {self.public_id!r}")
        if self.version != TOKEN_VERSION:
            raise TokenError(f"unsupported token version {self.version}")
        if type(self.issued_on) is not date or not 0 <= _days(self.issued_on) <= _MAX_DAYS:
            raise TokenError("issued_on must be a date between 1970-01-01 and 2243-10-16")
        if self.kind is CertificateKind.PLOT:
            if self.quantity_kg is not None:
                raise TokenError("plot certificates carry a plot code, not a quantity")
            if not isinstance(self.plot_code, str) or not _PLOT_CODE.fullmatch(self.plot_code):
                raise TokenError(
                    f"plot code must be 1-{MAX_PLOT_CODE_LENGTH} characters of 0-9 A-Z -"
                )
        else:
            if self.plot_code is not None:
                raise TokenError(f"{self.kind} certificates carry a quantity, not a plot code")
            q = self.quantity_kg
            if type(q) is not int or not 1 <= q <= MAX_QUANTITY_KG:
                raise TokenError(f"quantity_kg must be an int in 1..{MAX_QUANTITY_KG}")

    @property
    def value(self) -> str:
        """The VALUE field: quantity in kg or plot code."""
        if self.kind is CertificateKind.PLOT:
            return str(self.plot_code)
        return str(self.quantity_kg)


def _days(day: date) -> int:
    return (day - _EPOCH).days


def claims_string(claims: TokenClaims, key_tag: str) -> str:
    """The CLAIMS field for ``claims`` signed by the key with ``key_tag``."""
    if not _KEY_TAG.fullmatch(key_tag):
        raise TokenError(f"invalid key tag {key_tag!r}")
    return (
        f"{claims.version}{_KIND_CODES[claims.kind]}{_days(claims.issued_on):05d}"
        f"{key_tag}{claims.value}"
    )


def signed_message(public_id: str, claims: str) -> bytes:
    """The exact bytes that are signed: ``"TANHUI-CERT:" + public_id + "/" + claims``."""
    return f"{CERT_CONTEXT}{public_id}/{claims}".encode("ascii")


def encode_token(key: SigningKey, claims: TokenClaims) -> str:
    """Sign ``claims`` with ``key``; returns ``CLAIMS.SIGNATURE`` (uppercase)."""
    if claims.key_id is not None and claims.key_id != key.key_id:
        raise TokenError("claims name a different key than the one signing them")
    body = claims_string(claims, key.tag)
    signature = key.sign(signed_message(claims.public_id, body))
    return f"{body}.{base64.b32encode(signature).decode('ascii').rstrip('=')}"


@dataclass(frozen=True)
class _Parsed:
    claims: TokenClaims
    message: bytes
    signature: bytes


def _parse(token: str, public_id: str) -> _Parsed:
    if not isinstance(token, str) or not isinstance(public_id, str):
        raise TokenError("token and public id must be strings")
    token, public_id = token.upper(), public_id.upper()
    if not is_public_id(public_id):
        raise TokenError("invalid public id")
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise TokenError("malformed token")
    if int(match["version"]) != TOKEN_VERSION:
        raise TokenError(f"unsupported token version {match['version']}")
    kind = _CODE_KINDS.get(match["kind"])
    if kind is None:
        raise TokenError(f"unknown certificate kind code {match['kind']!r}")
    value = match["value"]
    if kind is not CertificateKind.PLOT and not _QUANTITY.fullmatch(value):
        raise TokenError("malformed quantity")
    claims = TokenClaims(
        public_id=public_id,
        kind=kind,
        issued_on=_EPOCH + timedelta(days=int(match["days"])),
        quantity_kg=None if kind is CertificateKind.PLOT else int(value),
        plot_code=value if kind is CertificateKind.PLOT else None,
        key_tag=match["tag"],
    )
    signature = _b32_signature(match["sig"])
    body = token[: match.start("sig") - 1]
    return _Parsed(claims=claims, message=signed_message(public_id, body), signature=signature)


def _b32_signature(text: str) -> bytes:
    try:
        signature = base64.b32decode(text + "=")
    except binascii.Error as exc:
        raise TokenError("malformed signature") from exc
    # Reject non-zero padding bits so every signature has one encoding.
    if base64.b32encode(signature).decode("ascii").rstrip("=") != text:
        raise TokenError("non-canonical signature encoding")
    return signature


def decode_token(token: str, *, public_id: str) -> TokenClaims:
    """Parse without verifying. ``key_id`` is ``None``; raises :class:`TokenError`."""
    return _parse(token, public_id).claims


def verify_token(keyring: Keyring, token: str, *, public_id: str) -> TokenClaims:
    """Parse and verify; returns claims with ``key_id`` set. Raises :class:`TokenError`."""
    parsed = _parse(token, public_id)
    tag = parsed.claims.key_tag or ""
    key = keyring.by_tag(tag)
    if key is None:
        raise TokenError(f"unknown signing key (tag {tag})")
    if not key.verify(parsed.message, parsed.signature):
        raise TokenError("bad signature")
    return replace(parsed.claims, key_id=key.key_id)


def qr_text(base_url: str, public_id: str, token: str) -> str:
    """``{BASE}/V/{ID}/{TOKEN}`` uppercased; raises ``ValueError`` if not QR alphanumeric."""
    if not is_public_id(public_id.upper()):
        raise ValueError(f"invalid public id {public_id!r}")
    text = f"{base_url.rstrip('/')}{VERIFY_PATH}{public_id}/{token}".upper()
    bad = sorted(set(text) - QR_ALPHANUMERIC)
    if bad:
        raise ValueError(f"characters outside the QR alphanumeric set: {''.join(bad)!r}")
    return text


def parse_qr_text(text: str) -> tuple[str, str]:
    """``(public_id, token)`` from a scanned QR text (any case); raises :class:`TokenError`."""
    upper = text.strip().upper()
    marker = upper.rfind(VERIFY_PATH)
    if marker < 0:
        raise TokenError("not a certificate verification URL")
    public_id, sep, token = upper[marker + len(VERIFY_PATH) :].partition("/")
    if not sep or not is_public_id(public_id) or not token:
        raise TokenError("not a certificate verification URL")
    return public_id, token
