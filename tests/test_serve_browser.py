"""digits-serve's page in a real browser: Debian's headless Chromium driven by Selenium.

It draws a digit with mouse events and sees the prediction, uploads files (picker
and drag-and-drop) and sees their readings, and watches a recorded video as the
camera. Screenshots go to ``artifacts/screenshots/`` for a person to look at.
Skips with the reason when chromium, chromedriver or selenium is missing
(``apt-get install chromium chromium-driver``; ``pip install selenium``).
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.serving import (
    digit_clip,
    jpeg,
    paper_photo,
    reference_digits,
    running_server,
    unplugged_camera_server,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
WAIT_S = 30

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

REFERENCE = reference_digits()  # 100 real MNIST test digits shipped with the runtime


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile; never downloads a browser or a driver."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1100",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, set[str]]:
    return digit_clip(tmp_path_factory.mktemp("clip") / "digits.avi")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, clip):
    with running_server(tmp_path_factory.mktemp("serve"), "--video", str(clip[0])) as server:
        yield server


def wait(driver, condition, message: str):
    """Wait for ``condition``; on timeout the message also says what the drawing panel shows."""
    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException as e:
        raise TimeoutException(f"{message}; draw panel: {_panel_state(driver)}") from e


def _panel_state(driver) -> str:
    """The drawing panel's digit, confidence line (or error) and prediction, for a failure."""
    try:
        digit = driver.find_element(By.ID, "draw-digit").text
        line = driver.find_element(By.ID, "draw-confidence").text
        prediction = driver.find_element(By.ID, "draw-panel").get_attribute("data-prediction")
    except WebDriverException as e:
        return f"unreadable ({type(e).__name__})"
    return f"digit {digit!r}, {line!r}, data-prediction {prediction!r}"


def screenshot(driver, name: str) -> Path:
    """The whole page (beyond the window) as a PNG in artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def draw(driver, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw on the canvas with mouse events; points are fractions of its width and height."""
    canvas = driver.find_element(By.ID, "pad")
    size = canvas.size
    for stroke in strokes:
        actions = ActionChains(driver, duration=10)
        offsets = [
            (round((x - 0.5) * size["width"]), round((y - 0.5) * size["height"])) for x, y in stroke
        ]
        actions.move_to_element_with_offset(canvas, *offsets[0]).click_and_hold()
        for dx, dy in offsets[1:]:
            actions.move_to_element_with_offset(canvas, dx, dy)
        actions.release().perform()


def touch_draw(driver, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw with a finger: W3C touch pointer actions (pointerType "touch")."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    canvas = driver.find_element(By.ID, "pad")
    size = canvas.size
    for stroke in strokes:
        finger = PointerInput(interaction.POINTER_TOUCH, "finger")
        actions = ActionBuilder(driver, mouse=finger, duration=10)
        offsets = [
            (round((x - 0.5) * size["width"]), round((y - 0.5) * size["height"])) for x, y in stroke
        ]
        actions.pointer_action.move_to(canvas, *offsets[0]).pointer_down()
        for dx, dy in offsets[1:]:
            actions.pointer_action.move_to(canvas, dx, dy)
        actions.pointer_action.pointer_up()
        actions.perform()


ONE = [[(0.5, 0.18), (0.5, 0.4), (0.5, 0.6), (0.5, 0.82)]]
SEVEN = [[(0.25, 0.22), (0.5, 0.22), (0.75, 0.22), (0.62, 0.45), (0.5, 0.65), (0.42, 0.82)]]
ZERO = [
    [(0.5 + 0.2 * np.sin(t), 0.5 - 0.3 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 24).tolist()]
]


def test_draw_a_digit_and_see_the_prediction(browser, live_server) -> None:
    browser.get(live_server.url + "/")
    panel = browser.find_element(By.ID, "draw-panel")
    draw(browser, SEVEN)
    wait(browser, lambda d: panel.get_attribute("data-prediction") == "7", "no 7 predicted")
    assert browser.find_element(By.ID, "draw-digit").text == "7"
    bars = browser.find_elements(By.CSS_SELECTOR, "#bars li")
    assert len(bars) == 10 and "best" in bars[7].get_attribute("class")
    seen = browser.find_element(By.ID, "model-input")
    wait(browser, lambda d: seen.get_attribute("naturalWidth") == "28", "no 28×28 image shown")
    # undo takes the stroke away; a new digit is read afresh
    browser.find_element(By.ID, "undo").click()
    wait(browser, lambda d: browser.find_element(By.ID, "draw-digit").text == "–", "undo")
    draw(browser, ZERO)
    wait(browser, lambda d: panel.get_attribute("data-prediction") == "0", "no 0 predicted")
    assert panel.get_attribute("data-pointer") == "mouse"
    browser.find_element(By.ID, "clear").click()
    assert panel.get_attribute("data-prediction") is None
    # a finger on a phone: touch pointer events, a thicker brush
    browser.execute_script("document.getElementById('brush').value = 30")
    touch_draw(browser, ONE)
    wait(browser, lambda d: panel.get_attribute("data-prediction") == "1", "no 1 drawn by touch")
    assert panel.get_attribute("data-pointer") == "touch"
    browser.find_element(By.ID, "clear").click()
    draw(browser, SEVEN)
    wait(browser, lambda d: panel.get_attribute("data-prediction") == "7", "no 7 after clear")


def test_upload_files_and_drop_one(browser, live_server, tmp_path) -> None:
    browser.get(live_server.url + "/")
    images, labels = REFERENCE.images, [str(int(x)) for x in REFERENCE.labels]
    files = []
    for i in range(3, 6):
        path = tmp_path / f"digit_{i}.jpg"
        path.write_bytes(jpeg(paper_photo([images[i]], seed=i)))
        files.append(path)
    number = tmp_path / "number.jpg"
    number.write_bytes(jpeg(paper_photo([images[i] for i in range(6, 10)], (900, 300), seed=9)))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a picture")
    browser.find_element(By.ID, "debug-mode").click()
    upload = browser.find_element(By.ID, "files")
    upload.send_keys("\n".join(str(p) for p in [*files, number, broken]))
    items = wait(
        browser,
        lambda d: (
            [
                item
                for item in d.find_elements(By.CSS_SELECTOR, "#uploads li")
                if item.get_attribute("data-reading") is not None
            ]
            if len(d.find_elements(By.CSS_SELECTOR, "#uploads li[data-reading]")) == 5
            else None
        ),
        "the five uploads were not all read",
    )
    readings = {
        item.find_element(By.CLASS_NAME, "name").text: item.get_attribute("data-reading")
        for item in items
    }
    assert readings == {
        "digit_3.jpg": labels[3],
        "digit_4.jpg": labels[4],
        "digit_5.jpg": labels[5],
        "number.jpg": "".join(labels[6:10]),
        "broken.png": "",
    }
    failed = browser.find_element(By.CSS_SELECTOR, "#uploads li.failed")
    assert "not an image" in failed.text
    debug_views = browser.find_elements(By.CSS_SELECTOR, "#uploads .debug img")
    assert len(debug_views) == 4 and all(view.is_displayed() for view in debug_views)
    # drag and drop: a file dropped on the zone is read the same way
    payload = base64.b64encode(jpeg(paper_photo([images[10]], seed=10))).decode()
    browser.execute_script(
        """
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "dropped.jpg", {type: "image/jpeg"}));
        const zone = document.getElementById("drop");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        """,
        payload,
    )
    dropped = wait(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, "#uploads li:first-child[data-reading]"),
        "the dropped file was not read",
    )
    assert "dropped.jpg" in dropped.text
    assert dropped.get_attribute("data-reading") == labels[10]


def test_live_view_with_a_video_as_the_camera(browser, live_server, clip, tmp_path) -> None:
    _, labels = clip
    browser.get(live_server.url + "/")
    panel = browser.find_element(By.ID, "live-panel")
    wait(browser, lambda d: panel.is_displayed(), "the live panel stayed hidden")
    wait(browser, lambda d: panel.get_attribute("data-status") == "live", "never went live")
    view = browser.find_element(By.ID, "live-view")
    wait(browser, lambda d: view.get_attribute("naturalWidth") == "640", "no MJPEG frame shown")
    readings, frames = set(), []
    deadline = time.monotonic() + WAIT_S
    while readings != labels and time.monotonic() < deadline:
        readings.add(browser.find_element(By.ID, "live-reading").text)
        frames.append(int(browser.find_element(By.ID, "live-frames").text))
        time.sleep(0.2)
    assert labels <= readings
    assert frames[-1] > frames[0]  # frames keep arriving
    assert float(browser.find_element(By.ID, "live-fps").text) > 1
    assert browser.find_element(By.ID, "live-ms").text.endswith(" ms")
    # the page as a person sees it: the live view, a drawn digit and two uploads with debug views
    number = tmp_path / "sticky-note.jpg"
    images = REFERENCE.images
    number.write_bytes(jpeg(paper_photo([images[i] for i in range(11, 14)], (700, 260), seed=4)))
    single = tmp_path / "digit.jpg"
    single.write_bytes(jpeg(paper_photo([images[14]], seed=14)))
    browser.find_element(By.ID, "debug-mode").click()
    browser.find_element(By.ID, "files").send_keys(f"{number}\n{single}")
    wait(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#uploads li[data-reading]")) == 2,
        "uploads not read",
    )
    draw(browser, SEVEN)
    wait(
        browser,
        lambda d: d.find_element(By.ID, "draw-panel").get_attribute("data-prediction") == "7",
        "no 7 predicted",
    )
    time.sleep(0.5)  # the bars' 0.15 s transition has finished
    shot = screenshot(browser, "digits-serve.png")
    picture = cv2.imread(str(shot))
    assert picture is not None and picture.shape[1] >= 1200 and picture.std() > 10


def test_no_live_panel_without_a_camera(browser, tmp_path) -> None:
    with running_server(tmp_path) as server:
        browser.get(server.url + "/")
        wait(
            browser,
            lambda d: (
                "accuracy" in d.find_element(By.ID, "model-info").text
                or "%" in d.find_element(By.ID, "model-info").text
            ),
            "model info not shown",
        )
        time.sleep(0.5)  # the page has asked /api/latest by now
        assert not browser.find_element(By.ID, "live-panel").is_displayed()
        assert browser.find_element(By.ID, "draw-panel").is_displayed()
        assert shutil.which("chromium") or CHROMIUM.exists()


def test_camera_lost_shows_while_drawing_still_works(browser) -> None:
    with unplugged_camera_server(REFERENCE.images[0], good=5) as (client, _):
        browser.get(client.url + "/")
        panel = browser.find_element(By.ID, "live-panel")
        wait(browser, lambda d: panel.get_attribute("data-status") == "lost", "no 'camera lost'")
        assert browser.find_element(By.ID, "live-status").text == "camera lost"
        error = browser.find_element(By.ID, "live-error")
        assert error.is_displayed() and "drawing and uploads still work" in error.text
        draw(browser, SEVEN)
        wait(
            browser,
            lambda d: d.find_element(By.ID, "draw-panel").get_attribute("data-prediction") == "7",
            "drawing stopped working with the camera lost",
        )
        time.sleep(0.5)
        screenshot(browser, "digits-serve-camera-lost.png")
