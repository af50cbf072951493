"""Load any supported image input into the runtime's pixel contract.

Contract of the returned array: ``uint8``, gray ``(H, W)``, BGR ``(H, W, 3)`` or
BGRA ``(H, W, 4)`` — OpenCV's colour order. Files and bytes are decoded with
Pillow, which refuses truncated files instead of returning half a picture,
and honours the EXIF orientation phones write.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ImageError, MissingDependencyError
from edge_runtime.install_hints import missing_module_message

ImageInput = Any
"""A path (str or Path), encoded bytes, a numpy array (gray/BGR/BGRA) or a PIL image."""


def _is_pil_image(value: object) -> bool:
    return hasattr(value, "getbands") and hasattr(value, "mode") and hasattr(value, "convert")


def from_pil(image: Any) -> np.ndarray:
    """A PIL image → gray, BGR or BGRA ``uint8`` array (RGB is converted once, here)."""
    mode = image.mode
    if mode in ("1", "L", "I", "I;16", "F"):
        array = np.asarray(image.convert("L"))
        return np.ascontiguousarray(array)
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = np.asarray(image.convert("RGBA"))
        return np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]])
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def decode_bytes(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode an encoded image (PNG, JPEG, BMP, GIF, TIFF, WebP …) into the pixel contract."""
    if not data:
        raise ImageError(f"{source} is empty (0 bytes)")
    try:
        from PIL import Image, ImageOps
    except ImportError as e:
        message = missing_module_message("Pillow, which decodes image files,", "PIL", e)
        raise MissingDependencyError(message) from e
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()  # raises on truncated data instead of padding with gray
            image = ImageOps.exif_transpose(opened) or opened
            return from_pil(image)
    except Image.DecompressionBombError as e:
        raise ImageError(f"{source} is too large to decode safely: {e}") from e
    except (OSError, SyntaxError, ValueError) as e:
        reason = str(e) or type(e).__name__
        if "cannot identify" in reason:
            raise ImageError(f"{source} is not an image Pillow can read") from e
        raise ImageError(f"{source} is corrupt or truncated: {reason}") from e


def load_image(source: ImageInput) -> np.ndarray:
    """Any supported input → ``uint8`` gray/BGR/BGRA array (see the module docstring)."""
    if isinstance(source, np.ndarray):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_bytes(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageError(f"{path} does not exist")
        if path.is_dir():
            raise ImageError(f"{path} is a directory, expected an image file")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ImageError(f"cannot read {path}: {e.strerror or e}") from e
        return decode_bytes(data, str(path))
    if _is_pil_image(source):
        return from_pil(source)
    raise ImageError(
        "expected a path, bytes, a numpy array or a PIL image, got " + type(source).__name__
    )
