"""A bounded load test of digits-serve: 1,000 requests, 20 at once, one in five bad.

It proves the classifier pool under concurrency: every good answer must equal,
probability for probability, what a single-threaded classifier answers for the
same image (a shared interpreter would mix inputs and outputs between threads),
no request gets a 5xx, and the server's memory stays flat.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from edge_runtime import DigitClassifier
from edge_runtime.schema import prediction_json
from tests.serving import (
    jpeg,
    multipart,
    paper_photo,
    png,
    reference_digits,
    running_server,
)

REQUESTS = 1000
CONCURRENCY = 20

REFERENCE = reference_digits()  # 100 real MNIST test digits shipped with the runtime


@pytest.fixture(scope="module")
def cases():
    """(body, content type, expected status, expected answer) — 4 good for every bad one."""
    library = DigitClassifier()
    good = []
    for i in range(40):
        image, label = REFERENCE.images[i], int(REFERENCE.labels[i])
        body = png(image) if i % 2 else jpeg(paper_photo([image], seed=i))
        from edge_runtime.image_io import decode_bytes

        expected = prediction_json(library.classify(decode_bytes(body)))
        if expected["digit"] == label:  # images the model reads right; the server must too
            good.append((body, "image/png", 200, expected))
    assert len(good) >= 36
    whole = png(REFERENCE.images[0])
    form, form_type = multipart({"picture": ("a.png", whole)})
    bad = [
        (b"", "image/png", 400, None),
        (b"not an image at all", "text/plain", 400, None),
        (whole[: len(whole) // 2], "image/png", 400, None),
        (form, form_type, 400, None),
        (b"\0" * (10 * 1024 * 1024 + 1), "image/png", 413, None),
    ]
    return good, bad


def _send(server, case):
    body, content_type = case[:2]
    answer = server.post("/api/classify", body, Content_Type=content_type)
    return case, answer.status, answer.json


def test_thousand_requests_twenty_at_once(tmp_path, cases) -> None:
    good, bad = cases
    schedule = [
        bad[(i // 5) % len(bad)] if i % 5 == 4 else good[i % len(good)] for i in range(REQUESTS)
    ]
    with running_server(tmp_path, "--workers", "2") as server:
        # warm-up at the same concurrency: each thread's malloc arena grows to its working size
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda case: _send(server, case), schedule[:200]))
        rss_before = server.rss_kb()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(lambda case: _send(server, case), schedule))
        rss_after = server.rss_kb()
        assert server.process.poll() is None
    statuses = [status for _, status, _ in results]
    assert not [s for s in statuses if s >= 500]
    wrong = []
    for (_, _, expected_status, expected), status, answer in results:
        assert status == expected_status, answer
        if expected is None:
            assert answer["error"]
        elif {**answer, "inference_ms": 0} != {**expected, "inference_ms": 0}:
            wrong.append((expected["digit"], answer["digit"]))
    assert not wrong, f"{len(wrong)} good answers differ from the single-threaded ones"
    assert statuses.count(200) == REQUESTS * 4 // 5
    # flat memory: after the warm-up, 1,000 more requests (40 of them 10 MB) add under 25 MB
    # (rss_kb leaves out qemu-user's own heap when emulated: it grows per thread, see there)
    assert rss_after - rss_before < 25_000, (rss_before, rss_after)
