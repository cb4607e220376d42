"""The console in a real browser: headless Chromium, JavaScript off, the app served by uvicorn.

Skipped (with the reason) when Debian's chromium / chromium-driver are not installed:
``apt-get install -y chromium chromium-driver``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from console_helpers import make_admin, wire  # type: ignore[import-not-found]

from loopback import serve_in_thread
from resguardo.http.app import create_app
from resguardo.store.db import Database
from resguardo.store.schema import create_schema
from resguardo.testing import FrozenClock

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The network is closed: these flags stop Chromium's background connections and prompts.
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900",
)

_missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(_missing), reason=f"needs {' and '.join(_missing)} "
                       "(apt-get install -y chromium chromium-driver)"),
]


@dataclass
class Live:
    """A running console: its base URL, the owner's TOTP seed and the server's clock."""

    base: str
    seed: str
    clock: FrozenClock


async def _seed(url: str, clock: FrozenClock, data_dir: Path) -> str:
    """Schema and one enrolled owner, made through the domain functions (like the CLI)."""
    db = Database(url)
    try:
        await create_schema(db)
        services = wire(db, clock, data_dir)
        for hook in services.extras.get("startup", ()):
            await hook()
        seed = await make_admin(services, clock, "root", "owner")
        for hook in reversed(services.extras.get("shutdown", ())):
            await hook()
    finally:
        await db.dispose()
    assert seed is not None
    return seed


@pytest.fixture
def live_console(tmp_path: Path) -> Iterator[Live]:
    """The real app under uvicorn on a loopback port, in a thread with its own loop."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    seed_clock = FrozenClock()
    seed = asyncio.run(_seed(url, seed_clock, tmp_path))
    clock = FrozenClock(start=seed_clock.now())
    services = wire(Database(url), clock, tmp_path)
    services.extras.setdefault("shutdown", []).insert(0, services.db.dispose)
    with serve_in_thread(create_app(services), access_log=False) as port:
        yield Live(base=f"http://127.0.0.1:{port}", seed=seed, clock=clock)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with a fresh profile and JavaScript disabled (the console needs none)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.implicitly_wait(10)  # find_element waits for the page a click navigated to
    try:
        yield driver
    finally:
        driver.quit()


def _submit(driver: Any, form_action: str) -> None:
    """Click the submit button of the form posting to ``form_action``."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'form[action="{form_action}"] button[type=submit]'
                        ).click()


def _at(driver: Any, url: str) -> bool:
    """Wait for a navigation to land on ``url`` (a click returns before the next page loads)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(expected_conditions.url_to_be(url))
    return True


def test_sign_in_create_list_and_revoke_a_key_in_chromium(live_console: Live, browser: Any,
                                                          tmp_path: Path) -> None:
    """Password → TOTP → dashboard → create key (secret once) → listed → revoked → sign out."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    live, driver = live_console, browser
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver.get(live.base + "/console/keys")
    assert _at(driver, live.base + "/console/login")
    driver.find_element(By.ID, "username").send_keys("root")
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    _submit(driver, "/console/login")
    assert _at(driver, live.base + "/console/totp")
    driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(live.seed).at(live.clock.now()))
    _submit(driver, "/console/totp")
    assert _at(driver, live.base + "/console/dashboard")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    assert "Qualify inbound leads" in driver.page_source
    # The stylesheet loaded under the CSP: the header has its dark background.
    header = driver.find_element(By.CSS_SELECTOR, "header.top")
    assert header.value_of_css_property("background-color") == "rgba(20, 33, 61, 1)"
    driver.save_screenshot(str(shots / "dashboard.png"))

    driver.find_element(By.LINK_TEXT, "API keys").click()
    Select(driver.find_element(By.ID, "workflow")).select_by_value("leads")
    Select(driver.find_element(By.ID, "environment")).select_by_value("live")
    driver.find_element(By.ID, "name").send_keys("n8n production")
    _submit(driver, "/console/keys")
    secret = driver.find_element(By.ID, "secret").get_property("value")
    assert isinstance(secret, str) and secret.startswith("rsg_")
    key_id = driver.find_element(By.CSS_SELECTOR, ".facts code").text
    driver.save_screenshot(str(shots / "key-created.png"))
    driver.find_element(By.LINK_TEXT, "Done").click()

    assert _at(driver, live.base + "/console/keys")
    row = driver.find_element(By.XPATH, f'//tr[th/code[text()="{key_id}"]]')
    assert "active" in row.text and "n8n production" in row.text
    assert secret not in driver.page_source
    row.find_element(By.CSS_SELECTOR, f'form[action="/console/keys/{key_id}/revoke"] button'
                     ).click()
    assert _at(driver, live.base + "/console/keys?done=revoked")
    row = driver.find_element(By.XPATH, f'//tr[th/code[text()="{key_id}"]]')
    assert "revoked" in row.text and "Key revoked." in driver.page_source
    driver.save_screenshot(str(shots / "key-revoked.png"))

    _submit(driver, "/console/logout")
    assert _at(driver, live.base + "/console/login?signed_out=1")
    driver.get(live.base + "/console/dashboard")
    assert driver.current_url.startswith(live.base + "/console/login")
    refused = [e for e in driver.get_log("browser") if "Refused" in e.get("message", "")]
    assert refused == []  # nothing on any page broke the Content-Security-Policy
    assert all((shots / n).stat().st_size > 10_000
               for n in ("dashboard.png", "key-created.png", "key-revoked.png"))
