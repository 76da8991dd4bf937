"""Take the README's pictures of the page: docs/screenshot-logged-out.png and -logged-in.png.

Serves the app under gunicorn (as the browser tests do) on a throwaway SQLite database,
signs up through the page in Debian's Chromium, and saves both views.

    .venv/bin/python scripts/screenshot.py
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from devtools.processes import app_server  # noqa: E402
from tests.browser.chromium import enforce_csp, launch  # noqa: E402

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1100, "height": 780}
USER = {
    "user_name": "spchuang",
    "first_name": "Sam",
    "last_name": "Chuang",
    "email": "test@gmail.com",
    "password": "Tulip-Orbit-Canyon-71",
    "confirm": "Tulip-Orbit-Canyon-71",
}


def migrate(database_url):
    """Bring a new database to the current schema, as an operator would."""
    subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
    )


def shoot(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
            enforce_csp(context, base_url)
            page = context.new_page()
            page.goto("/")
            expect(page.locator("#logged-out-view")).to_be_visible()
            page.screenshot(path=DOCS / "screenshot-logged-out.png")
            for name, value in USER.items():
                page.locator(f"#signup-form [name={name}]").fill(value)
            page.locator("#signup-form [type=submit]").click()
            expect(page.locator("#welcome")).to_have_text(f"Welcome, {USER['first_name']}")
            page.locator("#welcome").blur()
            # The view is short: crop the empty page below it.
            view = page.locator("#logged-in-view").bounding_box()
            bottom = min(VIEWPORT["height"], view["y"] + view["height"] + 40)
            page.screenshot(
                path=DOCS / "screenshot-logged-in.png",
                clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": bottom},
            )
        finally:
            browser.close()


def main():
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'screenshot.db'}"
        migrate(database_url)
        with app_server(
            database_url, Path(tmp) / "gunicorn.log", public_host="localhost"
        ) as server:
            shoot(server.url)
    for name in ("screenshot-logged-out.png", "screenshot-logged-in.png"):
        print(DOCS / name)


if __name__ == "__main__":
    main()
