"""The web page in a real headless Chromium: it loads, runs a named query, and shows the rows."""

import os
import shutil
from pathlib import Path

import pytest

from peergraph.endpoint.server import serving
from peergraph.endpoint.service import Settings

from .conftest import ROOT, require
from .test_report import GIFTS_VA

CHROMIUM = next(filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
# Kept after the run for a reader to look at (CI can publish the folder).
ARTIFACTS = Path(os.environ.get("PEERGRAPH_TEST_ARTIFACTS", ROOT / "dist" / "test-artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require(CHROMIUM is not None and CHROMEDRIVER is not None, "chromium with chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(built, layout):
    with serving(built.store, layout, Settings(workers=2, time_limit=5)) as url:
        yield url


def test_the_page_runs_a_named_query_and_shows_its_rows(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(site + "/")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda driver: driver.find_element(By.ID, "named-query").get_attribute("data-loaded"))
    Select(browser.find_element(By.ID, "named-query")).select_by_value("thresholds")
    assert "# title: Every threshold across codes" in browser.find_element(By.ID, "query-text").get_attribute("value")
    browser.find_element(By.ID, "run").click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#result-table tbody tr")))
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")]
    status = browser.find_element(By.ID, "status").text
    assert status.startswith(f"{len(rows)} rows")
    illinois_gifts = [row for row in rows if any("illinois-ncrs" in cell for cell in row) and "25" in row]
    assert illinois_gifts, rows
    csv_link = browser.find_element(By.CSS_SELECTOR, '#downloads a[data-format="csv"]')
    assert csv_link.is_displayed() and "/sparql?query=" in csv_link.get_attribute("href")
    heatmap = browser.find_element(By.CSS_SELECTOR, "#heatmap svg")
    assert heatmap.size["width"] > 400
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "web-page-thresholds.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000


def test_a_concept_page_in_the_browser(browser, site, code_iris):
    from selenium.webdriver.common.by import By

    browser.get(site + "/concept/gifts")
    columns = {column.find_element(By.TAG_NAME, "h4").text: column.text
               for column in browser.find_elements(By.CSS_SELECTOR, "#side-by-side .col")}
    assert len(columns) == len(code_iris) and GIFTS_VA in columns["Virginia DBHDS CPRS"]
    assert "not addressed" in columns["SUD CPRSS/CPRM"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-concept-gifts.png"))
