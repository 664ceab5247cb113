"""Browser tests in Debian's Chromium: sign-in, navigation, assets offline."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from conftest import VIEWPORTS
from pos_project.tests.browser import sign_in

pytestmark = pytest.mark.browser


STAFF_NAV = ["Home", "Till", "Sales", "Repairs", "Customers", "Billing", "Products"]
NAV = {
    Role.USER: STAFF_NAV,
    Role.ADMIN: [*STAFF_NAV[:-1], "Reports", "Products", "Stock", "Admin"],
    Role.SUPER_ADMIN: [*STAFF_NAV[:-1], "Reports", "Products", "Stock", "Admin"],
}


@pytest.fixture
def shop(transactional_db):
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC Repair"
    shop.address = "12 Market Street"
    shop.save()
    return shop


ADMIN_MENU = {
    Role.ADMIN: ["Staff", "Django admin"],
    Role.SUPER_ADMIN: ["Staff", "Shop settings", "API tokens", "Django admin"],
}


def nav_labels(page):
    return [
        t.strip() for t in page.locator("[data-testid=nav] .nav-link").all_inner_texts()
    ]


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN, Role.SUPER_ADMIN])
def test_each_role_signs_in_and_sees_its_navigation(
    open_page, live_server, shop, role, artifacts
):
    user = UserFactory(username=f"browser-{role}", role=role)
    for device in VIEWPORTS:
        page = open_page(device)
        sign_in(page, live_server, user.username)
        if page.locator(".navbar-toggler").is_visible():  # collapsed below 992 px
            page.click(".navbar-toggler")
            page.locator("#nav-main").wait_for(state="visible")
        assert nav_labels(page) == NAV[role]
        if role in ADMIN_MENU:
            toggle = page.locator(
                "[data-testid=nav] .dropdown-toggle", has_text="Admin"
            )
            items = page.locator("[data-testid=nav] .dropdown-menu.show .dropdown-item")
            for _ in range(3):  # a click during the menu's slide-open can be lost
                toggle.click()
                try:
                    items.first.wait_for(state="visible", timeout=2000)
                    break
                except PlaywrightTimeout:
                    continue
            assert [t.strip() for t in items.all_inner_texts()] == ADMIN_MENU[role]
            page.keyboard.press("Escape")
        assert page.locator("h1").inner_text().startswith("Hello")
        page.screenshot(path=artifacts / f"home-{role}-{device}.png", full_page=True)


def test_sign_in_page_looks_right_on_every_device(
    open_page, live_server, shop, artifacts
):
    for device in VIEWPORTS:
        page = open_page(device)
        page.goto(f"{live_server.url}/sign-in/")
        form = page.locator("form")
        assert form.is_visible()
        box = form.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= VIEWPORTS[device]["width"]
        page.screenshot(path=artifacts / f"sign-in-{device}.png", full_page=True)


def test_a_wrong_password_shows_a_clear_message(open_page, live_server, shop):
    UserFactory(username="clumsy", role=Role.USER)
    page = open_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", "clumsy")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert (
        "correct username and password"
        in page.locator("[data-testid=login-error]").inner_text()
    )


def assert_styled_by_the_local_copies(page):
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    # Bootstrap's stylesheet is there: the navbar is dark, <body class="d-flex">
    # a flex box.
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.navbar')).backgroundColor"
    )
    assert background == "rgb(33, 37, 41)"
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"
    # Icons too.
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")
    # The chart drew this sign-in as today's bar.
    assert (
        page.evaluate(
            "document.getElementById('sign-in-chart').chart.data.datasets[0].data.at(-1)"
        )
        == 1
    )


def test_pages_are_styled_offline_and_ask_nothing_from_outside(
    open_page, live_server, shop, artifacts
):
    UserFactory(username="boss", role=Role.ADMIN)
    page = open_page()
    # As in a shop whose internet is down: only this machine answers (conftest
    # also fails the test on any request to outside).
    page.context.route(
        re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/])"),
        lambda route: route.abort("internetdisconnected"),
    )
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, live_server, "boss")
    page.wait_for_function(
        "() => document.getElementById('sign-in-chart').chart !== undefined"
    )
    assert_styled_by_the_local_copies(page)
    page.screenshot(path=artifacts / "home-offline.png", full_page=True)
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert not outside
    assert any("/static/vendor/bootstrap-5.3.8/" in url for url in requested)


def test_with_the_cdn_on_and_unreachable_the_local_copies_take_over(
    open_page, live_server, shop, settings, browser_errors, artifacts
):
    from pos_project.assets import CDN_ORIGIN
    from pos_project.content_policy import directives

    settings.STATIC_CDN = True
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives(cdn=CDN_ORIGIN)}
    # The CDN's files fail to load (conftest answers no request to outside).
    browser_errors.allow(r"cdn\.jsdelivr\.net|ERR_INTERNET_DISCONNECTED")
    UserFactory(username="boss", role=Role.ADMIN)
    page = open_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    sign_in(page, live_server, "boss")
    page.wait_for_function(
        "() => document.getElementById('sign-in-chart').chart !== undefined"
    )
    assert_styled_by_the_local_copies(page)
    assert {url.split("/npm/")[1].split("@")[0] for url in failed} == {
        "bootstrap",
        "bootstrap-icons",
        "htmx.org",
        "chart.js",
    }
    page.screenshot(path=artifacts / "home-cdn-unreachable.png", full_page=True)


def test_the_browser_finds_the_favicon(open_page, live_server, shop):
    page = open_page()
    page.goto(f"{live_server.url}/sign-in/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").ok
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.ok
    assert response.headers["content-type"].startswith("image/")
