"""digits-serve's JSON API over a real server process on 127.0.0.1 (ephemeral port).

Good images (real MNIST test digits, as 28×28 PNGs and as paper photos) must be
read right and answer exactly what the library answers; every kind of bad
request gets its 4xx with a JSON error; nothing ever gets a 5xx.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from edge_runtime import DigitClassifier
from edge_runtime.results import NumberReading
from edge_runtime.schema import prediction_json, reading_json
from tests.serving import (
    jpeg,
    multipart,
    paper_photo,
    png,
    reference_digits,
    running_server,
)

SCHEMA_KEYS = {"digit", "confidence", "probabilities", "inference_ms", "box", "reason"}

REFERENCE = reference_digits()  # 100 real MNIST test digits shipped with the runtime


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve")) as process:
        yield process


@pytest.fixture(scope="module")
def digits():
    """The first 20 MNIST test digits with their labels."""
    return [(REFERENCE.images[i], int(REFERENCE.labels[i])) for i in range(20)]


def without_timing(answer: dict) -> dict:
    answer = dict(answer)
    answer.pop("inference_ms")
    return answer


def test_health_and_page(server) -> None:
    health = server.request("GET", "/api/health")
    assert (health.status, health.json) == (200, {"status": "ok"})
    page = server.request("GET", "/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b'<canvas id="pad"' in page.body
    for asset in ("/static/app.js", "/static/style.css"):
        assert server.request("GET", asset).status == 200
    assert server.request("GET", "/static/missing.js").status == 404
    # only the assets shipped with the package: nothing reads a path from the request
    assert server.request("GET", "/static/../models/digits_int8.tflite").status == 404
    assert server.request("GET", "/static/%2e%2e/classifier.py").status == 404


def test_classify_raw_png_matches_the_library(server, digits) -> None:
    library = DigitClassifier()
    for image, label in digits:
        answer = server.post("/api/classify", png(image), Content_Type="image/png")
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/json"
        body = answer.json
        assert set(body) == SCHEMA_KEYS  # exactly digits-classify --json's keys (no path)
        expected = prediction_json(library.classify(image))
        assert without_timing(body) == without_timing(expected)
        assert body["digit"] == label


def test_classify_multipart_photo(server, digits) -> None:
    image, label = digits[0]
    body, content_type = multipart(
        {"note": ("x.txt", b"ignored"), "image": ("photo.jpg", jpeg(paper_photo([image])))}
    )
    answer = server.post("/api/classify", body, Content_Type=content_type)
    assert answer.status == 200, answer.body
    assert answer.json["digit"] == label
    assert answer.json["box"]["width"] > 50  # found on the 640×480 page, not the whole frame


def test_classify_debug_adds_the_model_input(server, digits) -> None:
    image, label = digits[1]
    answer = server.post("/api/classify?debug=1", jpeg(paper_photo([image], seed=3)))
    assert answer.status == 200 and answer.json["digit"] == label
    data_url = answer.json["model_input"]
    assert data_url.startswith("data:image/png;base64,")
    import base64

    seen = np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))
    assert seen.shape == (28, 28) and seen.max() > 200 and seen[0].max() < 40  # MNIST form


def test_read_number(server, digits) -> None:
    four = [image for image, _ in digits[:4]]
    labels = "".join(str(label) for _, label in digits[:4])
    photo = paper_photo(four, size=(900, 300), seed=5)
    answer = server.post("/api/read-number", jpeg(photo))
    assert answer.status == 200
    assert answer.json["number"] == labels
    library = reading_json(DigitClassifier().read_number(_decode(jpeg(photo))))
    assert [d["digit"] for d in answer.json["digits"]] == [d["digit"] for d in library["digits"]]
    assert set(answer.json) == {*reading_json(NumberReading()), "numbers"}  # --number --json
    assert answer.json["numbers"][0]["number"] == labels
    debug = server.post("/api/read-number?debug=true", jpeg(photo)).json
    assert len(debug["model_inputs"]) == 4
    assert debug["debug_view"].startswith("data:image/png;base64,")


def test_blank_image_is_an_answer_not_an_error(server) -> None:
    blank = np.full((200, 200), 230, np.uint8)
    answer = server.post("/api/classify", png(blank))
    assert answer.status == 200
    assert answer.json["digit"] is None and answer.json["reason"]
    number = server.post("/api/read-number", png(blank)).json
    assert number["number"] is None and number["reason"]


def test_model_info(server) -> None:
    info = server.request("GET", "/api/model").json
    assert info["backend"] in ("ai_edge_litert", "tflite_runtime", "tensorflow.lite")
    assert info["model_file"].endswith("digits_int8.tflite")
    assert info["input"] == {"dtype": "uint8", "shape": [1, 28, 28], "scale": 1.0, "zero_point": 0}
    assert 0.98 < info["accuracy"] <= 1.0
    assert info["live_source"] is None


def test_no_live_routes_without_a_camera(server) -> None:
    for path in ("/api/latest", "/stream.mjpg"):
        answer = server.request("GET", path)
        assert answer.status == 404 and "--camera" in answer.json["error"]


def _decode(data: bytes) -> np.ndarray:
    from edge_runtime.image_io import decode_bytes

    return decode_bytes(data)


def png_bomb(width: int, height: int, rows: int | None = None) -> bytes:
    """A gray PNG declaring ``width``×``height``, with all its rows (zeros) or just ``rows``.

    Zeros compress about 1000:1, so a 36-megapixel bomb is a ~40 KB file.
    """

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


BAD_BODIES = {
    "empty body": (lambda: b"", "image/png", 400, "empty"),
    "text": (lambda: b"hello, not an image\n" * 5, "text/plain", 400, "not an image"),
    "truncated png": (None, "image/png", 400, "truncated"),
    "truncated jpeg": (None, "image/jpeg", 400, "truncated"),
    "header only": (lambda: b"\x89PNG\r\n\x1a\n", "image/png", 400, ""),
    "pixel bomb (36 MP)": (lambda: png_bomb(6000, 6000), "image/png", 400, "megapixels"),
    "pixel bomb (10 GP)": (lambda: png_bomb(100_000, 100_000, 2), "image/png", 400, "too large"),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
@pytest.mark.parametrize("route", ["/api/classify", "/api/read-number"])
def test_bad_bodies_get_400_with_a_json_error(server, digits, name: str, route: str) -> None:
    make, content_type, status, words = BAD_BODIES[name]
    if make is not None:
        body = make()
    else:
        whole = (
            png(digits[0][0]) if content_type == "image/png" else jpeg(paper_photo([digits[0][0]]))
        )
        body = whole[: len(whole) * 2 // 3]
    rss_before = server.rss_kb()
    answer = server.post(route, body, Content_Type=content_type)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert words in answer.json["error"]
    assert server.rss_kb() - rss_before < 20_000  # the bombs were never decoded


def test_bad_multipart_bodies(server, digits) -> None:
    body, content_type = multipart({"file": ("a.png", png(digits[0][0]))})
    answer = server.post("/api/classify", body, Content_Type=content_type)
    assert answer.status == 400 and "no 'image' field" in answer.json["error"]
    assert "'file'" in answer.json["error"]
    body, content_type = multipart({"image": ("a.png", b"")})
    answer = server.post("/api/classify", body, Content_Type=content_type)
    assert answer.status == 400 and "empty" in answer.json["error"]
    answer = server.post("/api/classify", b"--x\r\n", Content_Type="multipart/form-data")
    assert answer.status == 400 and "boundary" in answer.json["error"]
    answer = server.post(
        "/api/classify", b"garbage", Content_Type="multipart/form-data; boundary=zzz"
    )
    assert answer.status == 400 and "malformed" in answer.json["error"]


def test_body_limit_is_413_before_reading(server) -> None:
    eleven_mb = b"\0" * (11 * 1024 * 1024)
    answer = server.post("/api/classify", eleven_mb, Content_Type="image/png")
    assert answer.status == 413
    assert "over the limit of 10,485,760 bytes" in answer.json["error"]
    # a huge declared length is refused from the headers alone
    reply = server.raw(
        b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert server.request("GET", "/api/health").status == 200


def test_protocol_abuse_gets_4xx_never_5xx(server, digits) -> None:
    cases = {
        b"PUT /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n": b"405",
        b"BREW /api/classify HTTP/1.1\r\nHost: x\r\n\r\n": b"405",
        b"GET /api/classify HTTP/1.1\r\nHost: x\r\n\r\n": b"405",
        b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n": b"404",
        b"GET / HTTP/2.0\r\n\r\n": b"400",
        b"complete nonsense\r\n\r\n": b"400",
        b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n": b"400",
        b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n": b"400",
        b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort": b"400",
        b"POST /api/classify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n": b"400",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n": b"414",
    }
    for request, status in cases.items():
        reply = server.raw(request)
        assert reply.split(b" ", 2)[1] == status, (request[:60], reply[:200])
        assert b"application/json" in reply.split(b"\r\n\r\n")[0]
    # refused requests leave no body behind to be read as the next request
    for refused in (b"PUT /api/classify", b"POST /nowhere"):
        reply = server.raw(
            refused + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nGET /\r\n0\r\n\r\n"
        )
        assert reply.split(b" ", 2)[1] in (b"404", b"405")
        assert b"Connection: close" in reply.split(b"\r\n\r\n")[0]
    # a chunked upload (curl -T -) is read like any other
    image = png(digits[2][0])
    chunked = b"".join(
        f"{len(image[i : i + 100]):x}\r\n".encode() + image[i : i + 100] + b"\r\n"
        for i in range(0, len(image), 100)
    )
    reply = server.raw(
        b"POST /api/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunked + b"0\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert f'"digit": {digits[2][1]}'.encode() in reply


def test_odd_but_valid_images_never_5xx(server) -> None:
    rng = np.random.default_rng(0)
    images = {
        "1×1 bilevel": Image.new("1", (1, 1)),
        "1×5000 gray": Image.new("L", (1, 5000), 200),
        "5000×3 gray": Image.new("L", (5000, 3), 20),
        "16-bit noise": Image.fromarray(rng.integers(0, 65535, (64, 64), dtype=np.uint16)),
        "transparent": Image.new("RGBA", (50, 50), (0, 0, 0, 0)),
        "palette": Image.new("P", (80, 40)),
        "CMYK noise": Image.fromarray(rng.integers(0, 256, (60, 60, 3), np.uint8)).convert("CMYK"),
        "float": Image.fromarray(rng.random((30, 30)).astype(np.float32)),
        "RGB noise": Image.fromarray(rng.integers(0, 256, (120, 90, 3), np.uint8)),
    }
    encoded = {}
    for name, image in images.items():
        for fmt in ("PNG", "TIFF", "GIF", "BMP", "WEBP", "JPEG"):
            out = io.BytesIO()
            try:
                image.save(out, format=fmt)
            except (OSError, ValueError, KeyError):
                continue  # not every format stores every mode
            encoded[f"{name} {fmt}"] = out.getvalue()
    assert len(encoded) > 25
    for name, body in encoded.items():
        for route in ("/api/classify", "/api/read-number"):
            answer = server.post(route, body)
            assert answer.status in (200, 400), (name, route, answer.body)
            assert answer.json, name


def test_token_is_required_everywhere_but_health(tmp_path, digits) -> None:
    token = "correct horse battery staple"
    with running_server(tmp_path, env={"DIGITS_SERVE_TOKEN": token}) as server:
        image = png(digits[0][0])
        assert server.request("GET", "/api/health").status == 200
        for method, path, body in [
            ("GET", "/", None),
            ("GET", "/static/app.js", None),
            ("GET", "/api/model", None),
            ("POST", "/api/classify", image),
            ("POST", "/api/read-number", image),
        ]:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
                answer = server.request(method, path, body, headers)
                assert answer.status == 401, (method, path, headers)
                assert "token" in answer.json["error"]
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        good = {"Authorization": f"Bearer {token}"}
        answer = server.request("POST", "/api/classify", image, good)
        assert answer.status == 200 and answer.json["digit"] == digits[0][1]
        assert server.request("GET", "/", None, good).status == 200
        # a browser opens /?token=… once and then carries an HttpOnly cookie
        assert server.request("GET", "/?token=nope").status == 401
        login = server.request("GET", "/?token=correct%20horse%20battery%20staple")
        assert login.status == 303 and login.headers["Location"] == "/"
        cookie = login.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = cookie.split(";", 1)[0]
        assert server.request("GET", "/api/model", None, {"Cookie": jar}).status == 200
        wrong_jar = jar.split("=", 1)[0] + "=nope"
        assert server.request("GET", "/api/model", None, {"Cookie": wrong_jar}).status == 401
