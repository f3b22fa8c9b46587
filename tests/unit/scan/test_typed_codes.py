"""What a ranger types from the paper: the certificate number under the QR code and the
plaque's plot code, read alike by the scanner (static/scan/crypto.js, run in Node) and by
the server that re-checks the uploaded visits (webapp/services/scan/visits.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from webapp.services.scan.visits import parse_plaque, typed_number

ROOT = Path(__file__).resolve().parents[3]
NODE = shutil.which("node")

NUMBERS = [
    ("9RD6Y-RXEDP", "9RD6YRXEDP"),  # as printed under the QR code
    ("9RD6YRXEDP", "9RD6YRXEDP"),
    ("9rd6y-rxedp", "9RD6YRXEDP"),  # any case
    ("9rd6yrxedp", "9RD6YRXEDP"),
    ("  9RD6Y RXEDP \n", "9RD6YRXEDP"),
    ("9RD6Y‐RXEDP", "9RD6YRXEDP"),  # a phone's hyphen (U+2010)
    ("９ＲＤ６Ｙ－ＲＸＥＤＰ", "9RD6YRXEDP"),  # full-width, from a Chinese keyboard
    ("https://tanhui.example.cn/v/9RD6YRXEDP", "9RD6YRXEDP"),  # the printed verify URL
    ("HTTP://127.0.0.1:5101/V/9RD6YRXEDP/", "9RD6YRXEDP"),
    ("9RD6Y-RXED", None),  # nine characters
    ("9RD6Y-RXEDO", None),  # O is not in the alphabet
    ("A-05", None),
    ("", None),
    ("https://tanhui.example.cn/V/9RD6YRXEDP/1P20162FOQA-01.AAAA", None),  # a QR text
]

PLAQUES = [
    ("A-05", "CLS-JN", ("CLS-JN", "A-05")),  # as the plaque shows it, at the ranger's site
    ("a-05", "CLS-JN", ("CLS-JN", "A-05")),
    (" A‐05 ", "cls-jn", ("CLS-JN", "A-05")),
    ("CLS-JN/A-05", None, ("CLS-JN", "A-05")),
    ("cls-jn / a-05", "TS-01", ("CLS-JN", "A-05")),  # the site typed wins
    ("CLS-JN A-05", None, ("CLS-JN", "A-05")),
    ("ＣＬＳ－ＪＮ／Ａ－０５", None, ("CLS-JN", "A-05")),
    ("https://tanhui.example.cn/P/CLS-JN/A-05", None, ("CLS-JN", "A-05")),
    ("http://127.0.0.1:5101/p/cls-jn/a-05/", "TS-01", ("CLS-JN", "A-05")),
    ("A-05", None, None),  # no site known
    ("CLS JN A-05", "CLS-JN", None),
    ("A-05!", "CLS-JN", None),
    ("", "CLS-JN", None),
]


def test_the_server_reads_typed_numbers():
    assert [typed_number(text) for text, _ in NUMBERS] == [want for _, want in NUMBERS]


def test_the_server_reads_typed_plaques():
    got = [parse_plaque(text, site) for text, site, _ in PLAQUES]
    assert got == [want for _, _, want in PLAQUES]


SCRIPT = """
import * as c from %(module)s;
const input = JSON.parse(process.argv[1]);
console.log(JSON.stringify({
  numbers: input.numbers.map((text) => c.parseCertificateNumber(text)),
  plaques: input.plaques.map(([text, site]) => c.parsePlaqueText(text, site)),
  qr: c.parseCertificateNumber(input.qr),
}));
"""


@pytest.mark.skipif(NODE is None, reason="node is installed by `make setup`")
def test_the_scanner_reads_them_as_the_server_does():
    module = json.dumps((ROOT / "static" / "scan" / "crypto.js").as_uri())
    payload = {
        "numbers": [text for text, _ in NUMBERS],
        "plaques": [[text, site] for text, site, _ in PLAQUES],
        "qr": "HTTPS://TANHUI.EXAMPLE.CN/V/9RD6YRXEDP/1P20162FOQA-01.AAAA",
    }
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT % {"module": module}, json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["numbers"] == [want for _, want in NUMBERS]
    assert out["plaques"] == [
        None if want is None else {"site": want[0], "plot": want[1]} for _, _, want in PLAQUES
    ]
    assert out["qr"] is None  # a QR text is a token to verify, not a number
