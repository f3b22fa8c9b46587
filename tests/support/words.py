"""Human words: find internal keys, enum values, config names, English fragments in Chinese
text and half-width punctuation inside Chinese (plain helpers for the scanning tests)."""

from __future__ import annotations

import enum
import html
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import webapp.models as models
from webapp.config import TestingConfig
from webapp.labels import ACTIVITY_LABELS, CATEGORY_LABELS
from webapp.services.footprint.factors import load_factor_set

CJK = "\u3400-\u9fff\uf900-\ufaff"
SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
DOTTED = re.compile(r"(?<![\w.])[a-z_]+(?:\.[a-z_]+)+(?![\w.])")
WORD = re.compile(r"(?<![\w@./-])[A-Za-z][A-Za-z'’-]*[A-Za-z](?![\w@/-])")
HALF_WIDTH = re.compile(rf"[{CJK}][:()]|[()][{CJK}]")
# The plot file's columns, named literally where staff are told the file's format.
FILE_COLUMNS = {"area_mu", "size_m"}
URL = re.compile(r"https?://\S+")
# Codes and abbreviations: certificate numbers, plot codes, airport codes, UTC, CCER.
CODE = re.compile(r"[A-Z0-9][A-Z0-9-]*[A-Z0-9]")
# Provider references staff see (cs_demo_<hex>, pi_demo_<hex>): identifiers, not words.
PROVIDER_ID = re.compile(r"\b[a-z]{2,3}_(?:demo_|test_)?[0-9a-f]{12,}\b")
CJK_RUN = re.compile(rf"[{CJK}][{CJK}\u3000-\u303f\uff00-\uffef·\d\s]*")

# Words that are names, units or abbreviations, not English prose: fine in Chinese text.
ZH_ALLOWED_WORDS = {
    # the product and the organisations, standards and schemes it cites
    "Tanhui",
    "CCER",
    "DESNZ",
    "MEE",
    "NDRC",
    "NBS",
    "IPCC",
    "GHG",
    "ISO",
    "PAS",
    "UK",
    "DEFRA",
    "ICAO",
    "BEIS",
    "EEA",
    "IEA",
    "UNFCCC",
    "CDM",
    "VCS",
    "AR-CM",
    "CM",
    "AR",
    "Stripe",
    "Alipay",
    "WeChat",
    "Pay",
    "Visa",
    "Mastercard",
    "UnionPay",
    "GitHub",
    "ICBC",
    "OpenAPI",
    "JSON",
    "API",
    "PDF",
    "CSV",
    "QR",
    "URL",
    "HTTPS",
    "ID",
    "SHA",
    "RFC",
    "Ed",
    "Merkle",
    "JWS",
    "PNG",
    "SVG",
    "ZIP",
    "JPEG",
    "JPG",
    # units and chemistry
    "kg",
    "CO",
    "CO2",
    "CO2e",
    "COe",
    "kWh",
    "MWh",
    "GJ",
    "km",
    "pkm",
    "vkm",
    "t",
    "tCO",
    "kgCO",
    "gCO",
    "mu",
    "m",
    "L",
    "CH",
    "N2O",
    "NO",
    "RF",
    "e",
    "yr",
    "ha",
    "cm",
    # the language switch and the demo's own names
    "English",
    "Tab",
    "App",
    # the plot file's column names, quoted where staff are told the file's format
    "code",
    "species",
    "price",
    "trees",
    "polygon",
    "Demo",
    "Bank",
    "DEMO",
    "TH",
    "Tai'an",
    "Taishan",
}


def enum_values() -> set[str]:
    values = set()
    for name in dir(models):
        item = getattr(models, name)
        if isinstance(item, type) and issubclass(item, enum.Enum):
            values.update(str(member.value) for member in item)
    return values


def config_names() -> set[str]:
    return {name for name in vars(TestingConfig()) if name.isupper() and "_" in name}


def footprint_keys() -> set[str]:
    return set(CATEGORY_LABELS) | set(ACTIVITY_LABELS)


def factor_ids() -> set[str]:
    """The factor set's ids: the public identifiers the methodology page documents."""
    return set(load_factor_set().factors)


def visible_text(page: str) -> str:
    """What a reader sees: the page without scripts, styles, markup and the airport
    suggestions of a datalist (offered while typing, not text of the page)."""
    # A <pre> on these pages is a file format to copy (the plot CSV's column names).
    # A <textarea> holds what staff type (a site's description in each language).
    page = re.sub(
        r"<(script|style|template|datalist|pre|textarea)\b.*?</\1>", " ", page, flags=re.S
    )
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


LANG_MARKED = re.compile(
    r"<(p|span|div|td|li|cite|q|small|em|strong|a|option|button)\b[^>]*\blang=\"(en|zh)[^\"]*\"[^>]*>.*?</\1>",
    flags=re.S,
)


MONO = re.compile(r"<(span|code|td)\b[^>]*\bclass=\"[^\"]*\bmono\b[^\"]*\"[^>]*>.*?</\1>", re.S)


def unmarked_text(page: str) -> str:
    """The visible text without elements whose markup declares another language (a
    reference quoted in English on a Chinese page, a name in Chinese on an English one)
    and without identifiers set in monospace (order references, species codes)."""
    return visible_text(MONO.sub(" ", LANG_MARKED.sub(" ", page)))


def eml_texts(outbox: Path) -> list[tuple[str, str]]:
    """(file name, subject and every text part) of each e-mail in the outbox."""
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        parts = [str(msg["subject"] or "")]
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                parts.append(part.get_content())
            elif part.get_content_type() == "text/html":
                parts.append(visible_text(part.get_content()))
        found.append((path.name, "\n".join(parts)))
    return found


def _normalise(text: str) -> str:
    """One space between words, none between Chinese characters (PDF lines break there)."""
    text = " ".join(text.split())
    return re.sub(rf"(?<=[{CJK}]) (?=[{CJK}（）：，。])|(?<=[（）：，。]) (?=[{CJK}])", "", text)


class Scanner:
    """Collects what a person should never read."""

    def __init__(self, allowed_names: set[str] = frozenset()) -> None:
        self.enums = enum_values()
        self.configs = config_names()
        self.keys = footprint_keys()
        self.factor_ids = factor_ids()
        # Publication titles are names: cited as published, in their own language.
        citations = {f.citation for f in load_factor_set().factors.values() if f.citation}
        self.allowed_names = {_normalise(n) for n in set(allowed_names) | citations}
        self.problems: list[str] = []

    @staticmethod
    def _ids(text: str) -> set[str]:
        return {m.group(0) for m in PROVIDER_ID.finditer(text)}

    def _strip_ids(self, text: str) -> str:
        for fid in sorted(self.factor_ids, key=len, reverse=True):
            if fid in text:
                text = text.replace(fid, " ")
        return text

    def scan_page(self, page: str, lang: str, where: str) -> None:
        self.scan(visible_text(page), lang, where, prose=unmarked_text(page))

    def scan(self, text: str, lang: str, where: str, prose: str | None = None) -> None:
        """``lang``: "zh", "en", or "both" for bilingual documents (certificates, reports);
        ``prose``: the text to check for the other language (default: ``text``)."""
        text = _normalise(text)
        prose = _normalise(prose if prose is not None else text)
        for name in self.configs:
            if re.search(rf"(?<![A-Z_]){name}(?![A-Z_])", text):
                self.problems.append(f"{where}: config name {name}")
        text = self._strip_ids(text)
        for key in sorted({m.group(0) for m in DOTTED.finditer(text)} & self.keys):
            self.problems.append(f"{where}: footprint key {key}")
        tokens = {m.group(0) for m in SNAKE.finditer(text)} - self._ids(text) - FILE_COLUMNS
        for token in sorted(tokens):
            kind = "enum value" if token in self.enums else "snake_case token"
            self.problems.append(f"{where}: {kind} {token}")
        for name in sorted(self.allowed_names, key=len, reverse=True):
            prose = prose.replace(name, " ")
        prose = URL.sub(" ", self._strip_ids(prose))
        if lang in ("zh", "both"):
            for m in HALF_WIDTH.finditer(prose):
                context = prose[max(0, m.start() - 8) : m.end() + 8]
                self.problems.append(f"{where}: half-width punctuation in {context!r}")
        if lang == "zh":
            words = {m.group(0) for m in WORD.finditer(prose)}
            for word in sorted(w for w in words - ZH_ALLOWED_WORDS if not CODE.fullmatch(w)):
                kind = "enum value" if word in self.enums else "English word"
                at = prose.find(word)
                context = prose[max(0, at - 20) : at + len(word) + 20]
                self.problems.append(f"{where}: {kind} {word!r} in {context!r}")
        elif lang == "en":
            prose = re.sub(rf"\([^()]*[{CJK}][^()]*\)", " ", prose)  # deliberate glosses
            for m in CJK_RUN.finditer(prose):
                context = prose[max(0, m.start() - 25) : m.end() + 10]
                self.problems.append(f"{where}: Chinese in an English page in {context!r}")
