"""Font subsetting and compaction for PDFs whose text is set in Noto CJK.

WeasyPrint subsets fonts with HarfBuzz keeping every glyph id up to the highest one
used (RETAIN_GIDS), because its content streams address glyphs by their original
ids. For Noto CJK that means ~60 000 mostly empty glyphs per face: ~50 ms of
subsetting and ~100 KB of PDF each. Two steps replace that where a render asks for it
(:func:`webapp.services.pdf.render.render` with ``compact_fonts=True``):

1. While :func:`fast_subsetting` is active, WeasyPrint's ``Font._harfbuzz_subset`` is
   swapped (see _fast_harfbuzz_subset) for CID-keyed CFF fonts whose glyph ids equal
   their CIDs — Noto CJK: HarfBuzz subsets *without* retaining ids (~6 ms), and the
   subset's CFF charset still names each glyph's original CID. Any other font, or any
   failure, goes through WeasyPrint's own code unchanged.
2. :func:`compact_fonts`, WeasyPrint's documented ``finisher`` hook, embeds the CFF of
   each such font as a bare CID-keyed CFF (``/CIDFontType0C``) holding exactly the
   glyphs the page shows, under their CIDs — which is what the content streams address
   through Identity-H. This works on WeasyPrint's retained-id subsets too, so the PDF
   stays small even if step 1 is unavailable. A font it cannot rewrite fails the render
   rather than risk printing wrong glyphs.

Tests check the result pixel for pixel against WeasyPrint's own subsetting.
"""

from __future__ import annotations

import contextlib
import contextvars
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pydyf
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import get_hb_object_data

from webapp.services.pdf.errors import RenderError

__all__ = ["FAST_SUBSET", "compact_fonts", "fast_subsetting"]

FAST_SUBSET = True  # tests switch it off to compare with WeasyPrint's own subsetting
_FAST_SUBSET_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tanhui_pdf_fast_subset", default=False
)
_WEASYPRINT_HARFBUZZ_SUBSET = getattr(weasyprint_fonts.Font, "_harfbuzz_subset", None)


@contextlib.contextmanager
def fast_subsetting() -> Iterator[None]:
    """Within the block (and this context), subset Noto CJK the fast way if enabled."""
    token = _FAST_SUBSET_ACTIVE.set(FAST_SUBSET)
    try:
        yield
    finally:
        _FAST_SUBSET_ACTIVE.reset(token)


def _fast_harfbuzz_subset(font: Any, cmap: dict[int, str], hinting: bool) -> None:
    """``Font._harfbuzz_subset`` replacement: see the module docstring."""
    if _FAST_SUBSET_ACTIVE.get() and _has_identity_charset(font.file_content, font.index):
        data = _harfbuzz_subset_renumbered(font.hb_face, sorted(cmap), hinting)
        if data is not None and data[:4] == b"OTTO":
            font.file_content = data
            return
    assert _WEASYPRINT_HARFBUZZ_SUBSET is not None
    _WEASYPRINT_HARFBUZZ_SUBSET(font, cmap, hinting)


def _harfbuzz_subset_renumbered(hb_face: Any, gids: list[int], hinting: bool) -> bytes | None:
    """HarfBuzz subset of ``gids`` (renumbered, desubroutinized), as font file bytes."""
    subset_input = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy
    )
    if subset_input == ffi.NULL:
        return None
    glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
    harfbuzz.hb_set_add_sorted_array(glyphs, ffi.new("hb_codepoint_t[]", gids), len(gids))
    flags = (
        harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
        | harfbuzz_subset.HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE
        | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
    )
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
    # Only the CFF table is embedded: skip the costly layout tables.
    drop = harfbuzz_subset.hb_subset_input_set(
        subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
    )
    tags = sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in _DROP_TABLES)
    harfbuzz.hb_set_add_sorted_array(drop, ffi.new("hb_codepoint_t[]", tags), len(tags))
    face = ffi.gc(
        harfbuzz_subset.hb_subset_or_fail(hb_face, subset_input), harfbuzz.hb_face_destroy
    )
    if face == ffi.NULL:
        return None
    return get_hb_object_data(face)


_DROP_TABLES = (b"BASE", b"DSIG", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"VORG", b"vhea", b"vmtx")

if _WEASYPRINT_HARFBUZZ_SUBSET is not None and harfbuzz_subset is not None:
    weasyprint_fonts.Font._harfbuzz_subset = _fast_harfbuzz_subset


def compact_fonts(document: object, pdf: pydyf.PDF) -> None:
    """Replace each embedded OpenType/CFF CID font by a bare CFF of the glyphs shown."""
    objects = pdf.objects
    for obj in objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/CIDFontType0":
            continue
        descriptor = objects[_ref(obj["FontDescriptor"])]
        stream_ref = descriptor.get("FontFile3")
        if stream_ref is None:
            continue
        stream = objects[_ref(stream_ref)]
        if stream.extra.get("Subtype") != "/OpenType":
            continue
        cids = _cids_in_widths(obj["W"])
        compact = _compact_cff(b"".join(_bytes(part) for part in stream.stream), cids)
        if compact is None:
            # A renumbered subset left as it is would show the wrong glyphs: fail loudly.
            raise RenderError(f"cannot embed font {obj.get('BaseFont')} as a CID-keyed CFF")
        stream.stream = [compact]
        stream.extra["Subtype"] = "/CIDFontType0C"
        descriptor.pop("Subtype", None)


def _ref(reference: object) -> int:
    """Object number of a pydyf reference (``b"12 0 R"``)."""
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return int(text.split()[0])


def _bytes(part: object) -> bytes:
    return part if isinstance(part, bytes) else str(part).encode()


def _cids_in_widths(widths: list[Any]) -> set[int]:
    """CIDs listed in a ``/W`` array of the form ``[first [w1 w2 …] first [w …] …]``."""
    cids: set[int] = set()
    for first, run in zip(widths[::2], widths[1::2], strict=True):
        cids.update(range(int(first), int(first) + len(run)))
    return cids


class _CffError(ValueError):
    pass


def _read_index(data: bytes, pos: int) -> tuple[list[tuple[int, int]], int]:
    """Spans ``(start, end)`` of the items of the CFF INDEX at ``pos``, and its end."""
    (count,) = struct.unpack_from(">H", data, pos)
    if count == 0:
        return [], pos + 2
    off_size = data[pos + 2]
    if not 1 <= off_size <= 4:
        raise _CffError("bad INDEX offSize")
    base = pos + 3 + (count + 1) * off_size - 1
    offsets = [
        int.from_bytes(data[pos + 3 + i * off_size : pos + 3 + (i + 1) * off_size], "big")
        for i in range(count + 1)
    ]
    return [(base + offsets[i], base + offsets[i + 1]) for i in range(count)], base + offsets[-1]


def _index_item(data: bytes, pos: int, i: int) -> bytes:
    """Item ``i`` of the INDEX at ``pos`` without reading the other offsets (O(1))."""
    (count,) = struct.unpack_from(">H", data, pos)
    if not 0 <= i < count:
        raise _CffError("glyph out of range")
    off_size = data[pos + 2]
    base = pos + 3 + (count + 1) * off_size - 1
    at = pos + 3 + i * off_size
    start = int.from_bytes(data[at : at + off_size], "big")
    end = int.from_bytes(data[at + off_size : at + 2 * off_size], "big")
    return data[base + start : base + end]


def _build_index(items: list[bytes]) -> bytes:
    if not items:
        return b"\0\0"
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    off_size = (offsets[-1].bit_length() + 7) // 8
    head = struct.pack(">HB", len(items), off_size)
    return head + b"".join(o.to_bytes(off_size, "big") for o in offsets) + b"".join(items)


_Dict = list[tuple[int, list[int | float], bytes]]  # (operator, operands, raw operand bytes)


def _parse_dict(data: bytes) -> _Dict:
    entries: _Dict = []
    operands: list[int | float] = []
    start = i = 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:  # operator
            op = 1200 + data[i + 1] if b0 == 12 else b0
            entries.append((op, operands, data[start:i]))
            i += 2 if b0 == 12 else 1
            operands, start = [], i
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", data, i + 1)[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", data, i + 1)[0])
            i += 5
        elif b0 == 30:  # real: value not needed (never an offset), skip its nibbles
            i += 1
            while data[i] & 0x0F != 0x0F and data[i] >> 4 != 0x0F:
                i += 1
            i += 1
            operands.append(0.0)
        elif 32 <= b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            operands.append((b0 - 247) * 256 + data[i + 1] + 108)
            i += 2
        elif 251 <= b0 <= 254:
            operands.append(-(b0 - 251) * 256 - data[i + 1] - 108)
            i += 2
        else:
            raise _CffError(f"bad DICT byte {b0}")
    return entries


def _encode_dict(entries: _Dict, replace: dict[int, list[int]]) -> bytes:
    """DICT bytes; operators in ``replace`` get new operands as fixed 5-byte integers."""
    out = bytearray()
    for op, _operands, raw in entries:
        if op in replace:
            for value in replace[op]:
                out += b"\x1d" + struct.pack(">i", value)
        else:
            out += raw
        out += bytes((12, op - 1200)) if op >= 1200 else bytes((op,))
    return bytes(out)


def _charset_ranges(data: bytes, pos: int, n_glyphs: int) -> list[tuple[int, int, int]]:
    """``(first_gid, first_cid, count)`` runs of a CID-keyed charset (``.notdef`` excluded).

    HarfBuzz writes range formats (one run for Noto CJK), so CID lookups stay cheap
    without expanding ~60 000 entries.
    """
    fmt = data[pos]
    pos += 1
    runs: list[tuple[int, int, int]] = []
    gid = 1
    if fmt == 0:
        for cid in struct.unpack_from(f">{n_glyphs - 1}H", data, pos):
            last = runs[-1] if runs else None
            if last and last[1] + last[2] == cid:
                runs[-1] = (last[0], last[1], last[2] + 1)
            else:
                runs.append((gid, cid, 1))
            gid += 1
    elif fmt in (1, 2):
        count_size = 1 if fmt == 1 else 2
        while gid < n_glyphs:
            (first,) = struct.unpack_from(">H", data, pos)
            count = int.from_bytes(data[pos + 2 : pos + 2 + count_size], "big") + 1
            runs.append((gid, first, count))
            gid += count
            pos += 2 + count_size
    else:
        raise _CffError(f"unknown charset format {fmt}")
    return runs


def _gid_of_cid(runs: list[tuple[int, int, int]], cid: int) -> int | None:
    for first_gid, first_cid, count in runs:
        if first_cid <= cid < first_cid + count:
            return first_gid + cid - first_cid
    return None


def _fd_select(data: bytes, pos: int, n_glyphs: int) -> Callable[[int], int]:
    fmt = data[pos]
    if fmt == 0:
        table = data[pos + 1 : pos + 1 + n_glyphs]
        return lambda gid: table[gid]
    if fmt == 3:
        (n_ranges,) = struct.unpack_from(">H", data, pos + 1)
        ranges = [struct.unpack_from(">HB", data, pos + 3 + 3 * i) for i in range(n_ranges)]
        firsts = [first for first, _ in ranges]

        def lookup(gid: int) -> int:
            lo, hi = 0, len(firsts)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if firsts[mid] <= gid else (lo, mid)
            return ranges[lo][1]

        return lookup
    raise _CffError(f"unknown FDSelect format {fmt}")


def _sfnt_table(font: bytes | memoryview, tag: bytes, index: int = 0) -> memoryview | None:
    """Table ``tag`` of an OpenType/CFF font, or of face ``index`` of a collection.

    A view, not a copy: collections such as Noto CJK are 20–27 MB.
    """
    data = memoryview(font)
    directory = 0
    if data[:4] == b"ttcf":
        (count,) = struct.unpack_from(">I", data, 8)
        if not 0 <= index < count:
            return None
        (directory,) = struct.unpack_from(">I", data, 12 + 4 * index)
    if data[directory : directory + 4] != b"OTTO":
        return None
    (num_tables,) = struct.unpack_from(">H", data, directory + 4)
    for i in range(num_tables):
        record = struct.unpack_from(">4sIII", data, directory + 12 + 16 * i)
        if record[0] == tag:
            return data[record[2] : record[2] + record[3]]
    return None


def _cid_top_dict(cff: memoryview) -> tuple[dict[int, list[int | float]], _Dict] | None:
    """Operators and entries of a CID-keyed CFF's Top DICT, or ``None``."""
    if cff[0] != 1:
        return None
    _names, pos = _read_index(cff, cff[2])
    tops, _ = _read_index(cff, pos)
    if len(tops) != 1:
        return None
    top = _parse_dict(cff[tops[0][0] : tops[0][1]])
    ops = {op: operands for op, operands, _raw in top}
    # ROS, charset, CharStrings, FDArray, FDSelect
    return (ops, top) if {1230, 15, 17, 1236, 1237} <= ops.keys() else None


def _has_identity_charset(font: bytes | memoryview, index: int) -> bool:
    """True for a CID-keyed CFF font whose glyph ids equal its CIDs (as in Noto CJK)."""
    try:
        cff = _sfnt_table(font, b"CFF ", index)
        parsed = None if cff is None else _cid_top_dict(cff)
        if cff is None or parsed is None:
            return False
        ops = parsed[0]
        (n_glyphs,) = struct.unpack_from(">H", cff, int(ops[17][0]))
        return _charset_ranges(cff, int(ops[15][0]), n_glyphs) == [(1, 1, n_glyphs - 1)]
    except (_CffError, struct.error, IndexError, ValueError):
        return False


def _compact_cff(otf: bytes, keep_cids: set[int]) -> bytes | None:
    """A bare CID-keyed CFF of the glyphs whose CIDs are in ``keep_cids``.

    Glyphs keep their CIDs (the PDF addresses glyphs by CID through Identity-H), their
    Font DICT (hinting zones, width defaults) and their charstrings byte for byte.
    Returns ``None`` for anything but a CID-keyed CFF, leaving the font as it was.
    """
    try:
        cff = _sfnt_table(otf, b"CFF ")
        parsed = None if cff is None else _cid_top_dict(cff)
        if cff is None or parsed is None:
            return None
        ops, top = parsed
        pos = cff[2]  # header size
        names, pos = _read_index(cff, pos)
        _tops, pos = _read_index(cff, pos)
        strings_start = pos
        _strings, pos = _read_index(cff, pos)
        _gsubrs, pos = _read_index(cff, pos)
        globals_end = pos
        charstrings_at = int(ops[17][0])
        (n_glyphs,) = struct.unpack_from(">H", cff, charstrings_at)
        runs = _charset_ranges(cff, int(ops[15][0]), n_glyphs)
        fd_of = _fd_select(cff, int(ops[1237][0]), n_glyphs)
        glyphs = [(0, 0)]  # (gid, cid), .notdef first
        for cid in sorted(keep_cids - {0}):
            gid = _gid_of_cid(runs, cid)
            if gid is None or gid >= n_glyphs:
                return None
            glyphs.append((gid, cid))
        glyphs.sort()

        font_dicts, _ = _read_index(cff, int(ops[1236][0]))
        fds = [_parse_dict(cff[start:end]) for start, end in font_dicts]
        privates: list[tuple[bytes, bytes]] = []  # (Private DICT, local Subrs INDEX)
        for fd in fds:
            private = {op: operands for op, operands, _raw in fd}.get(18)
            if private is None:
                return None
            size, offset = int(private[0]), int(private[1])
            entries = _parse_dict(cff[offset : offset + size])
            subrs_at = {op: o for op, o, _raw in entries}.get(19)
            subrs = b""
            if subrs_at is not None:
                start = offset + int(subrs_at[0])
                _items, end = _read_index(cff, start)
                subrs = cff[start:end]
            privates.append((_encode_dict(entries, {19: [0]} if subrs else {}), subrs))

        charstrings = _build_index([_index_item(cff, charstrings_at, gid) for gid, _ in glyphs])
        charset = b"\0" + b"".join(struct.pack(">H", cid) for _, cid in glyphs[1:])
        fd_select = b"\0" + bytes(fd_of(gid) for gid, _ in glyphs)

        # Layout: header, Name, Top DICT, String, Global Subrs, charset, FDSelect,
        # CharStrings, FDArray, Private DICTs (+ local Subrs). Offsets are written as
        # fixed 5-byte integers, so sizes do not depend on the values.
        header = bytes((1, 0, 4, 4))
        name_index = _build_index([cff[s:e] for s, e in names])
        string_and_globals = cff[strings_start:globals_end]
        dummy_top = _encode_dict(top, {15: [0], 17: [0], 1236: [0], 1237: [0]})
        top_size = len(_build_index([dummy_top]))
        at_charset = len(header) + len(name_index) + top_size + len(string_and_globals)
        at_fd_select = at_charset + len(charset)
        at_charstrings = at_fd_select + len(fd_select)
        at_fd_array = at_charstrings + len(charstrings)
        fd_array_size = len(_build_index([_encode_dict(fd, {18: [0, 0]}) for fd in fds]))
        at = at_fd_array + fd_array_size
        new_fds, private_blobs = [], []
        for fd, (private, subrs) in zip(fds, privates, strict=True):
            if subrs:  # Subrs offset is relative to its Private DICT: right after it
                private = _encode_dict(_parse_dict(private), {19: [len(private)]})
            new_fds.append(_encode_dict(fd, {18: [len(private), at]}))
            private_blobs.append(private + subrs)
            at += len(private) + len(subrs)
        new_top = _encode_dict(
            top, {15: [at_charset], 17: [at_charstrings], 1236: [at_fd_array], 1237: [at_fd_select]}
        )
        return b"".join(
            (
                header,
                name_index,
                _build_index([new_top]),
                string_and_globals,
                charset,
                fd_select,
                charstrings,
                _build_index(new_fds),
                *private_blobs,
            )
        )
    except (_CffError, struct.error, IndexError, ValueError):
        return None
