"""The planting-day pass: signed, canonical, and refused when altered or foreign."""

from __future__ import annotations

import pytest

from webapp.services.planting import passes
from webapp.services.signing import Keyring, SigningKey

CLAIMS = passes.PassClaims(pass_id="ABCDEFGH23", day_code="PD234567", site_code="CLS-JN", places=3)


def test_a_pass_round_trips_and_is_qr_alphanumeric():
    key = SigningKey.generate()
    text = passes.qr_text("http://127.0.0.1:5000", key, CLAIMS)
    assert text.startswith("HTTP://127.0.0.1:5000/T/ABCDEFGH23/PD234567/CLS-JN/3/")
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert passes.verify(Keyring(key), text) == CLAIMS
    assert passes.verify(Keyring(key), text.lower()) == CLAIMS


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("/3/", "/9/"),  # more places
        lambda t: t.replace("PD234567", "PD234568"),  # another day
        lambda t: t.replace("CLS-JN", "CLS-JX"),  # another site
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: t[:-5],  # cut short
    ],
)
def test_an_altered_pass_is_refused(change):
    key = SigningKey.generate()
    text = passes.qr_text("https://tanhui.example", key, CLAIMS)
    with pytest.raises(passes.PassError):
        passes.verify(Keyring(key), change(text))


def test_a_pass_signed_by_another_key_is_refused():
    text = passes.qr_text("https://tanhui.example", SigningKey.generate(), CLAIMS)
    with pytest.raises(passes.PassError):
        passes.verify(Keyring(SigningKey.generate()), text)
