"""Every page of the report site in headless Chromium from file://: charts drawn, no errors, offline."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1000",
)
# Only the page's own files may be loaded; data: URIs are the in-page CSV downloads.
ALLOWED_SCHEMES = ("file://", "data:")


def _require_chromium() -> None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing = "selenium is not installed (pip install -e '.[test]')"
    else:
        missing = None if CHROMIUM and Path(CHROMEDRIVER).exists() else "chromium not found"
    if missing:
        message = f"{missing}; .ci/run installs Debian's chromium and chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def site(built_settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report.write_report(built_settings, out_dir=tmp_path_factory.mktemp("site")).parent


def _requested_urls(performance_log: list[dict]) -> list[str]:
    urls = []
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.parametrize("page", [name for name, _ in report.PAGES])
def test_page_renders_offline_without_errors(driver, site, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("performance")
    driver.get_log("browser")
    driver.get((site / page).as_uri())
    charts = driver.find_elements(By.CSS_SELECTOR, "div.plotly-graph-div")
    assert charts, f"{page} has no chart"
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plotly .main-svg")) >= len(charts)
    )
    for chart in charts:
        assert chart.find_elements(By.CSS_SELECTOR, ".main-svg"), chart.get_attribute("id")
        # A title says what the chart shows.
        assert chart.find_element(By.CSS_SELECTOR, ".gtitle").text.strip()
    nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav li a")]
    assert len(nav) == len(report.PAGES)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    urls = _requested_urls(driver.get_log("performance"))
    assert urls, "the performance log recorded no request at all"
    assert [u for u in urls if not u.startswith(ALLOWED_SCHEMES)] == []
    assert (site / "plotly.min.js").as_uri() in urls
