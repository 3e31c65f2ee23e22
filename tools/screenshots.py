"""The README's screenshots, taken from a running ``foiflow up`` with its demo portfolio:
``make screenshots`` (or ``python -m tools.screenshots [URL] [DATA_DIR]``).

Each person signs in through the sign-in page with the demo logins ``foiflow up`` wrote, as a
newcomer would, and each page is saved as a PNG under ``docs/screenshots/``. Debian's chromium,
never a downloaded browser.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import Browser, async_playwright

from services.identity import DEMO_LOGINS_FILE, read_demo_logins

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SEED_CASE = "01.FOI.23.031576"
# (file, who, path): a unit contact's inbox, the officer's seed case, the manager's dashboard.
SHOTS = (
    ("inbox.png", "tom-oduya", "/tasks"),
    ("case-page.png", "aisha-rahman", f"/cases/{SEED_CASE}"),
    ("dashboard.png", "olivia-grant", "/dashboard"),
)


async def shoot(browser: Browser, base_url: str, user: str, password: str, path: str) -> bytes:
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto("/sign-in")
    await page.fill("#username", user)
    await page.fill("#password", password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    response = await page.goto(path)
    if response is None or response.status != 200:
        raise SystemExit(f"{path} as {user}: {response.status if response else 'no response'}")
    shot = await page.screenshot(full_page=True)
    await context.close()
    return shot


async def main(base_url: str, data_dir: Path) -> None:
    passwords = read_demo_logins(data_dir / DEMO_LOGINS_FILE)
    if not passwords:
        raise SystemExit(f"no demo logins in {data_dir / DEMO_LOGINS_FILE}: is `make run` up?")
    OUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        for name, user, path in SHOTS:
            (OUT / name).write_bytes(await shoot(browser, base_url, user, passwords[user], path))
            print(f"docs/screenshots/{name}: {path} as {user}")
        await browser.close()


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / ".data"
    asyncio.run(main(url, data))
