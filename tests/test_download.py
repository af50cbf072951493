"""The MNIST downloader (pooch underneath) against a small HTTP server on 127.0.0.1 only."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import write_npz

from trainer.data import load_mnist
from trainer.download import download_file
from trainer.errors import DownloadError


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, int | None]] = {}

    def do_GET(self) -> None:
        status, body, claimed_length = self.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        self.send_header("Content-Length", str(claimed_length or len(body)))
        self.end_headers()
        self.wfile.write(body)  # a shorter body than claimed simulates a cut connection

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    npz = tmp_path / "source" / "mnist.npz"
    write_npz(npz, train_count=25)
    body = npz.read_bytes()
    _Handler.routes = {
        "/mnist.npz": (200, body, None),
        "/broken": (500, b"oops", None),
        "/cut": (200, body[: len(body) // 2], len(body)),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", body
    httpd.shutdown()
    httpd.server_close()


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_good_download_is_verified_and_loaded(server, tmp_path: Path) -> None:
    base, body = server
    cache = tmp_path / "cache"
    seen: list[tuple[int, int | None]] = []
    data = load_mnist(
        cache_dir=cache,
        keras_cache=tmp_path / "none.npz",
        url=f"{base}/mnist.npz",
        sha256=hashlib.sha256(body).hexdigest(),
        progress=lambda got, total: seen.append((got, total)),
    )
    assert len(data.train) == 25
    assert _leftovers(cache) == ["mnist.npz"]
    assert seen[-1] == (len(body), len(body))
    # The second call finds the cached copy and does not download again.
    again = load_mnist(
        cache_dir=cache,
        keras_cache=tmp_path / "none.npz",
        url=f"{base}/missing",
        download=True,
    )
    assert len(again.train) == 25


def test_wrong_checksum_leaves_no_file(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(f"{base}/mnist.npz", tmp_path / "dl" / "mnist.npz", sha256="0" * 64)
    assert _leftovers(tmp_path / "dl") == []


def test_server_error_is_reported(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(DownloadError, match="HTTP 500"):
        download_file(f"{base}/broken", tmp_path / "dl" / "mnist.npz", sha256=None)
    assert _leftovers(tmp_path / "dl") == []


def test_interrupted_transfer_leaves_no_file(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(DownloadError, match="interrupted|failed"):
        download_file(f"{base}/cut", tmp_path / "dl" / "mnist.npz", sha256=None)
    assert _leftovers(tmp_path / "dl") == []


def test_offline_message_says_how_to_point_at_local_files(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="--data-dir or set DIGITS_DATA_DIR"):
        load_mnist(
            cache_dir=tmp_path / "c",
            keras_cache=tmp_path / "k.npz",
            url="http://127.0.0.1:9/mnist.npz",
        )


def test_a_file_where_the_cache_folder_should_be_is_one_clear_error(server, tmp_path: Path) -> None:
    base, body = server
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(DownloadError, match=r"cannot save .*mnist.npz"):
        download_file(
            f"{base}/mnist.npz",
            tmp_path / "cache" / "mnist.npz",
            sha256=hashlib.sha256(body).hexdigest(),
        )
    assert (tmp_path / "cache").read_text() == "not a folder"


def test_progress_reaches_the_size_exactly_and_the_library_prints_nothing(
    server, tmp_path: Path, capfd
) -> None:
    base, body = server
    seen: list[tuple[int, int | None]] = []
    download_file(
        f"{base}/mnist.npz",
        tmp_path / "mnist.npz",
        sha256=hashlib.sha256(body).hexdigest(),
        progress=lambda got, total: seen.append((got, total)),
    )
    assert seen[-1] == (len(body), len(body))
    assert all(got <= len(body) for got, _ in seen)
    assert [got for got, _ in seen] == sorted(got for got, _ in seen)
    assert capfd.readouterr() == ("", "")
