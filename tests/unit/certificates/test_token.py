"""Certificate tokens and QR text."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from dataclasses import replace
from datetime import date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.certificates.ids import ALPHABET
from webapp.services.certificates.token import (
    MAX_QUANTITY_KG,
    QR_ALPHANUMERIC,
    CertificateKind,
    TokenClaims,
    TokenError,
    claims_string,
    decode_token,
    encode_token,
    parse_qr_text,
    qr_text,
    signed_message,
    verify_token,
)
from webapp.services.signing import Keyring, SigningKey

BASE = "HTTPS://TANHUI.EXAMPLE.CN"
PID = "7K3MPQ9XRT"
DAY = date(2025, 3, 15)  # day 20162
QR_BUDGET = 165


def seeded(label: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(label.encode()).digest())


KEY = seeded("token-key")
RING = Keyring(KEY)


def offset(quantity: int = 2_417_000, **kw: object) -> TokenClaims:
    return TokenClaims(
        public_id=PID, kind=CertificateKind.OFFSET, issued_on=DAY, quantity_kg=quantity, **kw
    )


def plot(code: str = "CLS-JN-0042") -> TokenClaims:
    return TokenClaims(public_id=PID, kind="plot", issued_on=DAY, plot_code=code)


def test_layout() -> None:
    token = encode_token(KEY, offset())
    body, _, sig = token.partition(".")
    assert body == f"1O20162{KEY.tag}2417000"
    assert len(sig) == 103 and set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert claims_string(offset(), KEY.tag) == body


@pytest.mark.parametrize(
    "claims",
    [
        offset(),
        offset(1),
        offset(MAX_QUANTITY_KG),
        plot(),
        plot("7"),
        plot("A" * 16),
        TokenClaims(
            public_id=PID, kind=CertificateKind.EVENT, issued_on=date(1970, 1, 1), quantity_kg=12
        ),
        TokenClaims(
            public_id=PID, kind=CertificateKind.EVENT, issued_on=date(2243, 10, 16), quantity_kg=12
        ),
    ],
)
def test_round_trip(claims: TokenClaims) -> None:
    token = encode_token(KEY, claims)
    decoded = decode_token(token, public_id=PID)
    assert decoded == replace(claims, key_tag=KEY.tag)
    verified = verify_token(RING, token, public_id=PID)
    assert verified == replace(claims, key_tag=KEY.tag, key_id=KEY.key_id)


def test_lowercase_input_is_accepted() -> None:
    token = encode_token(KEY, plot())
    assert verify_token(RING, token.lower(), public_id=PID.lower()).plot_code == "CLS-JN-0042"


def test_signed_message_is_reproducible_without_our_code() -> None:
    """What a WebCrypto verifier does: split the URL, prefix, base32-decode, verify."""
    text = qr_text(BASE, PID, encode_token(KEY, offset()))
    path = text.split("/V/", 1)[1]
    body, _, sig = path.rpartition(".")
    message = ("TANHUI-CERT:" + body).encode("ascii")
    assert message == signed_message(PID, body.split("/")[1])
    signature = base64.b32decode(sig + "=")
    Ed25519PublicKey.from_public_bytes(KEY.verifying_key.raw).verify(signature, message)


@pytest.mark.parametrize(
    ("claims", "value_len"),
    [(offset(), 7), (offset(MAX_QUANTITY_KG), 9), (plot("CLS-JN-0042"), 11), (plot("A" * 12), 12)],
)
def test_qr_text_fits_budget_and_alphanumeric_mode(claims: TokenClaims, value_len: int) -> None:
    text = qr_text(BASE, PID, encode_token(KEY, claims))
    assert len(text) == len(BASE) + 3 + 10 + 1 + 10 + value_len + 1 + 103
    assert len(text) <= QR_BUDGET
    assert set(text) <= QR_ALPHANUMERIC
    assert text == text.upper()
    assert text.startswith(f"{BASE}/V/{PID}/1")


def test_qr_text_uppercases_base_url_and_round_trips() -> None:
    token = encode_token(KEY, offset())
    text = qr_text("https://tanhui.example.cn/", PID, token)
    assert text == f"{BASE}/V/{PID}/{token}"
    public_id, scanned = parse_qr_text(text)
    assert (public_id, scanned) == (PID, token)
    assert verify_token(RING, scanned, public_id=public_id).quantity_kg == 2_417_000
    assert parse_qr_text(text.lower()) == (PID, token)


@pytest.mark.parametrize("base", ["https://tan_hui.cn", "https://x.cn/?a=b", "https://x.cn#f"])
def test_qr_text_rejects_non_alphanumeric(base: str) -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_text(base, PID, encode_token(KEY, offset()))


def test_qr_text_rejects_bad_id() -> None:
    with pytest.raises(ValueError):
        qr_text(BASE, "0000000000", "X")


@pytest.mark.parametrize(
    "text",
    [
        "HTTPS://X.CN/C/7K3MPQ9XRT/1",
        "HTTPS://X.CN/V/7K3MPQ9XRT",
        "HTTPS://X.CN/V/7K3MPQ9XR0/1O",
        "HTTPS://X.CN/V/7K3MPQ9XRT/",
    ],
)
def test_parse_qr_text_rejects(text: str) -> None:
    with pytest.raises(TokenError):
        parse_qr_text(text)


def test_retired_keys_still_verify_and_unknown_keys_fail() -> None:
    old, new = seeded("old"), seeded("new")
    token = encode_token(old, offset())
    assert (
        verify_token(Keyring(new, [old.verifying_key]), token, public_id=PID).key_id == old.key_id
    )
    with pytest.raises(TokenError, match="unknown signing key"):
        verify_token(Keyring(new), token, public_id=PID)


def test_every_single_character_change_is_rejected() -> None:
    token = encode_token(KEY, plot())
    for i, char in enumerate(token):
        for other in {"A", "Z", "2", "7", "9", "-", "Q"} - {char}:
            forged = token[:i] + other + token[i + 1 :]
            with pytest.raises(TokenError):
                verify_token(RING, forged, public_id=PID)


def test_token_is_bound_to_the_public_id() -> None:
    token = encode_token(KEY, offset())
    decode_token(token, public_id="7K3MPQ9XRU")  # parses: the id is not inside the token
    with pytest.raises(TokenError, match="bad signature"):
        verify_token(RING, token, public_id="7K3MPQ9XRU")


def test_non_canonical_signature_encoding_is_rejected() -> None:
    token = encode_token(KEY, offset())
    # The last base32 char carries 2 data bits + 3 zero padding bits; set a padding bit.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = alphabet.index(token[-1])
    forged = token[:-1] + alphabet[last | 1]
    with pytest.raises(TokenError, match="non-canonical"):
        decode_token(forged, public_id=PID)


def _sign_body(body: str) -> str:
    sig = KEY.sign(signed_message(PID, body))
    return f"{body}.{base64.b32encode(sig).decode().rstrip('=')}"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (f"1O20162{KEY.tag}0123", "malformed quantity"),
        (f"1O20162{KEY.tag}0", "malformed quantity"),
        (f"1O20162{KEY.tag}1000000000", "malformed quantity"),
        (f"1E20162{KEY.tag}CLS-JN", "malformed quantity"),
        (f"2O20162{KEY.tag}1", "unsupported token version"),
        (f"1X20162{KEY.tag}1", "unknown certificate kind"),
        (f"1O2016{KEY.tag}1", "malformed token"),
        (f"1P20162{KEY.tag}" + "A" * 17, "malformed token"),
        (f"1P20162{KEY.tag}CLS_JN", "malformed token"),
        (f"1P20162{KEY.tag}", "malformed token"),
    ],
)
def test_validly_signed_but_malformed_claims(body: str, error: str) -> None:
    with pytest.raises(TokenError, match=error):
        verify_token(RING, _sign_body(body), public_id=PID)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "1O20162AAA1",
        "1O20162AAA1.",
        "1O20162AAA1." + "A" * 102,
        "1O20162AAA1." + "A" * 104,
        "1O20162AAA1." + "1" * 103,
        "1O20162AAA1.." + "A" * 103,
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(TokenError):
        decode_token(token, public_id=PID)


def test_bad_public_id_and_types() -> None:
    token = encode_token(KEY, offset())
    with pytest.raises(TokenError, match="public id"):
        decode_token(token, public_id="7K3MP-Q9XRT")
    with pytest.raises(TokenError):
        decode_token(None, public_id=PID)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "offset", "quantity_kg": 0},
        {"kind": "offset", "quantity_kg": -5},
        {"kind": "offset", "quantity_kg": MAX_QUANTITY_KG + 1},
        {"kind": "offset", "quantity_kg": True},
        {"kind": "offset", "quantity_kg": 10.0},
        {"kind": "offset", "quantity_kg": None},
        {"kind": "offset", "quantity_kg": 5, "plot_code": "A1"},
        {"kind": "event", "plot_code": "A1"},
        {"kind": "plot", "plot_code": "A1", "quantity_kg": 5},
        {"kind": "plot", "plot_code": "cls-jn"},
        {"kind": "plot", "plot_code": "CLS.JN"},
        {"kind": "plot", "plot_code": ""},
        {"kind": "plot", "plot_code": "A" * 17},
        {"kind": "plot"},
        {"kind": "tree", "quantity_kg": 5},
        {"kind": "offset", "quantity_kg": 5, "issued_on": date(1969, 12, 31)},
        {"kind": "offset", "quantity_kg": 5, "issued_on": date(2243, 10, 17)},
        {"kind": "offset", "quantity_kg": 5, "issued_on": datetime(2025, 3, 15, 12)},  # noqa: DTZ001
        {"kind": "offset", "quantity_kg": 5, "issued_on": "2025-03-15"},
        {"kind": "offset", "quantity_kg": 5, "public_id": "7k3mpq9xrt"},
        {"kind": "offset", "quantity_kg": 5, "version": 2},
    ],
)
def test_claims_validation(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"public_id": PID, "issued_on": DAY, **kwargs}
    with pytest.raises(TokenError):
        TokenClaims(**fields)


def test_encode_refuses_mismatched_key_id_and_bad_tag() -> None:
    with pytest.raises(TokenError, match="different key"):
        encode_token(KEY, offset(key_id=seeded("other").key_id))
    assert encode_token(KEY, offset(key_id=KEY.key_id)) == encode_token(KEY, offset())
    with pytest.raises(TokenError, match="key tag"):
        claims_string(offset(), "ab1")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-/ab", max_size=140))
def test_decode_only_raises_token_error(text: str) -> None:
    with contextlib.suppress(TokenError):
        decode_token(text, public_id=PID)


@settings(max_examples=100, deadline=None, database=None)
@given(
    pid=st.text(alphabet=ALPHABET, min_size=10, max_size=10),
    kind=st.sampled_from(list(CertificateKind)),
    days=st.integers(min_value=0, max_value=99_999),
    quantity=st.integers(min_value=1, max_value=MAX_QUANTITY_KG),
    code=st.from_regex(r"[0-9A-Z-]{1,16}", fullmatch=True),
)
def test_round_trip_property(pid, kind, days, quantity, code) -> None:
    claims = TokenClaims(
        public_id=pid,
        kind=kind,
        issued_on=date.fromordinal(date(1970, 1, 1).toordinal() + days),
        quantity_kg=None if kind is CertificateKind.PLOT else quantity,
        plot_code=code if kind is CertificateKind.PLOT else None,
    )
    token = encode_token(KEY, claims)
    assert verify_token(RING, token, public_id=pid) == replace(
        claims, key_tag=KEY.tag, key_id=KEY.key_id
    )
    assert set(qr_text(BASE, pid, token)) <= QR_ALPHANUMERIC
