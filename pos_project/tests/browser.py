"""Helpers for the browser tests (Playwright pages from conftest's `open_page`)."""

from accounts.tests.factories import PASSWORD


def sign_in(page, live_server, username, password=PASSWORD):
    """Sign `page` in through the sign-in form; it lands on the home page."""
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
