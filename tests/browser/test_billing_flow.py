"""费用中心 and 用量统计 in Chromium: a customer with no balance remits offline, an operator confirms
it, the customer buys the pack; usage moves without reloading and names its campaigns and materials;
a 专票 is requested, issued (with a progress note) and downloaded as a PDF carrying the tax lines."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.billing.conftest import BUYER_TAX_ID, make_calls, top_up
from tests.billing.test_payments import voucher_png
from tests.conftest import PASSWORD, browser_mfa_verify, wait_until

pytestmark = [pytest.mark.browser]
SHOTS = "/tmp/shots"


def _login(page, username: str) -> None:
    # Not tests.conftest.browser_login: its "button[type=submit]" now hits the language switch first.
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    browser_mfa_verify(page, username)


def _operator_page(browser, base_url, width=1440):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = base_url
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_remittance_confirmed_by_an_operator_buys_the_pack(page, browser, live_server, alice, operator, seller,
                                                             tmp_path):
    from billing.models import Pack, Payment

    voucher = tmp_path / "回单.png"
    voucher.write_bytes(voucher_png())
    page.set_viewport_size({"width": 1440, "height": 900})
    _login(page, "alice-owner")
    page.click("[data-nav=billing]")
    page.click("text=购买")
    page.select_option("#id_price_code", "pack_1m")
    page.click("button:has-text('下一步')")
    assert "余额不足" in page.inner_text("[data-testid=balance-after]")
    assert "还差 ¥16,000.00" in page.inner_text("[data-testid=short]")
    assert page.locator("button:has-text('用余额支付')").is_disabled()
    page.screenshot(path=f"{SHOTS}/desk-buy-short-zh.png", full_page=True)

    page.click("[data-testid=remit]")
    assert page.input_value("#id_amount") == "16000.00"
    assert "招商银行上海分行" in page.inner_text("[data-testid=bank]")
    page.fill("#id_bank_reference", "CMB20261201-0001")
    page.set_input_files("#id_voucher", str(voucher))
    page.screenshot(path=f"{SHOTS}/desk-payments-zh.png", full_page=True)
    page.click("[data-testid=remit-submit]")
    assert "已提交" in page.inner_text(".messages")
    number = Payment.objects.get(account=alice.account).number
    assert "待确认" in page.inner_text(f"tr[data-payment='{number}']")

    ops_context, ops = _operator_page(browser, page.base_url)
    _login(ops, "ops-1")
    assert ops.url.endswith("/materials/review/")  # operators start where the work waits
    ops.click("[data-nav=billing_ops]")
    assert ops.inner_text("h1") == "计费运营"
    row = ops.locator(f"[data-testid=pending-payment][data-payment='{number}']")
    assert "16,000.00" in row.inner_text() and "CMB20261201-0001" in row.inner_text()
    ops.screenshot(path=f"{SHOTS}/desk-ops-payments-zh.png", full_page=True)
    row.locator("button:has-text('确认到账')").click()
    assert "已确认" in ops.inner_text(".messages")
    ops_context.close()

    page.click("[data-nav=billing]")
    assert "16,000.00" in page.inner_text("[data-testid=balance]")
    page.click("text=购买")
    page.select_option("#id_price_code", "pack_1m")
    page.click("button:has-text('下一步')")
    assert "¥0.00" in page.inner_text("[data-testid=balance-after]")
    page.click("button:has-text('用余额支付')")
    assert "已支付" in page.inner_text(".messages")
    pack = Pack.objects.get(account=alice.account, kind="paid")
    assert pack.calls_total == 1_000_000
    page.click("[data-nav=billing]")
    assert "资源包 100万次" in page.inner_text("main")


def test_usage_names_campaigns_and_materials_and_fits_1440(page, live_server, alice):
    from campaigns.services import campaign_create

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="双十一活动")
    page.set_viewport_size({"width": 1440, "height": 900})
    _login(page, "alice-owner")
    page.click("[data-nav=usage]")
    wait_until(page, "() => document.getElementById('usage-chart').dataset.total === '0'")
    url = page.url
    make_calls(alice.account, 3, now=timezone.now(), campaign=campaign.project_id, material="mt_gone")
    wait_until(page, "() => document.getElementById('usage-chart').dataset.total === '3'", timeout_ms=10_000)
    assert page.url == url  # no reload: the page polled
    assert page.inner_text("[data-testid=total-calls]") == "3"
    by_campaign = page.inner_text("#by-campaign")
    assert "双十一活动" in by_campaign and campaign.project_id in by_campaign
    assert "已删除" in page.inner_text("#by-material")
    assert "秒前更新" in page.inner_text("[data-testid=usage-fresh]")
    # Every column, the last (不计费) included, shows without scrolling at 1440 px.
    for table in page.locator(".usage-table").all():
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
        assert table.locator("th").last.is_visible()
    page.screenshot(path=f"{SHOTS}/desk-usage-zh.png", full_page=True)


def test_a_special_invoice_is_requested_issued_and_downloaded_with_its_tax_lines(page, browser, live_server,
                                                                                 alice, operator, seller):
    from billing.services import order_create

    top_up(alice.account, 2_000_000, operator)
    order = order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user)
    page.set_viewport_size({"width": 1440, "height": 900})
    _login(page, "alice-finance")
    page.goto(page.base_url + "/billing/invoices/")
    assert page.locator("[data-special-fields]").is_hidden()  # only for 专票
    page.check("input[name=kind][value=special]")
    assert page.locator("[data-special-fields]").is_visible()
    page.fill("#id_title", "Alice 科技有限公司")
    page.fill("#id_tax_id", "91310000MA1234567X")  # mistyped: its check character is wrong
    page.fill("#id_email", "finance@alice.example")
    page.click("button:has-text('申请开票')")
    assert "校验位" in page.inner_text("form#invoice-form")
    page.fill("#id_tax_id", BUYER_TAX_ID)
    page.check("input[name=kind][value=special]")
    page.fill("#id_buyer_address", "北京市海淀区中关村大街 1 号")
    page.fill("#id_buyer_phone", "010-87654321")
    page.fill("#id_buyer_bank", "工商银行北京分行")
    page.fill("#id_buyer_bank_account", "0200000000001234")
    assert page.is_checked(f"input[name=orders][value='{order.id}']")
    page.screenshot(path=f"{SHOTS}/desk-invoice-request-zh.png", full_page=True)
    page.click("button:has-text('申请开票')")
    assert "已申请" in page.inner_text("[data-testid=invoice-row]")

    ops_context, ops = _operator_page(browser, page.base_url)
    _login(ops, "ops-1")
    ops.goto(ops.base_url + "/billing/ops/invoices/")
    row = ops.locator("[data-testid=pending-invoice]")
    assert "增值税专用发票" in row.inner_text() and order.number in row.inner_text()
    ops.screenshot(path=f"{SHOTS}/desk-ops-invoices-zh.png", full_page=True)
    # While the PDF is set, the form says so and its buttons cannot be pressed twice: recorded as it
    # happens (the answer may come back before a check could look), kept across the navigation.
    ops.evaluate("""() => new MutationObserver(() => {
        const note = document.querySelector('form.busy .busy-note');
        const buttons = document.querySelectorAll('form.busy button');
        if (note && getComputedStyle(note).display !== 'none' && [...buttons].every(b => b.disabled))
            sessionStorage.setItem('busy-seen', note.textContent.trim());
    }).observe(document.body, {subtree: true, attributes: true})""")
    row.locator("button:has-text('开具')").click()
    ops.wait_for_selector(".msg-success")
    assert "正在开具" in ops.evaluate("sessionStorage.getItem('busy-seen') || ''")
    assert "已开具" in ops.inner_text(".messages")
    ops_context.close()

    page.reload()
    with page.expect_download() as info:
        page.click("[data-testid=invoice-pdf]")
    with open(info.value.path(), "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")  # pypdf reads fpdf2's CIDs so
    for expected in ("增值税专用发票", "融合科技有限公司", BUYER_TAX_ID, "工商银行北京分行 0200000000001234",
                     "15,094.34", "905.66", "6%", "¥16,000.00", "壹万陆仟元整", order.number):
        assert expected in text, expected
