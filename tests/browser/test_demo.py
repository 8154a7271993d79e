"""Browser test of `nsync demo` in headless Chromium (Debian's package; nothing is downloaded).

Walks the demo as a new administrator does: signs in, tests the connection, opens Import
Customers, searches, reads what Import will add, Select all, Import; renames a project,
inactivates a customer and gives others hostile names (HTML, script, a bidi override) through
the emulator's control API; previews and applies Update; opens the run and filters it; opens the
tree from the keyboard, removes an option here and restores it; sees the new name, the badges and
the hostile names as text everywhere, where none of them ran. Then every page at 1400 px and at
390 px: no sideways scrolling at 390 px, and axe-core (npm, injected into the page) finds no
violation of serious or critical impact. Screenshots of each page at both widths go to
target/browser-artifacts/ (or to $NSYNC_SCREENSHOTS: `bash scripts/screenshots` writes
docs/screenshots/).

Run: cargo build -p nsync && (cd tests/browser && npm ci) && python3 tests/browser/test_demo.py
Needs: apt-get install -y chromium chromium-driver; pip install selenium.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("NSYNC_BIN", os.path.join(ROOT, "target", "debug", "nsync"))
ARTIFACTS = os.environ.get("NSYNC_SCREENSHOTS") or os.path.join(ROOT, "target", "browser-artifacts")
AXE = os.path.join(ROOT, "tests", "browser", "node_modules", "axe-core", "axe.min.js")
WIDTHS = (1400, 390)
XSS = "<img src=x onerror=alert(1)>"
# More hostile names: each sets a flag if it ever runs; the bidi override must show as text too.
HOSTILE = [
    "<script>window.__pwned=1</script>",
    '"><svg onload="window.__pwned=1">',
    "<a href=javascript:window.__pwned=1>x</a>",
    "\u202egnp.exe Invoice",
]


def start_demo(data_dir):
    proc = subprocess.Popen(
        [BIN, "demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("nsync demo printed nothing; is the binary built? (" + BIN + ")")
    return proc, json.loads(line)


def call(url, method="GET", body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def mutate(demo, change):
    url = "%s/_emulator/accounts/%s/mutations" % (demo["emulator_url"], demo["account_id"])
    return call(url, "POST", change)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def shot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))


def axe_violations(driver):
    """Serious and critical violations axe-core finds on the page as it is now."""
    with open(AXE, encoding="utf-8") as f:
        driver.execute_script(f.read())
    found = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
        "  done(r.violations.map(function (v) { return {id: v.id, impact: v.impact, help: v.help,"
        "    nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' '); })}; }));"
        "}).catch(function (e) { done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]); });"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def sweep(driver, url, pages):
    """Every page at each width: no sideways scrolling on a phone, no serious a11y violation."""
    problems = []
    for width in WIDTHS:
        driver.set_window_size(width, 1000)
        for name, path in pages:
            driver.get(url + path)
            WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
            time.sleep(0.3)  # htmx's load triggers (the subsidiary's name) settle
            assert driver.title and "nsync" in driver.title, path
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append("%s at %d px scrolls sideways by %d px" % (path, width, overflow))
            for v in axe_violations(driver):
                problems.append("%s at %d px: %s (%s) %s: %s" % (path, width, v["id"], v["impact"], v["help"], v["nodes"]))
            shot(driver, "%s-%d" % (name, width))
    driver.set_window_size(WIDTHS[0], 1000)
    assert not problems, "\n".join(problems)


def wait_text(driver, css, text, timeout=30):
    WebDriverWait(driver, timeout).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def main():
    data_dir = tempfile.mkdtemp(prefix="nsync-browser-")
    proc, demo = start_demo(data_dir)
    driver = None
    try:
        url, token = demo["url"], demo["api_token"]
        driver = browser()
        wait = WebDriverWait(driver, 30)

        driver.get(url + "/signin")
        driver.find_element(By.NAME, "email").send_keys(demo["admin_email"])
        driver.find_element(By.NAME, "password").send_keys(demo["admin_password"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(EC.url_contains("/integration"))
        shot(driver, "01-integration")

        driver.find_element(By.XPATH, "//button[contains(., 'Test connection')]").click()
        wait_text(driver, "#test-result", "Connected to NetSuite account")

        driver.find_element(By.ID, "open-import").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[name=records]")))
        first = driver.find_element(By.CSS_SELECTOR, "input[name=records]")
        first.click()
        wait_text(driver, "#import-summary", "Import will add 1 customer and")
        first.click()
        # A search narrows the list; emptied, the list is whole again.
        name = first.find_element(By.XPATH, "..").text.strip()
        box = driver.find_element(By.NAME, "search")
        box.send_keys(name[:5])
        WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#candidate-rows input[name=records]")) >= 1
                                        and all(name[:5].lower() in e.text.lower() for e in d.find_elements(By.CSS_SELECTOR, "#candidate-rows > ul > li label")))
        box.send_keys(Keys.CONTROL + "a", Keys.DELETE)
        WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#candidate-rows > ul > li label")) > 1)
        driver.find_element(By.ID, "select-all").click()
        wait_text(driver, "#selected-count", "everything selected")
        wait_text(driver, "#import-summary", "Import will add")
        shot(driver, "02-import-customers")
        driver.find_element(By.ID, "import-button").click()
        wait_text(driver, "#import-result .run-status", "Succeeded")
        shot(driver, "03-imported")

        field = call(url + "/api/v1/fields", token=token)["fields"][0]["id"]
        top = call("%s/api/v1/fields/%d/options?limit=500" % (url, field), token=token)["options"]
        customer = next(o for o in top if o["upstream"].startswith("customer:"))
        projects = []
        for option in top:
            below = call("%s/api/v1/fields/%d/options?parent=%d" % (url, field, option["id"]), token=token)["options"]
            projects = [o for o in below if o["upstream"].startswith("project:")]
            if projects:
                parent = option
                break
        assert projects, "the demo tree has projects"
        project = projects[0]
        # The customer made inactive is not the renamed project's: what sits under an inactive
        # option is not offered by the search, and the search must find the new name.
        customer = next(o for o in top if o["upstream"].startswith("customer:") and o["id"] != parent["id"])
        time.sleep(1.1)  # NetSuite stamps changes by the second: keep them after the import's read
        mutate(demo, {"op": "rename", "kind": "project", "id": int(project["upstream"].split(":")[1]), "name": "Renamed by the browser test"})
        mutate(demo, {"op": "set_inactive", "kind": "customer", "id": int(customer["upstream"].split(":")[1]), "inactive": True})
        # A person customer has no Company Name to rename: take company customers.
        names = [XSS] + HOSTILE
        for victim in (o for o in top if o["id"] != customer["id"] and o["upstream"].startswith("customer:")):
            if not names:
                break
            try:
                mutate(demo, {"op": "rename", "kind": "customer", "id": int(victim["upstream"].split(":")[1]), "name": names[0]})
                names.pop(0)
            except urllib.error.HTTPError:
                continue
        assert not names, "company customers to rename"
        time.sleep(1.1)

        driver.get(url + "/integration")
        driver.find_element(By.ID, "preview-update").click()
        wait.until(EC.presence_of_element_located((By.ID, "apply-update")))
        shot(driver, "04-update-preview")
        preview = driver.find_element(By.ID, "update-result").text
        assert "Renamed by the browser test" in preview, preview
        driver.find_element(By.ID, "apply-update").click()
        wait_text(driver, "#update-result .run-status", "Succeeded")

        driver.get(url + "/field")
        search = driver.find_element(By.NAME, "q")
        search.send_keys("Renamed by the browser")
        wait_text(driver, "#hits", "Renamed by the browser test")
        shot(driver, "05-field-search")
        tree = driver.find_element(By.ID, "option-tree").text
        assert "Inactive in NetSuite" in tree, "the inactive badge shows"
        assert XSS in tree, "the HTML name shows as text"
        assert not driver.find_elements(By.CSS_SELECTOR, "#option-tree img"), "no element was injected"
        for name in HOSTILE[:3]:
            assert name in tree, "the hostile name shows as text: " + name
        shot(driver, "06-field-tree")
        # The run's change list, the runs list and the audit log show the names too: nothing runs.
        runs = call("%s/api/v1/integrations/%d/runs" % (url, demo["integration_id"]), token=token)["runs"]
        for page in ["/runs/%d" % runs[0]["id"], "/runs", "/audit", "/integration"]:
            driver.get(url + page)
            assert driver.execute_script("return window.__pwned") is None, "a name ran as code on " + page
            # The runs table draws its bars as svg.bar; any other svg or inline script came from a name.
            assert not driver.find_elements(By.CSS_SELECTOR, "main svg:not(.bar):not(.chart), main script:not([src])"), page
        shot(driver, "07-run-changes")

        # The run of the update, filtered to its renames.
        update_run = runs[0]["id"]
        driver.get("%s/runs/%d" % (url, update_run))
        assert "Started by" in driver.page_source
        Select(driver.find_element(By.NAME, "kind")).select_by_value("renamed")
        driver.find_element(By.XPATH, "//form[contains(@class,'filter')]//button").click()
        wait.until(EC.url_contains("kind=renamed"))
        table = driver.find_element(By.CSS_SELECTOR, "table.changes").text
        assert "Renamed by the browser test" in table and "Deactivated" not in table, table

        # The tree from the keyboard: open a customer's projects and close them again.
        driver.get(url + "/field")
        toggle = driver.find_element(By.CSS_SELECTOR, "#option-tree button.toggle")
        toggle.send_keys(Keys.ENTER)
        kids = "#" + toggle.get_attribute("aria-controls")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, kids + " li")))
        assert toggle.get_attribute("aria-expanded") == "true"
        toggle.send_keys(Keys.ENTER)
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not driver.find_element(By.CSS_SELECTOR, kids).is_displayed()

        # Remove an option here and restore it, from its menu.
        row = driver.find_element(By.CSS_SELECTOR, "#option-tree > ul > li")
        row_id = row.get_attribute("id")
        row.find_element(By.CSS_SELECTOR, "details.menu summary").click()
        row.find_element(By.XPATH, ".//button[contains(., 'Remove here')]").click()
        WebDriverWait(driver, 10).until(EC.alert_is_present())
        driver.switch_to.alert.accept()
        wait_text(driver, "#" + row_id, "Removed here")
        row = driver.find_element(By.ID, row_id)
        row.find_element(By.CSS_SELECTOR, "details.menu summary").click()
        row.find_element(By.XPATH, ".//button[contains(., 'Restore here')]").click()
        # Read by id each time: the row is swapped out under a held reference.
        row_text = "var e = document.getElementById(arguments[0]); return e ? e.textContent : '';"
        WebDriverWait(driver, 10).until(lambda d: "Restore here" not in d.execute_script(row_text, row_id)
                                        and "Remove here" in d.execute_script(row_text, row_id))

        # Every page, on a wide screen and on a phone.
        sweep(driver, url, [
            ("integration", "/integration"),
            ("field", "/field"),
            ("runs", "/runs"),
            ("run", "/runs/%d" % update_run),
            ("audit", "/audit"),
            ("webhooks", "/webhooks"),
            ("password", "/account/password"),
            ("not-found", "/no/such/page"),
        ])
        print("browser test: 1 passed, 0 failed")
    except Exception:
        if driver is not None:
            shot(driver, "failure")
        raise
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
