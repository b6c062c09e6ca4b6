"""The page at GET / in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven
by selenium): type a review, submit, and see the polarity, the highlighted words and aspect chips."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
import uvicorn

from sentiment import get_analyzer
from sentiment.service.app import create_app
from sentiment.service.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REVIEW = "The battery life is great, but the screen is terrible and the support was rude."
STARTUP_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 20.0

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's headless Chromium: apt-get install -y chromium chromium-driver",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def service_url():
    """The real service (lexicon preloaded) in a uvicorn server on a background thread."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(preload=("lexicon",), access_log=False)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@needs_chromium
def test_page_shows_polarity_highlighted_words_and_aspect_chips(service_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, RENDER_TIMEOUT_S)
    browser.get(service_url + "/")
    wait.until(ready.presence_of_element_located((By.ID, "mode-aspect")))  # modes come from GET /analyzers
    for mode in ("polarity", "aspect"):
        box = browser.find_element(By.ID, f"mode-{mode}")
        if not box.is_selected():
            box.click()
    browser.find_element(By.ID, "text").send_keys(REVIEW)
    browser.find_element(By.ID, "analyze-button").click()
    wait.until(lambda driver: driver.find_element(By.ID, "polarity-label").text.strip())

    expected = get_analyzer("lexicon").analyze(REVIEW, ["polarity", "aspect"])
    browser.save_screenshot(str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").stat().st_size > 0

    assert browser.find_element(By.ID, "error").is_displayed() is False
    assert browser.find_element(By.ID, "polarity-label").text == expected.polarity.label

    marks = browser.find_elements(By.CSS_SELECTOR, "#highlighted mark.token")
    driving = [t for t in expected.explanation if t.weight != 0]
    assert marks, "no highlighted words"
    assert [m.text for m in marks] == [t.token for t in sorted(driving, key=lambda t: t.start)]
    for mark, token in zip(marks, sorted(driving, key=lambda t: t.start)):
        assert ("positive" if token.weight > 0 else "negative") in mark.get_attribute("class")
    assert browser.find_element(By.ID, "highlighted").text == REVIEW  # the whole text, marks in place

    chips = browser.find_elements(By.CSS_SELECTOR, "#aspects .chip")
    assert chips, "no aspect chip"
    assert [c.get_attribute("data-polarity") for c in chips] == [a.polarity for a in expected.aspects]
    assert all(aspect.term in chip.text for chip, aspect in zip(chips, expected.aspects))
    assert all(c.get_attribute("data-polarity") in c.get_attribute("class") for c in chips)
