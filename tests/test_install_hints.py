"""A missing interpreter, OpenCV or Pillow gives one line naming what to install *here*."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from edge_runtime.errors import RuntimeBackendError
from edge_runtime.install_hints import (
    Platform,
    backend_hint,
    missing_backend_message,
    missing_module_message,
    opencv_hint,
    pillow_hint,
    this_platform,
)
from edge_runtime.interpreter import BACKENDS, load_interpreter_class

LAPTOP = Platform("x86_64", 64, (3, 11), apt=True, venv=True, numpy="2.3.1")
PI64_BOOKWORM = Platform("aarch64", 64, (3, 11), apt=True, venv=True, numpy="1.24.2")
PI64_TRIXIE = Platform("aarch64", 64, (3, 13), apt=True, venv=True, numpy="2.2.4")
PI32_BOOKWORM = Platform(
    "armv7l", 32, (3, 11), apt=True, venv=True, system_site_packages=True, numpy="1.24.2"
)
PI32_TRIXIE = Platform("armv7l", 32, (3, 13), apt=True, venv=True, numpy="2.2.4")


def test_backend_hint_per_platform() -> None:
    assert backend_hint(LAPTOP) == "pip install ai-edge-litert"
    assert backend_hint(PI64_TRIXIE) == "pip install ai-edge-litert"
    assert backend_hint(PI64_BOOKWORM) == "pip install ai-edge-litert 'numpy<2'"
    assert backend_hint(PI32_BOOKWORM) == "pip install 'tflite-runtime==2.14.*' 'numpy<2'"
    assert "64-bit Raspberry Pi OS" in backend_hint(PI32_TRIXIE)
    assert "Python 3.13 has no interpreter" in backend_hint(PI32_TRIXIE)
    assert "armv6" in backend_hint(Platform("armv6l", 32, (3, 11)))
    future = Platform("x86_64", 64, (3, 15))
    assert (
        backend_hint(future)
        == "pip install tensorflow (ai-edge-litert has no wheel for Python 3.15)"
    )


def test_32_bit_python_on_a_64_bit_kernel_counts_as_32_bit_arm() -> None:
    """Pi OS 32-bit on a Pi 4/5 boots a 64-bit kernel: machine says aarch64, Python is 32-bit."""
    mixed = Platform("aarch64", 32, (3, 11), apt=True, numpy="1.24.2")
    assert mixed.arm32
    assert "tflite-runtime" in backend_hint(mixed)
    assert opencv_hint(mixed).startswith("sudo apt install python3-opencv")


def test_tflite_runtime_hint_names_a_too_new_numpy() -> None:
    too_new = Platform("armv7l", 32, (3, 11), numpy="2.0.1")
    assert backend_hint(too_new) == (
        "pip install 'tflite-runtime==2.14.*' 'numpy<2' (numpy 2.0.1 is too new)"
    )


def test_opencv_and_pillow_hints_per_platform() -> None:
    assert opencv_hint(LAPTOP) == "pip install opencv-python-headless"
    assert opencv_hint(PI64_TRIXIE) == "pip install opencv-python-headless"
    assert opencv_hint(PI64_BOOKWORM).startswith("pip install 'opencv-python-headless<4.12'")
    assert opencv_hint(PI32_BOOKWORM) == "sudo apt install python3-opencv"
    plain_venv = Platform("armv7l", 32, (3, 11), apt=True, venv=True)
    assert opencv_hint(plain_venv) == (
        "sudo apt install python3-opencv and recreate this venv with: "
        "python3 -m venv --system-site-packages .venv"
    )
    assert "no 32-bit ARM wheel" in opencv_hint(Platform("armv7l", 32, (3, 11), apt=False))
    assert pillow_hint(PI32_BOOKWORM) == "sudo apt install python3-pil"
    assert pillow_hint(PI64_BOOKWORM) == "pip install pillow"


def test_missing_backend_message_is_one_line_and_names_broken_installs() -> None:
    failures = [
        (
            "ai_edge_litert",
            ModuleNotFoundError("No module named 'ai_edge_litert'", name="ai_edge_litert"),
        ),
        ("tflite_runtime", ImportError("numpy.core.multiarray failed to import\nmore")),
        ("tensorflow", ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")),
    ]
    message = missing_backend_message(failures, PI32_BOOKWORM)
    assert "\n" not in message
    assert message == (
        "no TFLite interpreter is installed for 32-bit ARM (armv7l), Python 3.11: "
        "pip install 'tflite-runtime==2.14.*' 'numpy<2'; tflite_runtime is installed but "
        "does not import (numpy.core.multiarray failed to import)"
    )


def test_missing_module_message_tells_missing_from_broken() -> None:
    missing = ModuleNotFoundError("No module named 'cv2'", name="cv2")
    assert missing_module_message("OpenCV (cv2)", "cv2", missing, PI32_BOOKWORM) == (
        "OpenCV (cv2) is not installed for 32-bit ARM (armv7l), Python 3.11: "
        "sudo apt install python3-opencv"
    )
    broken = ImportError("numpy.core.multiarray failed to import")
    assert missing_module_message("OpenCV (cv2)", "cv2", broken, PI64_BOOKWORM).startswith(
        "OpenCV (cv2) is installed but does not import (numpy.core.multiarray failed to import): "
        "pip install 'opencv-python-headless<4.12'"
    )


def test_this_platform_describes_the_running_python() -> None:
    here = this_platform()
    assert here.python == sys.version_info[:2]
    assert here.pointer_bits in (32, 64)
    assert here.venv == (sys.prefix != sys.base_prefix)
    import numpy

    assert here.numpy == numpy.__version__


def test_no_backend_importable_raises_the_hint_for_this_platform(monkeypatch) -> None:
    for _, module in BACKENDS:  # None in sys.modules makes an import fail like a missing package
        monkeypatch.setitem(sys.modules, module, None)
        monkeypatch.setitem(sys.modules, module.split(".")[0], None)
    with pytest.raises(RuntimeBackendError) as caught:
        load_interpreter_class()
    here = this_platform()
    assert str(caught.value) == (
        f"no TFLite interpreter is installed for {here.describe()}: {backend_hint(here)}"
    )


def run_without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python where importing any of ``modules`` fails."""
    blocker = f"import sys\nfor name in {modules!r}:\n    sys.modules[name] = None\n"
    return subprocess.run(
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_digits_classify_without_opencv_says_what_to_install(tmp_path) -> None:
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = run_without(["cv2"], f"from edge_runtime.cli import main\nmain([{str(image)!r}])")
    here = this_platform()
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: OpenCV (cv2) is not installed for {here.describe()}: {opencv_hint(here)}\n"
    )


def test_import_without_opencv_is_an_import_error_with_the_hint() -> None:
    result = run_without(
        ["cv2"],
        """
        try:
            from edge_runtime import DigitClassifier
        except ImportError as e:
            from edge_runtime.errors import DigitsError
            print(isinstance(e, DigitsError), e)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True OpenCV (cv2) is not installed for ")


def test_digits_classify_without_any_backend_says_what_to_install(tmp_path) -> None:
    blocked = [m for _, module in BACKENDS for m in (module, module.split(".")[0])]
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = run_without(blocked, f"from edge_runtime.cli import main\nmain([{str(image)!r}])")
    here = this_platform()
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: no TFLite interpreter is installed for {here.describe()}: {backend_hint(here)}\n"
    )


def test_decoding_without_pillow_says_what_to_install(tmp_path) -> None:
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = run_without(
        ["PIL"],
        f"""
        from edge_runtime.image_io import load_image
        try:
            load_image({str(image)!r})
        except ImportError as e:
            print(e)
        """,
    )
    here = this_platform()
    assert result.stdout.strip() == (
        f"Pillow, which decodes image files, is not installed for {here.describe()}: "
        f"{pillow_hint(here)}"
    )
