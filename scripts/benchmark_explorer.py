"""Benchmark the scenario explorer: how soon the verdicts come back after a change.

Serves the graph on loopback (as `peergraph serve` does) and times, over several changes of
one scenario (the amount of a gift accepted, stepped from 1 to RUNS):

- ``POST /check`` from a client on the same machine (the explorer's request, without the page);
- the page itself in headless Chromium, when chromium and chromedriver are installed: a key
  typed into the amount field until the verdict cards show the new answer (this includes the
  page's 120 ms wait for typing to pause, the request and the drawing of the cards);
- what a user would do without the explorer: write the scenario to a file and run
  ``peergraph check -f json`` on it, a new process per change.

Prints medians and 90th percentiles in milliseconds. Not a test: it reports figures. With
``--codes N [N ...]`` it measures, for each N, a synthetic corpus of N codes made and built in a
temporary folder (as ``scripts/benchmark_endpoint.py`` does; ``--reference-codes K`` aligns every
code with the first K only) instead of this checkout's data: every code answers each change.

    python scripts/benchmark_explorer.py [--runs 20] [--codes 5 50 250 [--reference-codes 5]]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peergraph.endpoint.server import serving  # noqa: E402
from peergraph.endpoint.service import Settings  # noqa: E402
from peergraph.graph.build import knowledge_graph  # noqa: E402
from peergraph.graph.layout import Layout  # noqa: E402
from scripts.benchmark_endpoint import add_corpus_options, corpora, corpus_options_error  # noqa: E402
from scripts.make_synthetic_corpus import ROOT  # noqa: E402


def scenario(amount: int) -> list[dict]:
    return [{"type": "Scenario", "id": "#scenario", "act": [{
        "type": "GiftAccepted", "amount": amount, "currency": "usDollar",
        "withPerson": {"id": "#scenario-act1-withPerson", "type": "PersonServed"},
        "doesNotHold": ["supervisorConsulted"]}]}]


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"{name:<52} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   ({len(ms)} changes)"


def over_http(url: str, runs: int) -> list[float]:
    post = lambda amount: urllib.request.urlopen(urllib.request.Request(
        url + "/check", data=json.dumps(scenario(amount)).encode(), method="POST",
        headers={"Content-Type": "application/json"}), timeout=60).read()
    post(0)   # the first check loads the verdict shapes
    times = []
    for amount in range(1, runs + 1):
        started = time.perf_counter()
        post(amount)
        times.append(time.perf_counter() - started)
    return times


def in_chromium(url: str, runs: int) -> list[float] | None:
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    if chromium is None or shutil.which("chromedriver") is None:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.wait import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    try:
        driver.get(url + "/explore#s=" + urllib.request.quote(json.dumps(scenario(0)[0])))
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".verdict"))
        amount = driver.find_element(By.ID, "act1-amount")
        times = []
        for step in range(1, runs + 1):
            drawn = int(driver.find_element(By.ID, "verdicts").get_attribute("data-checked") or 0)
            amount.send_keys(Keys.CONTROL, "a")
            started = time.perf_counter()
            amount.send_keys(str(step))
            WebDriverWait(driver, 30, poll_frequency=0.005).until(
                lambda d: int(d.find_element(By.ID, "verdicts").get_attribute("data-checked") or 0) > drawn)
            times.append(time.perf_counter() - started)
        return times
    finally:
        driver.quit()


def by_command(root: Path, runs: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.json"
        for amount in range(1, runs + 1):
            path.write_text(json.dumps(scenario(amount)))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(root), "check", "-f", "json",
                            str(path)], capture_output=True, check=False)
            times.append(time.perf_counter() - started)
    return times


def measure(root: Path, runs: int) -> None:
    """Print the figures of the project at ``root``, its release built."""
    layout = Layout(root)
    store = knowledge_graph(layout)
    with serving(store, layout, Settings(workers=1)) as url:
        print(figures("POST /check (loopback client)", over_http(url, runs)))
        browser = in_chromium(url, runs)
        print(figures("explorer page in Chromium, key typed to verdict shown", browser) if browser
              else "explorer page in Chromium: not measured (chromium or chromedriver missing)")
    print(figures("`peergraph check -f json` on a file, a process each", by_command(root, max(3, runs // 4))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="changes to time (default: 20)")
    add_corpus_options(parser)
    args = parser.parse_args()
    problem = corpus_options_error(args)
    if problem:
        parser.error(problem)
    if args.codes is None:
        return measure(ROOT, args.runs)
    for what, projects in corpora(args.codes, args.reference_codes, [ROOT]):
        print(what)
        measure(projects[ROOT], args.runs)


if __name__ == "__main__":
    main()
