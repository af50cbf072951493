"""Request bodies → images, with the server's limits applied before anything is decoded.

Pure functions over bytes: no sockets here. Every problem is a
:class:`RequestError` carrying the HTTP status the server answers with and a
message naming the problem.
"""

from __future__ import annotations

import io
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser

import numpy as np

from edge_runtime.errors import DigitsError, ImageError

IMAGE_FIELD = "image"
"""The multipart form field holding the image (``curl -F image=@photo.jpg``)."""


class RequestError(DigitsError):
    """A request the server refuses; ``status`` is the 4xx code it answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def image_bytes(body: bytes, content_type: str | None) -> bytes:
    """The encoded image in a request: the multipart field ``image``, or else the raw body.

    Any content type other than ``multipart/form-data`` is taken as the raw
    image (``curl --data-binary @x.png`` sends a form content type).
    """
    if not body:
        raise RequestError(400, "the request body is empty: send an image (raw or as 'image')")
    if content_type and content_type.lower().lstrip().startswith("multipart/form-data"):
        data = multipart_field(body, content_type, IMAGE_FIELD)
        if not data:
            raise RequestError(400, f"the multipart field '{IMAGE_FIELD}' is empty")
        return data
    return body


def multipart_field(body: bytes, content_type: str, name: str) -> bytes:
    """The bytes of form field ``name`` in a ``multipart/form-data`` body (RFC 7578).

    Parts are found with ``bytes.find`` (a 10 MB upload splits in milliseconds;
    the stdlib's line-by-line MIME parser takes seconds); each part's few header
    lines go through :mod:`email`'s header parser.
    """
    boundary = _content_type_param(content_type, "boundary")
    if not boundary:
        raise RequestError(400, "multipart/form-data without a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    names = []
    while position >= 0:
        start = position + len(delimiter)
        if body[start : start + 2] == b"--":  # the closing delimiter
            break
        headers_start = body.find(b"\r\n", start)
        if headers_start < 0:
            break
        end = body.find(b"\r\n" + delimiter, headers_start)
        if end < 0:
            raise RequestError(400, "malformed multipart/form-data body: a part never ends")
        part = body[headers_start + 2 : end]
        split = 0 if part.startswith(b"\r\n") else part.find(b"\r\n\r\n")
        if split < 0:
            raise RequestError(400, "malformed multipart/form-data body: a part has no headers")
        headers = BytesHeaderParser(policy=policy.HTTP).parsebytes(part[:split] + b"\r\n\r\n")
        field = headers.get_param("name", header="content-disposition")
        names.append(str(field))
        if field == name:
            return part[split + (2 if split == 0 else 4) :]
        position = end + 2
    if not names:
        raise RequestError(400, "malformed multipart/form-data body: no parts found")
    found = ", ".join(repr(n) for n in names)
    raise RequestError(400, f"multipart body has no '{name}' field (fields: {found})")


def _content_type_param(content_type: str, param: str) -> str | None:
    message = Message()
    message["content-type"] = content_type
    value = message.get_param(param)
    return value if isinstance(value, str) else None


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the image header alone (nothing is decoded)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Image.DecompressionBombError as e:
        raise RequestError(400, f"the image is too large to decode safely: {e}") from e
    except (OSError, SyntaxError, ValueError) as e:
        reason = str(e) or type(e).__name__
        if "cannot identify" in reason:
            message = "the body is not an image (PNG, JPEG, GIF, TIFF, WebP …)"
            raise RequestError(400, message) from e
        raise RequestError(400, f"the image is corrupt or truncated: {reason}") from e


def decode_limited(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode ``data`` into the runtime's pixel contract after checking its size from the header.

    An image of more than ``max_pixels`` is refused *before* decoding, so a
    small file declaring a huge picture (a decompression bomb) costs nothing.
    """
    from edge_runtime.image_io import decode_bytes

    width, height = image_size(data)
    if width * height > max_pixels:
        raise RequestError(
            400,
            f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels, "
            f"over the limit of {max_pixels / 1e6:g} megapixels",
        )
    try:
        return decode_bytes(data, "the image")
    except ImageError as e:
        raise RequestError(400, str(e)) from e
