"""费用中心 and 用量统计 in Chromium: buy a pack with confirmation, watch the usage chart move
without reloading, request an invoice, issue it as an operator, download the PDF."""

import pytest
from django.utils import timezone

from tests.billing.conftest import make_calls, top_up
from tests.conftest import PASSWORD, wait_until

pytestmark = [pytest.mark.browser]


def _login(page, username: str) -> None:
    # Not tests.conftest.browser_login: its "button[type=submit]" now hits the language switch first.
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_buys_watches_usage_and_invoices(page, browser, live_server, alice, operator):
    top_up(alice.account, 2_000_000, operator)
    _login(page, "alice-owner")

    page.click("[data-nav=billing]")
    assert "20,000.00" in page.inner_text("[data-testid=balance]")
    page.click("text=购买")
    page.select_option("#id_price_code", "pack_1m")
    page.fill("#id_quantity", "1")
    page.click("button:has-text('下一步')")
    assert "16,000.00" in page.inner_text("[data-testid=price]")
    assert "4,000.00" in page.inner_text("[data-testid=balance-after]")
    page.click("button:has-text('用余额支付')")
    assert "已支付" in page.inner_text(".messages")

    page.click("[data-nav=usage]")
    page.wait_for_selector("#usage-chart")
    wait_until(page, "() => document.getElementById('usage-chart').dataset.total === '0'")
    url = page.url
    make_calls(alice.account, 3, now=timezone.now(), campaign="at_browser")
    wait_until(page, "() => document.getElementById('usage-chart').dataset.total === '3'", timeout_ms=10_000)
    assert page.url == url  # no reload: the page polled
    assert page.inner_text("[data-testid=total-calls]") == "3"
    assert "at_browser" in page.inner_text("#by-campaign")
    assert "秒前更新" in page.inner_text("[data-testid=usage-fresh]")

    page.goto(page.base_url + "/billing/invoices/")
    page.fill("#id_title", "Alice 科技有限公司")
    page.fill("#id_tax_id", "91310000MA1234567X")
    page.fill("#id_email", "finance@alice.example")
    page.click("button:has-text('申请开票')")
    assert "已申请" in page.inner_text("[data-testid=invoice-row]")

    ops_context = browser.new_context(locale="zh-CN")
    ops = ops_context.new_page()
    ops.base_url = page.base_url
    _login(ops, "ops-1")
    ops.goto(ops.base_url + "/billing/ops/invoices/")
    ops.on("dialog", lambda dialog: dialog.accept())
    ops.click("[data-testid=pending-invoice] button:has-text('开具')")
    assert "已开具" in ops.inner_text(".messages")
    ops_context.close()

    page.reload()
    with page.expect_download() as info:
        page.click("[data-testid=invoice-pdf]")
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
