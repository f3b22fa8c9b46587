"""Rangers' photos: only real JPEG or PNG images, re-encoded, metadata stripped.

:func:`prepare` runs before anything is written. It reads at most ``max_bytes`` (config
``PLOT_PHOTO_MAX_BYTES``), lets Pillow identify the format from the content — never the
file name — and accepts only JPEG and PNG. Dimensions are checked from the header before
any pixel is decoded (``MAX_PIXELS``, below Pillow's own ``Image.MAX_IMAGE_PIXELS`` bomb
guard, which also refuses), so a small file that would decompress to gigabytes is
refused cheaply. The image is then decoded, turned upright by its EXIF orientation,
copied into a fresh RGB image (no EXIF, GPS, XMP, ICC or comments survive), scaled to at
most ``MAX_SIDE`` pixels and encoded as JPEG.

Files are named by their SHA-256 in the photo store (``PLOT_PHOTO_DIR``, or the
``photos/`` prefix of the S3 bucket, see ``webapp/services/storage.py``) and written
atomically by :func:`save`, after every check passed.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from webapp.errors import DomainError
from webapp.services.storage import LocalStore, Store

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone photo, far from a bomb
# PNG has no reduced decoding: every pixel is inflated, so its cap is lower (a phone's
# screenshots and exports are far below it).
MAX_PNG_PIXELS = 12_000_000
MAX_SIDE = 2048  # stored photos are at most this wide or high
MAX_PHOTOS = 3
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes  # the re-encoded JPEG
    sha256: str
    width: int
    height: int

    @property
    def relative_path(self) -> str:
        return f"{self.sha256[:2]}/{self.sha256}.jpg"


def _refuse() -> DomainError:
    return DomainError(_l("Photos must be JPEG or PNG images."))


def read_limited(stream, max_bytes: int) -> bytes:
    """At most ``max_bytes`` from ``stream``; refuses a larger upload without reading it all."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _l(
                "Each photo may be at most %(mb)s MB.",
                mb=f"{max_bytes / 1_048_576:.3g}",
            )
        )
    return data


def prepare(data: bytes, *, max_bytes: int) -> PreparedPhoto:
    """Validate and re-encode one upload; raises DomainError with a message for the form."""
    if len(data) > max_bytes:
        raise DomainError(
            _l("Each photo may be at most %(mb)s MB.", mb=f"{max_bytes / 1_048_576:.3g}")
        )
    if not data:
        raise _refuse()
    try:
        # Pillow's own guard raises above 2 × MAX_IMAGE_PIXELS (and warns above it, an
        # error where warnings are errors); MAX_PIXELS below refuses long before either.
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise _refuse()
            width, height = image.size
            cap = MAX_PNG_PIXELS if image.format == "PNG" else MAX_PIXELS
            if width <= 0 or height <= 0 or width * height > cap:
                raise DomainError(_l("This image is too large in pixels to be a photo."))
            decoded = decode_reduced(image)
            upright = ImageOps.exif_transpose(decoded)
            clean = _flatten(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_l("This image is too large in pixels to be a photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse() from None
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded = out.getvalue()
    return PreparedPhoto(
        data=encoded,
        sha256=hashlib.sha256(encoded).hexdigest(),
        width=clean.width,
        height=clean.height,
    )


def decode_reduced(image: Image.Image) -> Image.Image:
    """Decode the pixels, a JPEG at the smallest DCT scale (1/2, 1/4, 1/8) still at least
    ``MAX_SIDE`` on each side: a 40-megapixel photo then costs a fraction of a full
    decode (~1.9 s of CPU before), and the stored photo is ``MAX_SIDE`` at most anyway."""
    if image.format == "JPEG":
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    image.load()
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """A fresh RGB image of the pixels only; transparency is laid on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    rgb = image.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def path_for(photo_dir: str | Path, relative: str) -> Path | None:
    """The stored file for a relative path from the database, if it lies inside the dir."""
    root = Path(photo_dir).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def save(target: str | Path | Store, photos: list[PreparedPhoto]) -> list[Path | str]:
    """Write photos to the store (a folder path means the local store), atomically;
    returns what this call created — local paths, or keys in object storage — for
    :func:`discard`."""
    store = LocalStore(target) if isinstance(target, (str, Path)) else target
    created: list[Path | str] = []
    for photo in photos:
        key = photo.relative_path
        if store.exists(key):
            continue  # same content already stored
        store.put(key, photo.data)
        created.append(store.local_path(key) or key)
    return created


def discard(created: list[Path | str], store: Store | None = None) -> None:
    """Remove files written for a transaction that did not commit."""
    for item in created:
        if isinstance(item, Path):
            item.unlink(missing_ok=True)
        elif store is not None:
            store.delete(item)
