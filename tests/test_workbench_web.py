"""The workbench in a real headless Chromium: a scenario built with the form gets the expected
verdicts, and its link restores it; a provision page and a comparison show what the graph holds.
Screenshots are kept in the test artifacts folder for a reader to look at."""

import json
from .test_web import ARTIFACTS, browser, site  # noqa: F401 (fixtures)


def wait_for(browser, condition, seconds=30):
    """``condition`` polled until it holds; the verdicts are redrawn as the form changes, so an
    element found a moment ago may be gone by the time it is read: that counts as not yet."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.wait import WebDriverWait
    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, max(1600, browser.execute_script("return document.body.scrollHeight")))
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(ARTIFACTS / name))
    browser.set_window_size(1280, 1600)


def verdict_of(browser, code: str) -> str:
    """The verdict a code's card shows, read in one step of the page's own script, so that a redraw
    between finding the card and reading it cannot leave a stale element."""
    return browser.execute_script(
        "const card = document.querySelector(arguments[0]); return card ? card.dataset.verdict : '';",
        f'.verdict[data-code="{code}"]')


def test_a_scenario_built_with_the_form_gets_its_verdicts(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    browser.get(site + "/explore")
    wait_for(browser, lambda d: d.find_element(By.ID, "act1-kind"))
    Select(browser.find_element(By.ID, "act1-kind")).select_by_visible_text("gift accepted")
    amount = browser.find_element(By.ID, "act1-amount")
    amount.send_keys("40")
    Select(browser.find_element(By.ID, "act1-currency")).select_by_visible_text("US dollar")
    Select(browser.find_element(By.ID, "act1-withPerson")).select_by_visible_text("a person: person served")
    browser.find_element(By.ID, "act1-supervisorConsulted-doesNotHold").send_keys(Keys.SPACE)  # by keyboard
    # Illinois V-b: "Specialists shall not accept gifts valued over $25 … without consulting their Peer Supervisor".
    wait_for(browser, lambda d: verdict_of(d, "illinois-ncrs") == "violates")
    card = browser.find_element(By.CSS_SELECTOR, '.verdict[data-code="illinois-ncrs"]')
    assert "Illinois NCRS V – b" in card.text and "valued over $25" in card.text
    # Virginia Conduct 3 forbids gifts "of significant value" and sets no amount: needs judgment, naming the term.
    virginia = browser.find_element(By.CSS_SELECTOR, '.verdict[data-code="virginia-dbhds-cprs"]')
    assert verdict_of(browser, "virginia-dbhds-cprs") == "needs judgment" and "significant value" in virginia.text
    shot(browser, "explore-gift-40.png")

    amount.send_keys(Keys.CONTROL, "a")
    amount.send_keys("20")
    wait_for(browser, lambda d: verdict_of(d, "illinois-ncrs") == "complies")
    took = int(browser.find_element(By.ID, "verdicts").get_attribute("data-took"))
    assert took > 0

    # A second act: lending money to a person served. Virginia Conduct 4: "I will not lend or borrow
    # from the peers that I serve"; the scenario's verdict is the gravest of its acts'.
    browser.find_element(By.ID, "add-act").send_keys(Keys.ENTER)
    Select(browser.find_element(By.ID, "act2-kind")).select_by_visible_text("lending")
    Select(browser.find_element(By.ID, "act2-withPerson")).select_by_visible_text("a person: person served")
    wait_for(browser, lambda d: verdict_of(d, "virginia-dbhds-cprs") == "violates")
    assert "Virginia DBHDS CPRS Conduct 4" in browser.find_element(
        By.CSS_SELECTOR, '.verdict[data-code="virginia-dbhds-cprs"]').text
    assert verdict_of(browser, "illinois-ncrs") == "complies"
    browser.find_element(By.XPATH, "//button[text()='Remove act 2']").click()
    wait_for(browser, lambda d: verdict_of(d, "virginia-dbhds-cprs") == "needs judgment")

    shared = browser.current_url
    assert "#s=" in shared
    browser.get(site + "/")
    browser.get(shared)
    wait_for(browser, lambda d: verdict_of(d, "illinois-ncrs") == "complies")
    assert browser.find_element(By.ID, "act1-amount").get_attribute("value") == "20"
    assert browser.find_element(By.ID, "act1-supervisorConsulted-doesNotHold").is_selected()
    downloaded = browser.find_element(By.ID, "download-json").get_attribute("href")
    [scenario] = json.loads(_data(downloaded))
    assert scenario["act"][0]["amount"] == 20 and scenario["act"][0]["doesNotHold"] == ["supervisorConsulted"]
    assert "pg:amount 20" in _data(browser.find_element(By.ID, "download-turtle").get_attribute("href"))


def test_an_uploaded_turtle_file_fills_the_form(browser, site):
    from selenium.webdriver.common.by import By
    from .conftest import ROOT

    browser.get(site + "/explore")
    wait_for(browser, lambda d: d.find_element(By.ID, "act1-kind"))
    browser.find_element(By.ID, "upload").send_keys(str(ROOT / "data" / "scenarios" / "forms" / "gift-example.ttl"))
    wait_for(browser, lambda d: verdict_of(d, "illinois-ncrs") == "violates")
    assert browser.find_element(By.ID, "act1-amount").get_attribute("value") == "40"
    assert "gift card" in browser.find_element(By.ID, "scenario-title").get_attribute("value")


def test_a_circumstance_no_code_reads_for_the_act_survives_the_form(browser, site, tmp_path):
    from selenium.webdriver.common.by import By

    scenario = tmp_path / "law.ttl"
    scenario.write_text("""@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#law> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ; pg:amount 5 ; pg:currency pg:usDollar ;
    pg:holds pg:requiredByLaw ] .
<#p> a pg:PersonServed .
""")
    browser.get(site + "/explore")
    wait_for(browser, lambda d: d.find_element(By.ID, "act1-kind"))
    browser.find_element(By.ID, "upload").send_keys(str(scenario))
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".verdict"))
    assert browser.find_element(By.ID, "act1-requiredByLaw-holds").is_selected()
    [document] = json.loads(_data(browser.find_element(By.ID, "download-json").get_attribute("href")))
    assert document["act"][0]["holds"] == ["requiredByLaw"]


def test_several_people_and_a_family_link_survive_the_form(browser, site, tmp_path):
    from selenium.webdriver.common.by import By
    from .conftest import ROOT

    text = (ROOT / "data" / "scenarios" / "reporting.ttl").read_text()
    block = text[text.index("<#abuse-child-reported> a pg:Scenario"):]
    block = block[:block.index("\n\n")]
    scenario = tmp_path / "reported.ttl"
    scenario.write_text(text[:text.index("\n\n")] + "\n\n" + block + "\n")   # the prefixes, then the one scenario
    browser.get(site + "/explore")
    wait_for(browser, lambda d: d.find_element(By.ID, "act1-kind"))
    browser.find_element(By.ID, "upload").send_keys(str(scenario))
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".verdict"))
    [document] = json.loads(_data(browser.find_element(By.ID, "download-json").get_attribute("href")))
    act = document["act"][0]
    assert sorted(act["reportedTo"]) == ["protectiveAgency", "supervisor"]
    person = act["withPerson"]
    assert person["type"] == "FamilyMemberOfPersonServed" and person["isChild"] is True
    assert person["familyMemberOf"]["type"] == "PersonServed"


def test_the_explorer_is_labelled_offline_and_readable(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    browser.get(site + "/explore")
    wait_for(browser, lambda d: d.find_element(By.ID, "act1-kind"))
    Select(browser.find_element(By.ID, "act1-kind")).select_by_visible_text("gift accepted")
    unlabelled = browser.execute_script("""
        return [...document.querySelectorAll('input:not([type=hidden]), select')]
          .filter(f => !f.labels || f.labels.length === 0).map(f => f.id || f.name);""")
    assert unlabelled == []
    external = browser.execute_script("""
        return [...document.querySelectorAll('script[src], link[href], img[src]')]
          .map(e => e.src || e.href).filter(u => !u.startsWith(location.origin));""")
    assert external == []
    # WCAG AA: every text against the background it is drawn on, at least 4.5:1.
    low = browser.execute_script("""
        const rgb = c => c.match(/[\\d.]+/g).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                   .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
        const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                                   if (c.length < 4 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
        return [...document.querySelectorAll('body *')].filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
          .map(el => { const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
                       return [el.tagName + '.' + el.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; })
          .filter(([, ratio]) => ratio < 4.5);""")
    assert low == []


def _data(url: str) -> str:
    from urllib.parse import unquote
    assert url.startswith("data:")
    return unquote(url.partition(",")[2])



def test_a_provision_page_shows_its_text_and_its_neighbours(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/code/virginia-dbhds-cprs/conduct-3")
    text = browser.find_element(By.ID, "verbatim").text
    assert "I will not accept money or items of significant value from people that I serve." in text
    vague = browser.find_element(By.ID, "statements").text
    assert "\u201csignificant value\u201d" in vague and "needs judgment" in vague
    neighbours = browser.find_elements(By.CSS_SELECTOR, "#neighbours li")
    illinois = [n.text for n in neighbours if n.get_attribute("data-provision") == "V-b"]
    assert illinois and "valued over $25" in illinois[0] and "intersects with" in illinois[0]
    shot(browser, "provision-virginia-conduct-3.png")
    browser.find_element(By.ID, "raw").click()
    assert browser.find_element(By.ID, "statements").is_displayed()   # the raw page's statement table


def test_a_comparison_and_the_substantially_similar_view(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/compare?a=illinois-ncrs&b=virginia-dbhds-cprs")
    gifts = browser.find_element(By.CSS_SELECTOR, '#comparison tr[data-concept="gifts"]').text
    assert "valued over $25" in gifts and "significant value" in gifts and "intersects with" in gifts
    shot(browser, "compare-illinois-virginia.png")
    browser.find_element(By.ID, "similar-virginia-dbhds-cprs").click()
    conduct5 = browser.find_element(By.CSS_SELECTOR, 'tr[data-provision="conduct-5"]')
    assert conduct5.get_attribute("data-closeness") == "at least as broad" and "Illinois NCRS V – c" in conduct5.text
    summary = browser.find_element(By.ID, "summary").text
    assert "rests on a vague term" in summary and "substantially similar" in browser.find_element(By.TAG_NAME, "header").text
    shot(browser, "similar-illinois-to-virginia.png")


def test_the_results_table_keeps_verbatim_text_readable(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.select import Select

    browser.get(site + "/")
    wait_for(browser, lambda d: d.find_element(By.ID, "named-query").get_attribute("data-loaded"))
    Select(browser.find_element(By.ID, "named-query")).select_by_value("concept-side-by-side")
    browser.find_element(By.ID, "run").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "#result-table tbody tr")))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#result-table thead th")]
    column = headers.index("text") + 1
    widths = [cell.size["width"] for cell in browser.find_elements(By.CSS_SELECTOR, f"#result-table tbody td:nth-child({column})")]
    assert min(widths) >= 250, widths   # about 36 characters; it was about 80 px
    shot(browser, "results-concept-side-by-side.png")
