"""Photo uploads: real JPEG/PNG only, size and pixel limits, metadata stripped."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from webapp import create_app
from webapp.errors import DomainError
from webapp.services.plots import photos

LIMIT = 5_000_000


@pytest.fixture(scope="module", autouse=True)
def _context(tmp_path_factory):
    app = create_app("testing", INSTANCE_PATH=str(tmp_path_factory.mktemp("inst")))
    with app.test_request_context():
        yield


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (30, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    gps = {1: "N", 2: (36.0, 1.0, 40.0), 3: "E", 4: (117.0, 17.0, 45.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the fixture has GPS
    return data


def png_bytes(mode="RGBA", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG claiming huge dimensions: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_jpeg_is_reencoded_without_exif_or_gps():
    prepared = photos.prepare(jpeg_with_gps(), max_bytes=LIMIT)
    image = Image.open(io.BytesIO(prepared.data))
    assert image.format == "JPEG"
    assert (image.width, image.height) == (prepared.width, prepared.height) == (64, 48)
    assert not image.getexif()
    assert "exif" not in image.info and b"Exif" not in prepared.data
    assert len(prepared.sha256) == 64


def test_png_with_transparency_becomes_jpeg():
    prepared = photos.prepare(png_bytes(), max_bytes=LIMIT)
    assert Image.open(io.BytesIO(prepared.data)).format == "JPEG"


def test_large_photos_are_scaled_down():
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (1, 2, 3)).save(out, "JPEG")
    prepared = photos.prepare(out.getvalue(), max_bytes=LIMIT)
    assert max(prepared.width, prepared.height) == photos.MAX_SIDE


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\necho pwned\n",  # a script renamed .jpg
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a" + b"\0" * 40,
        b"",
    ],
    ids=["script", "svg", "gif", "empty"],
)
def test_non_images_are_refused(data):
    with pytest.raises(DomainError) as exc:
        photos.prepare(data, max_bytes=LIMIT)
    assert "JPEG" in str(exc.value.message)


def test_gif_image_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(DomainError):
        photos.prepare(out.getvalue(), max_bytes=LIMIT)


def test_truncated_jpeg_never_passes_through_as_is():
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES process-wide, so a cut JPEG may
    decode (grey where data is missing); either way only a clean re-encoding is stored."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(out, "JPEG", exif=Image.Exif())
    data = out.getvalue()[: len(out.getvalue()) // 2]
    try:
        prepared = photos.prepare(data, max_bytes=LIMIT)
    except DomainError:
        return
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    assert image.format == "JPEG" and (image.width, image.height) == (400, 300)
    assert prepared.data != data and not image.getexif()


@pytest.mark.parametrize("side", [8000, 30000])
def test_decompression_bombs_are_refused(side):
    bomb = png_header_only(side, side)
    assert len(bomb) < 200
    with pytest.raises(DomainError) as exc:
        photos.prepare(bomb, max_bytes=LIMIT)
    assert "pixels" in str(exc.value.message) or "像素" in str(exc.value.message)


def test_oversize_upload_is_refused_before_decoding():
    with pytest.raises(DomainError):
        photos.prepare(b"\xff" * 101, max_bytes=100)
    with pytest.raises(DomainError):
        photos.read_limited(io.BytesIO(b"x" * 101), 100)
    assert photos.read_limited(io.BytesIO(b"x" * 100), 100) == b"x" * 100


def test_save_is_atomic_and_discard_removes(tmp_path):
    prepared = photos.prepare(png_bytes(), max_bytes=LIMIT)
    created = photos.save(tmp_path, [prepared])
    assert created == [tmp_path / prepared.relative_path]
    assert created[0].read_bytes() == prepared.data
    assert photos.save(tmp_path, [prepared]) == []  # same content: nothing new
    assert photos.path_for(tmp_path, prepared.relative_path) == created[0].resolve()
    assert photos.path_for(tmp_path, "../../etc/passwd") is None
    photos.discard(created)
    assert not created[0].exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    # 7000 × 5600 = 39.2 megapixels, just under the cap: decoded at 1/2 (3500 × 2800) at
    # most, never in full, so one request is bounded.
    out = io.BytesIO()
    Image.new("L", (7000, 5600), 128).save(out, "JPEG", quality=50)
    with Image.open(io.BytesIO(out.getvalue())) as image:
        decoded = photos.decode_reduced(image)
        assert decoded.size[0] * decoded.size[1] <= 7000 * 5600 // 4
        assert min(decoded.size) >= photos.MAX_SIDE
    prepared = photos.prepare(out.getvalue(), max_bytes=LIMIT)
    assert max(prepared.width, prepared.height) == photos.MAX_SIDE


def test_png_has_a_lower_pixel_cap():
    bomb = png_header_only(4000, 3500)  # 14 MP: fine as a JPEG, refused as a PNG
    with pytest.raises(DomainError) as exc:
        photos.prepare(bomb, max_bytes=LIMIT)
    assert "pixels" in str(exc.value.message) or "像素" in str(exc.value.message)
