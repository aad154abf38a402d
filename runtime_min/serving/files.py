"""The `file` field of PaddleX's serving requests: Base64 or an http(s) URL, `fileType` 1 (image) or 0 (PDF).

As PaddleX's basic serving (serving/infra/utils.py, _pipeline_apps/_common/ocr.py): without `fileType` a URL's
name decides (mimetypes), a Base64 string cannot be typed (422). PDF input needs page rendering, which hpi does
not carry: refused with 422 and the fix. Limits a public endpoint needs and PaddleX leaves out: the decoded
bytes, a URL's download size and time, and the image's pixels (runtime_min.ops.image_io's checks).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from urllib.parse import urlparse

import numpy as np


class RequestError(ValueError):
    """A request PaddleX would answer with `status` (422, 413, ...), `message` as its errorMsg."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def is_url(text: str) -> bool:
    if not text.startswith(("http://", "https://")):
        return False
    parts = urlparse(text)
    return bool(parts.scheme and parts.netloc)


def file_type(file: str, given: int | None) -> str:
    """"IMAGE" or "PDF", as PaddleX's get_file_type decides."""
    if given is not None:
        return "PDF" if given == 0 else "IMAGE"
    if not is_url(file):
        raise RequestError(422, "File type cannot be determined")
    mime = mimetypes.guess_type(urlparse(file).path.split("/")[-1])[0]
    if mime == "application/pdf":
        return "PDF"
    if mime is None or not mime.startswith("image/"):
        raise RequestError(422, "Unsupported file type")
    return "IMAGE"


async def raw_bytes(file: str, max_bytes: int, timeout: float) -> bytes:
    """The file's bytes: a URL fetched (at most `max_bytes`, within `timeout` seconds), else Base64 decoded."""
    if is_url(file):
        import httpx

        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
                async with client.stream("GET", file) as response:
                    response.raise_for_status()
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise RequestError(413, f"the file at the URL is over {max_bytes} bytes")
                        chunks.append(chunk)
                    return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise RequestError(422, f"cannot fetch the file: {exc}") from None
    if len(file) > max_bytes * 4 // 3 + 4:
        raise RequestError(413, f"the file is over {max_bytes} bytes")
    try:
        return base64.b64decode(file, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(422, "file is neither an http(s) URL nor valid Base64") from None


def decode_image(data: bytes) -> np.ndarray:
    """A BGR image, with the runtime's checks on size and format (422 with the reason)."""
    from hpi.runtime_min.ops.image_io import ImageReadError, decode_image as decode

    try:
        return decode(data, "file")
    except (ImageReadError, ValueError) as exc:
        raise RequestError(422, f"Invalid image: {getattr(exc, 'reason', exc)}") from None
