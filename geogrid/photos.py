"""Photos sent with an incident report: recognised by their content, cleaned of metadata.

What a caller sends is never trusted: neither the file name nor the declared
content type decides what a file is. :func:`clean_photo` opens the bytes with
Pillow, accepts JPEG, PNG and WebP only, refuses files over ``max_bytes`` and
images over ``max_pixels`` (a decompression bomb is a small file with a huge
raster), and re-encodes the pixels into a fresh file. The re-encoding keeps
no metadata at all: EXIF (with its GPS position, camera serial and time), XMP
and text chunks are dropped, after the EXIF orientation has been applied to
the pixels so the photo still shows upright. A reporter's home position in a
photo's EXIF is personal data the incident does not need: its location is the
incident's own point.

>>> from io import BytesIO
>>> from PIL import Image
>>> buf = BytesIO(); Image.new("RGB", (4, 3), "red").save(buf, "PNG")
>>> p = clean_photo(buf.getvalue())
>>> (p.content_type, p.width, p.height)
('image/png', 4, 3)
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from ._errors import InputError, LimitExceeded

__all__ = ["CleanPhoto", "clean_photo", "PHOTO_TYPES", "MAX_PHOTO_BYTES", "MAX_PHOTO_PIXELS"]

#: Pillow format → the content type served back
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000

_FIX = ("请上传 JPEG、PNG 或 WebP 照片(不超过 {mb} MB)。"
        "Upload a JPEG, PNG or WebP photo of at most {mb} MB.")


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as stored: re-encoded bytes without metadata, and what they are."""

    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str


def _open(data: bytes, field: str, max_pixels: int, fix: str):
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            if fmt not in PHOTO_TYPES:
                raise InputError(
                    f"{field} 是 {fmt} 图像, 不在允许的类型之中。{field} is a {fmt} image, "
                    "not one of the accepted types.", field=field, value=fmt, fix=fix)
            if img.width * img.height > max_pixels:
                raise LimitExceeded(
                    f"{field} 有 {img.width}×{img.height} 像素, 超过上限 {max_pixels}。"
                    f"{field} has {img.width}×{img.height} pixels, over the limit of "
                    f"{max_pixels}.", field=field, value=f"{img.width}x{img.height}",
                    fix="缩小照片后再上传。Scale the photo down and upload it again.")
            img.load()  # decodes every pixel: a truncated or damaged file fails here
            return img, fmt
        except InputError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InputError(f"{field} 不是可读的图像文件 ({type(exc).__name__})。{field} is not "
                             "a readable image file.", field=field, value=type(exc).__name__,
                             fix=fix) from None


def clean_photo(data: bytes, *, field: str = "photo", max_bytes: int = MAX_PHOTO_BYTES,
                max_pixels: int = MAX_PHOTO_PIXELS) -> CleanPhoto:
    """The photo in ``data`` re-encoded without metadata, or an :class:`InputError` naming
    ``field``, what was found and what to send instead.

    The type comes from the content (Pillow's decoders), never from a header or a name."""
    from PIL import ImageOps

    fix = _FIX.format(mb=max_bytes // (1024 * 1024))
    if not data:
        raise InputError(f"{field} 是空文件。{field} is an empty file.", field=field, value=0,
                         fix=fix)
    if len(data) > max_bytes:
        raise LimitExceeded(f"{field} 有 {len(data)} 字节, 超过上限 {max_bytes}。{field} has "
                            f"{len(data)} bytes, over the limit of {max_bytes}.", field=field,
                            value=len(data), fix=fix)
    img, fmt = _open(data, field, max_pixels, fix)
    img = ImageOps.exif_transpose(img)  # upright pixels, before the EXIF goes
    img.info.clear()  # EXIF, XMP, ICC and text chunks that a saver might copy over
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    out = io.BytesIO()
    # a fresh file from the pixels: no exif=, pnginfo= or xmp= is passed, so none is written
    if fmt == "JPEG":
        img.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        img.save(out, "PNG", optimize=True)
    else:
        img.save(out, "WEBP", quality=90)
    blob = out.getvalue()
    return CleanPhoto(blob, PHOTO_TYPES[fmt], img.width, img.height,
                      hashlib.sha256(blob).hexdigest())
