"""digits-serve's pure parts: the classifier pool under concurrency, request bodies, limits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from edge_runtime.serve.api import ClassifierPool
from edge_runtime.serve.uploads import RequestError, decode_limited, image_bytes, multipart_field
from tests.serving import multipart, png


class _Exclusive:
    """A stand-in classifier that records any overlapping use (what would corrupt a real one)."""

    overlaps = 0

    def __init__(self) -> None:
        self._busy = threading.Lock()

    def classify(self, _image: object) -> None:
        if not self._busy.acquire(blocking=False):
            _Exclusive.overlaps += 1
            return
        time.sleep(0.002)  # the interpreter's invoke: long enough for others to collide
        self._busy.release()


@pytest.mark.parametrize("size", [1, 3])
def test_pool_lends_each_classifier_to_one_thread_at_a_time(size: int) -> None:
    _Exclusive.overlaps = 0
    pool = ClassifierPool(_Exclusive, size=size)
    in_use, peak, lock = set(), 0, threading.Lock()

    def work(_: int) -> None:
        nonlocal peak
        with pool.borrow() as classifier:
            with lock:
                assert id(classifier) not in in_use
                in_use.add(id(classifier))
                peak = max(peak, len(in_use))
            classifier.classify(None)
            with lock:
                in_use.discard(id(classifier))

    with ThreadPoolExecutor(20) as executor:
        list(executor.map(work, range(400)))
    assert _Exclusive.overlaps == 0
    assert peak == size  # all of them used, never more


def test_pool_gives_back_a_classifier_after_an_error() -> None:
    pool = ClassifierPool(_Exclusive, size=1)
    with pytest.raises(ValueError), pool.borrow():
        raise ValueError("bad image")
    with pool.borrow() as classifier:  # would block forever if it had been lost
        assert isinstance(classifier, _Exclusive)
    with pytest.raises(ValueError, match="at least one"):
        ClassifierPool(_Exclusive, size=0)


def test_image_bytes_raw_or_multipart() -> None:
    data = png(np.eye(28, dtype=np.uint8) * 255)
    assert image_bytes(data, "image/png") == data
    assert image_bytes(data, "application/x-www-form-urlencoded") == data  # curl --data-binary
    assert image_bytes(data, None) == data
    body, content_type = multipart({"other": ("o.txt", b"x\r\n--"), "image": ("a.png", data)})
    assert image_bytes(body, content_type) == data
    assert multipart_field(body, content_type.replace("boundary=", 'boundary="') + '"', "image")
    with pytest.raises(RequestError, match="empty") as error:
        image_bytes(b"", "image/png")
    assert error.value.status == 400


def test_multipart_with_binary_lookalikes_of_the_delimiter() -> None:
    rng = np.random.default_rng(1)
    for size in (0, 1, 1000, 100_000):
        content = rng.bytes(size) + b"\r\n--not-the-boundary\r\n\r\n"
        body, content_type = multipart({"image": ("a.bin", content)})
        assert multipart_field(body, content_type, "image") == content


def test_decode_limited_checks_the_header_first() -> None:
    data = png(np.zeros((300, 400), np.uint8))
    assert decode_limited(data, 120_000).shape == (300, 400)
    with pytest.raises(RequestError, match=r"400×300 = 0.1 megapixels, over the limit"):
        decode_limited(data, 119_999)


def test_read_body_limits_lengths_and_chunks() -> None:
    import io

    from edge_runtime.serve.bodies import read_body

    assert read_body(io.BytesIO(b"abcdef"), {"Content-Length": "3"}, 10) == b"abc"
    assert read_body(io.BytesIO(b""), {}, 10) == b""  # no length, no body
    chunked = io.BytesIO(b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n")
    assert read_body(chunked, {"Transfer-Encoding": "chunked"}, 10) == b"abcde"
    for headers, stream, status, words in [
        ({"Content-Length": "11"}, b"x" * 11, 413, "11 bytes, over the limit of 10"),
        ({"Content-Length": "-1"}, b"", 400, "invalid Content-Length"),
        ({"Content-Length": "1e3"}, b"", 400, "invalid Content-Length"),
        ({"Content-Length": "5"}, b"ab", 400, "ended after 2 of 5 bytes"),
        ({"Transfer-Encoding": "chunked"}, b"zz\r\n", 400, "malformed chunked"),
        ({"Transfer-Encoding": "chunked"}, b"8\r\n12345678\r\n8\r\n", 413, "over the limit"),
    ]:
        with pytest.raises(RequestError, match=words) as error:
            read_body(io.BytesIO(stream), headers, 10)
        assert error.value.status == status


def test_token_by_header_or_cookie() -> None:
    from http.cookies import SimpleCookie

    from edge_runtime.serve.auth import TOKEN_COOKIE, authorized, login_cookie

    assert authorized(None, None, None)
    token = 'p@ss; "word" with spaces'
    assert authorized(token, f"Bearer {token}", None)
    assert authorized(token, f"bearer  {token} ", None)
    assert not authorized(token, None, None)
    assert not authorized(token, f"Basic {token}", None)
    assert not authorized(token, "Bearer wrong", None)
    cookie = login_cookie(token)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    jar = SimpleCookie(cookie)  # what a browser sends back
    sent = f"{TOKEN_COOKIE}={jar[TOKEN_COOKIE].coded_value}; theme=dark"
    assert authorized(token, None, sent)
    assert not authorized(token, None, f"{TOKEN_COOKIE}=wrong")
    assert not authorized(token, None, "garbage;;==\x00")
