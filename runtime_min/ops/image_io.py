"""Image reading as PaddleX 3.7.2's OCR pipeline does it (`ReadImage(format="BGR")`).

PaddleX reads a file with `cv2.imdecode(np.frombuffer(bytes), cv2.IMREAD_COLOR)`. That one flag
decides every conversion, so using the same call gives the same pixels:

* EXIF orientation is applied (IMREAD_COLOR without IMREAD_IGNORE_ORIENTATION rotates/flips);
* grayscale and palette images become 3-channel BGR (gray value repeated);
* RGBA/BGRA images lose their alpha channel (no compositing onto white or black);
* 16-bit images are scaled to 8 bits (OpenCV shifts right by 8).

Not ported: PaddleX's batch sampler sends `.tif/.tiff` files to a Pillow multi-page reader and
PDFs to pdfium; here every file goes through `cv2.imdecode` (a TIFF gives its first page).

Array input: PaddleX passes a BGR array through untouched, so HxW or HxWx4 arrays reach the
detector as they are (and then fail in its resize or the recognizer's channel assert). Here an
HxW/HxWx1 array becomes BGR like a grayscale file would, and HxWx4 drops alpha, which is what the
PaddleX detector's own `NormalizeImage` does with a 4-channel image.

Deliberate difference: a truncated JPEG (image data not followed by the end-of-image marker) is
refused. OpenCV decodes it "successfully" with the missing rows left uninitialised, so PaddleX's
pixels, and hence its OCR result, for such a file change from run to run.

Size cap: before decoding, the width and height are read from the PNG, JPEG, BMP or WebP header,
and a file over `max_pixels` is refused without being decoded. Other formats are decoded first and
then checked (OpenCV itself refuses more than 2**30 pixels).
"""

from __future__ import annotations

import os
import struct

import cv2
import numpy as np

__all__ = ["read_image", "ImageReadError", "DEFAULT_MAX_PIXELS"]

# 100 megapixels: a 10000x10000 scan is still accepted (the check is `pixels > max_pixels`).
DEFAULT_MAX_PIXELS = 100_000_000

# JPEG start-of-frame markers (SOF0..SOF15 minus DHT, JPG and DAC, which share the range).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the file header, or None when the format is not parsed here."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w), abs(h)  # negative height means top-down rows
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8X" and len(data) >= 30:
            w, h = int.from_bytes(data[24:27], "little"), int.from_bytes(data[27:30], "little")
            return w + 1, h + 1
        if chunk == b"VP8 " and len(data) >= 30:
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if data[:2] == b"\xff\xd8":
        return _jpeg_frame(data)[0]
    return None


def _jpeg_frame(data: bytes) -> tuple[tuple[int, int] | None, bool]:
    """Walk a JPEG's marker segments: ((width, height) or None, whether it is truncated).

    Truncated means the first scan is not followed by an end-of-image marker. (0xFFD9 cannot
    occur inside entropy-coded data, and an EXIF thumbnail's own EOI sits in a skipped segment.)
    """
    size, pos = None, 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker == 0xD9:
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (w, h)
        if marker == 0xDA:  # start of scan
            return size, b"\xff\xd9" not in data[pos:]
        pos += 2 + length
    return size, False


class ImageReadError(ValueError):
    """A file that is not a usable image. `str()` is "PATH: REASON"; `reason` alone is for callers
    that name the path themselves (hpi-run's "skipped PATH: REASON")."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def _check_pixels(w: int, h: int, max_pixels: int, path: str) -> None:
    if max_pixels is not None and w * h > max_pixels:
        raise ImageReadError(path, f"image is {w}x{h} = {w * h} pixels, over the limit of {max_pixels} pixels")


def _from_array(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        raise ValueError(f"image array must be uint8, got {img.dtype}")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 3:
        return img
    if img.ndim == 3 and img.shape[2] == 4:
        # Same as PaddleX NormalizeImage's COLOR_RGBA2RGB: the fourth channel is dropped.
        return np.ascontiguousarray(img[:, :, :3])
    raise ValueError(f"image array must be HxW, HxWx1, HxWx3 or HxWx4, got shape {img.shape}")


def read_image(src: str | os.PathLike | np.ndarray,
               max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Return the image as a BGR uint8 HxWx3 array, as PaddleX's OCR pipeline reads it.

    `src` is a file path or an array (see the module docstring for arrays). Raises ValueError
    with a one-line message for a file that is not a decodable image or is over `max_pixels`
    (None disables the cap), and OSError (e.g. FileNotFoundError) when the file can't be opened.
    """
    if isinstance(src, np.ndarray):
        return _from_array(src)
    path = os.fspath(src)
    with open(path, "rb") as f:
        data = f.read()
    return decode_image(data, path, max_pixels)


def decode_image(data: bytes, path: str = "<bytes>", max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An encoded image's bytes as read_image reads a file (`path` names it in errors)."""
    if not data:
        raise ImageReadError(path, "not an image (empty file)")
    size = _header_size(data)
    if size is not None:
        _check_pixels(size[0], size[1], max_pixels, path)
    if data[:2] == b"\xff\xd8" and _jpeg_frame(data)[1]:
        # OpenCV decodes a cut-off baseline JPEG without error but leaves the missing rows
        # uninitialised, so PaddleX's result for it varies from run to run; refuse it instead.
        raise ImageReadError(path, "truncated JPEG (no end-of-image marker after the image data)")
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as e:
        reason = str(e).strip().splitlines()[-1]
        raise ImageReadError(path, f"cannot decode image ({reason})") from None
    if img is None:
        raise ImageReadError(path, "not an image (or a format or corruption OpenCV cannot decode)")
    _check_pixels(img.shape[1], img.shape[0], max_pixels, path)
    return img
