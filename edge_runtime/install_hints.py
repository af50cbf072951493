"""What to install when part of the runtime is missing — for *this* platform and Python.

The packages that work differ by machine: ai-edge-litert has wheels for x86_64 and
aarch64 only; on 32-bit ARM (Raspberry Pi OS 32-bit) the interpreter is tflite-runtime
2.14 (Python ≤ 3.11, numpy < 2) and OpenCV/Pillow come from apt; on aarch64 with
Python < 3.13 (Raspberry Pi OS bookworm) apt's numpy is 1.x and must stay in charge.
The hints here mirror the ``edge`` extra's environment markers in ``pyproject.toml``
and the README's "Raspberry Pi" section.

Pure functions over a small :class:`Platform` snapshot, so tests can ask about a Pi
from a laptop; :func:`this_platform` reads the running one.
"""

from __future__ import annotations

import os
import platform
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass

_ARM32 = ("armv6l", "armv7l", "armv8l")
_AI_EDGE_LITERT_PYTHONS = ((3, 10), (3, 14))  # inclusive range with wheels


@dataclass(frozen=True)
class Platform:
    """The facts a hint depends on."""

    machine: str
    """``platform.machine()``: x86_64, aarch64, armv7l, AMD64, arm64 …"""
    pointer_bits: int
    """32 or 64: a 32-bit Python on a Pi's 64-bit kernel reports ``aarch64`` as machine."""
    python: tuple[int, int]
    """(major, minor) of the running interpreter."""
    apt: bool = False
    """Debian-like OS (Raspberry Pi OS, Debian, Ubuntu) whose apt has python3-* packages."""
    venv: bool = False
    """Running inside a virtual environment."""
    system_site_packages: bool = False
    """That venv sees the OS's packages (``python3 -m venv --system-site-packages``)."""
    numpy: str = ""
    """The installed numpy's version ('' when unknown)."""

    @property
    def arm32(self) -> bool:
        """32-bit ARM userland (Raspberry Pi OS 32-bit), whatever the kernel reports."""
        return self.machine in _ARM32 or (self.machine == "aarch64" and self.pointer_bits == 32)

    @property
    def numpy_major(self) -> int:
        head = self.numpy.split(".")[0]
        return int(head) if head.isdigit() else 0

    def describe(self) -> str:
        """e.g. ``32-bit ARM (armv7l), Python 3.11``."""
        kind = f"32-bit ARM ({self.machine})" if self.arm32 else self.machine
        return f"{kind}, Python {self.python[0]}.{self.python[1]}"


def this_platform() -> Platform:
    """A snapshot of the running machine and Python."""
    try:
        import numpy

        numpy_version = str(numpy.__version__)
    except ImportError:
        numpy_version = ""
    in_venv = sys.prefix != sys.base_prefix
    config = os.path.join(sys.prefix, "pyvenv.cfg")
    system_site = False
    if in_venv and os.path.exists(config):
        with open(config, encoding="utf-8", errors="replace") as f:
            system_site = any(
                line.replace(" ", "").lower() == "include-system-site-packages=true"
                for line in f.read().splitlines()
            )
    return Platform(
        machine=platform.machine(),
        pointer_bits=struct.calcsize("P") * 8,
        python=(sys.version_info.major, sys.version_info.minor),
        apt=os.path.exists("/etc/debian_version"),
        venv=in_venv,
        system_site_packages=system_site,
        numpy=numpy_version,
    )


def _keeps_system_numpy(p: Platform) -> bool:
    """aarch64 with Python < 3.13: Raspberry Pi OS bookworm / Ubuntu 24.04, apt numpy 1.x."""
    return p.machine == "aarch64" and not p.arm32 and p.python < (3, 13)


def _apt_venv_note(p: Platform) -> str:
    if p.venv and not p.system_site_packages:
        return " and recreate this venv with: python3 -m venv --system-site-packages .venv"
    return ""


def backend_hint(p: Platform) -> str:
    """The command that installs a TFLite interpreter here, or why none exists."""
    version = f"{p.python[0]}.{p.python[1]}"
    if p.arm32:
        if p.machine == "armv6l":
            return (
                "no TFLite interpreter package has an armv6 (Pi Zero/1) wheel; "
                "use a Pi with an ARMv7/ARMv8 CPU"
            )
        if p.python > (3, 11):
            return (
                f"tflite-runtime's last 32-bit ARM wheel (2.14) is for Python ≤ 3.11 and "
                f"ai-edge-litert has none, so Python {version} has no interpreter here: use the "
                "64-bit Raspberry Pi OS, or a Python 3.11 one (bookworm)"
            )
        if p.numpy_major >= 2:
            return f"pip install 'tflite-runtime==2.14.*' 'numpy<2' (numpy {p.numpy} is too new)"
        return "pip install 'tflite-runtime==2.14.*' 'numpy<2'"
    lowest, highest = _AI_EDGE_LITERT_PYTHONS
    if not lowest <= p.python <= highest:
        return f"pip install tensorflow (ai-edge-litert has no wheel for Python {version})"
    if _keeps_system_numpy(p):
        return "pip install ai-edge-litert 'numpy<2'"
    return "pip install ai-edge-litert"


def opencv_hint(p: Platform) -> str:
    """The command that installs OpenCV's Python bindings (``cv2``) here."""
    if p.arm32:
        if p.apt:
            return "sudo apt install python3-opencv" + _apt_venv_note(p)
        return "install your OS's OpenCV Python package (PyPI has no 32-bit ARM wheel)"
    if _keeps_system_numpy(p):
        return "pip install 'opencv-python-headless<4.12' (4.12+ would replace numpy 1.x)"
    return "pip install opencv-python-headless"


def pillow_hint(p: Platform) -> str:
    """The command that installs Pillow (image file decoding) here."""
    if p.arm32 and p.apt:
        return "sudo apt install python3-pil" + _apt_venv_note(p)
    return "pip install pillow"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _not_installed(error: BaseException, top_module: str) -> bool:
    """The import failed because the package is absent (not because it is broken)."""
    name = getattr(error, "name", None) or ""
    if isinstance(error, ModuleNotFoundError) and name.split(".")[0] == top_module:
        return True
    return str(error).startswith(
        (f"No module named '{top_module}'", f"No module named '{top_module}.")
    )


def missing_backend_message(
    failures: Sequence[tuple[str, BaseException]], p: Platform | None = None
) -> str:
    """One line for 'no TFLite interpreter importable': what to install, for this platform.

    ``failures`` are ``(backend name, import error)`` pairs; a backend that is installed
    but fails to import (e.g. tflite-runtime under numpy 2) is named with its error.
    """
    p = p or this_platform()
    broken = [
        f"{name} is installed but does not import ({_first_line(error)})"
        for name, error in failures
        if not _not_installed(error, name)
    ]
    message = f"no TFLite interpreter is installed for {p.describe()}: {backend_hint(p)}"
    return message + ("; " + "; ".join(broken) if broken else "")


def missing_module_message(
    what: str, module: str, error: BaseException, p: Platform | None = None
) -> str:
    """One line for a missing (or broken) optional module such as ``cv2`` or ``PIL``."""
    p = p or this_platform()
    hint = {"cv2": opencv_hint, "PIL": pillow_hint}[module](p)
    if _not_installed(error, module):
        return f"{what} is not installed for {p.describe()}: {hint}"
    return f"{what} is installed but does not import ({_first_line(error)}): {hint}"
