"""Inspecting rendered PDFs: poppler tools, QR decoding and a glyph checker."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdf
import zxingcpp
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject, TextStringObject


def _run(*args: str, data: bytes, stdout: tuple[str, ...] = ()) -> bytes:
    """Run a poppler tool on ``data``; ``stdout`` names the output when it needs one."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "c.pdf"
        pdf.write_bytes(data)
        return subprocess.run(
            [*args, str(pdf), *stdout], check=True, capture_output=True, timeout=60
        ).stdout


def pdftotext(data: bytes) -> str:
    return _run("pdftotext", "-enc", "UTF-8", data=data, stdout=("-",)).decode("utf-8")


def rasterise(data: bytes, dpi: float) -> Image.Image:
    """First page as a greyscale image (``pdftoppm -r DPI -png``)."""
    png = _run("pdftoppm", "-r", f"{dpi:g}", "-png", "-gray", "-singlefile", data=data)
    return Image.open(io.BytesIO(png))


@dataclass(frozen=True)
class PdfFont:
    name: str
    type: str
    embedded: bool
    subset: bool


def pdffonts(data: bytes) -> list[PdfFont]:
    lines = _run("pdffonts", data=data).decode().splitlines()[2:]
    fonts = []
    for line in lines:
        # name type… encoding emb sub uni object-id generation (name has no spaces)
        parts = line.split()
        emb, sub = parts[-5], parts[-4]
        fonts.append(
            PdfFont(
                name=parts[0],
                type=" ".join(parts[1:-6]),
                embedded=emb == "yes",
                subset=sub == "yes",
            )
        )
    return fonts


def decode_qr(image: Image.Image) -> list[str]:
    return [
        b.text
        for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        if b.valid
    ]


# ---- glyph checker ------------------------------------------------------------------
#
# For every text-showing operator of every Type0 font, the checker takes each 2-byte
# code (Identity-H), looks it up in the embedded font program, and counts the
# character(s) its ToUnicode entry names as rendered only if the code is not 0
# (.notdef) and the font program really has a glyph for it. A character of the name
# that is never rendered that way — skipped by the layout engine, drawn as .notdef, or
# missing from the embedded subset — is reported missing.


@dataclass
class GlyphReport:
    rendered: set[str] = field(default_factory=set)
    notdef_codes: int = 0  # code 0 shown
    absent_codes: set[int] = field(default_factory=set)  # shown, but not in the font


def _to_unicode(font: DictionaryObject) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, start in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            base = int(start, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(base + offset)
    return mapping


def embedded_codes(font: DictionaryObject) -> set[int]:
    """Codes (CIDs through Identity-H) for which the embedded program has a glyph."""
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    if "/FontFile3" in descriptor:
        stream = descriptor["/FontFile3"].get_object()
        data = stream.get_data()
        if stream.get("/Subtype") == "/CIDFontType0C":
            cff = CFFFontSet()
            cff.decompile(io.BytesIO(data), None)
            charset = cff.topDictIndex[0].charset
        else:  # OpenType-wrapped CFF: codes are glyph ids
            otf = TTFont(io.BytesIO(data))
            return set(range(1, len(otf.getGlyphOrder())))
        return {int(name[3:]) for name in charset if name.startswith("cid")}
    if "/FontFile2" in descriptor:
        ttf = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        return set(range(1, len(ttf.getGlyphOrder())))
    return set()


def _shown_strings(
    reader: pypdf.PdfReader, content: object, resources: DictionaryObject
) -> Iterator[tuple[DictionaryObject, bytes]]:
    fonts = resources.get("/Font", {})
    xobjects = resources.get("/XObject", {})
    current: DictionaryObject | None = None
    for operands, operator in ContentStream(content, reader).operations:
        if operator == b"Tf":
            current = fonts[operands[0]].get_object()
        elif operator in (b"Tj", b"'", b'"'):
            assert current is not None
            yield current, _raw(operands[-1])
        elif operator == b"TJ":
            assert current is not None
            for item in operands[0]:
                if isinstance(item, bytes | TextStringObject):
                    yield current, _raw(item)
        elif operator == b"Do":
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Form":
                inner = xobject.get("/Resources", resources)
                if isinstance(inner, IndirectObject):
                    inner = inner.get_object()
                yield from _shown_strings(reader, xobject, inner)


def _raw(string: object) -> bytes:
    """The bytes of a PDF string operand (pypdf decodes some strings to text)."""
    if isinstance(string, TextStringObject):
        return string.original_bytes
    assert isinstance(string, bytes)
    return bytes(string)


def glyph_report(data: bytes) -> GlyphReport:
    reader = pypdf.PdfReader(io.BytesIO(data))
    report = GlyphReport()
    cache: dict[int, tuple[dict[int, str], set[int]]] = {}
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        for font, raw in _shown_strings(reader, page.get_contents(), resources):
            key = id(font)
            if key not in cache:
                cache[key] = (_to_unicode(font), embedded_codes(font))
            to_unicode, present = cache[key]
            for i in range(0, len(raw) - 1, 2):
                code = int.from_bytes(raw[i : i + 2], "big")
                if code == 0:
                    report.notdef_codes += 1
                elif code not in present:
                    report.absent_codes.add(code)
                else:
                    report.rendered.update(to_unicode.get(code, ""))
    return report


def missing_glyphs(data: bytes, text: str) -> set[str]:
    """Characters of ``text`` (whitespace aside) not drawn with a real embedded glyph."""
    report = glyph_report(data)
    return {c for c in text if not c.isspace()} - report.rendered


def rasterise_pages(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    """Every page as a greyscale image (``pdftoppm -r 150 -png``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-gray", str(path), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        pages = []
        for png in sorted(Path(tmp).glob("page*.png")):
            with Image.open(png) as image:
                pages.append(image.copy())
        return pages


def decoded(pdf: bytes) -> list[str]:
    texts = []
    for page in rasterise_pages(pdf):
        texts += [r.text for r in zxingcpp.read_barcodes(page) if r.valid]
    return texts
