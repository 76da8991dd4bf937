"""Debian's Chromium under Playwright, set up once for the browser tests and the screenshots.

Playwright's own browser download does not work here, so it drives ``/usr/bin/chromium``.
The flags keep Chromium from reaching for Google's hosts (there is no network but
loopback) and let it run as root.
"""

from playwright.sync_api import Browser, BrowserContext, Playwright, Route

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The policy the page must work under (production will send it as a header).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def launch(playwright: Playwright) -> Browser:
    """Start headless Chromium from Debian's package."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def _add_policy(route: Route):
    if route.request.resource_type != "document":
        route.fallback()
        return
    response = route.fetch()
    if "content-security-policy" in response.headers:
        # The app sends its own: that is the one to run under.
        route.fulfill(response=response)
        return
    headers = {**response.headers, "content-security-policy": CONTENT_SECURITY_POLICY}
    route.fulfill(response=response, headers=headers)


def enforce_csp(context: BrowserContext, origin: str):
    """Serve every page of ``origin`` in ``context`` under a CSP: the app's, else the strict one."""
    context.route(f"{origin}/**", _add_policy)
