"""The production profile in real Chromium: started with README's commands, the sign-in page is
styled by the hashed stylesheet, its scripts run, nothing fails to load, and an operator signs in
(password, then the code) and opens the read-only admin at ADMIN_PATH."""

import pytest

from tests.conftest import PASSWORD, browser_mfa_verify, mfa_enrol
from tests.production_stack import live_database_url, production_stack

pytestmark = [pytest.mark.browser]

PORT = 8142


def test_it_serves_a_styled_working_console_in_production(browser, transactional_db, settings, tmp_path):
    from console import services

    # Production checks passwords with its own hashers, not the test profile's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    mfa_enrol(services.operator_create(username="ops-prod", password=PASSWORD))
    # The reverse proxy README describes terminates TLS and says so in X-Forwarded-Proto. Here the
    # browser talks plain HTTP to gunicorn, so its Origin is http://; trusting it stands in for TLS.
    origin = f"http://127.0.0.1:{PORT}"
    with production_stack(tmp_path, database_url=live_database_url(), port=PORT,
                          DJANGO_CSRF_TRUSTED_ORIGINS=origin, ADMIN_PATH="ops-7f3k/admin") as stack:
        context = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-Proto": "https"})
        context.set_default_timeout(15_000)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        try:
            page.goto(stack.base_url + "/login/")
            card = page.locator(".auth-card")
            # console.css gives the card its width and border: the stylesheet was served and applied.
            assert card.evaluate("e => getComputedStyle(e).maxWidth") == "380px"
            assert page.evaluate("typeof window.htmx") == "object"
            page.fill("#id_username", "ops-prod")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            browser_mfa_verify(page, "ops-prod")
            assert "/ops/" in page.url or "/materials/review/" in page.url, page.url
            assert page.locator("nav.sidebar").is_visible()
            page.screenshot(path="/tmp/production_operator.png", full_page=True)
            # The read-only admin, at the deployment's own ADMIN_PATH, styled and scripted from the
            # hashed static files under the same Content-Security-Policy.
            page.goto(stack.base_url + "/ops-7f3k/admin/billing/usagerecord/")
            assert page.locator("#changelist").is_visible() and page.locator("#searchbar").is_visible()
            page.screenshot(path="/tmp/production_admin.png", full_page=True)
        finally:
            context.close()
        assert not problems, problems
