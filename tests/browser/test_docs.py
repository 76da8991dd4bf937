"""The API reference at /docs: Swagger UI in Chromium, under the app's own policy."""

from playwright.sync_api import expect

from tests.contract import DOCUMENT, OPERATIONS

LISTED = [(method.upper(), path) for method, path, _ in OPERATIONS]


def listed_operations(page):
    page.goto("/docs")
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(LISTED))
    methods = page.locator(".opblock-summary-method").all_inner_texts()
    paths = [
        path.get_attribute("data-path") for path in page.locator(".opblock-summary-path").all()
    ]
    return list(zip(methods, paths, strict=True))


def test_the_reference_lists_every_operation(page):
    """And nothing the browser reports: no policy violation, no error, no other host."""
    assert sorted(listed_operations(page)) == sorted(LISTED)


def test_the_reference_shows_the_documents_title(page):
    page.goto("/docs")
    expect(page.locator(".info .title")).to_contain_text(DOCUMENT["info"]["title"])


def test_an_operation_opens_to_its_answers(page):
    listed_operations(page)
    page.locator(".opblock-summary", has_text="/api/auth/login").click()
    answers = page.locator(".opblock.is-open .responses-table tbody .response-col_status")
    expect(answers.first).to_be_visible()
    statuses = {text.strip() for text in answers.all_inner_texts()}
    assert statuses == set(DOCUMENT["paths"]["/api/auth/login"]["post"]["responses"])
