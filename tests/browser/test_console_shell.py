"""The console shell in real Chromium: the demo owner signs in, creates a sub-account, switches
the language to English and back, and finds every navigation item in order and working."""

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV_ZH = ["概览", "活动管理", "素材管理", "测试效果", "用量统计", "费用中心", "访问管理", "账号资料", "算法备案"]
NAV_EN = ["Overview", "Campaigns", "Materials", "Test effect", "Usage", "Billing", "Access", "Account profile",
          "Algorithm filing"]
NAV_KEYS = ["overview", "campaigns", "materials", "test_effect", "usage", "billing", "access", "profile", "filing"]


@pytest.fixture
def demo_owner(transactional_db) -> tuple[str, str]:
    from django.core.management import call_command

    from config.management.commands.seed_demo import DEMO_OWNER

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return DEMO_OWNER


def _nav(page) -> list[tuple[str, str, str | None]]:
    """(key, label, href or None when marked not yet available) for each customer nav item."""
    items = []
    for element in page.locator("nav.sidebar > ul").first.locator("[data-nav]").all():
        label = element.evaluate("e => e.childNodes[0].textContent.trim()")
        items.append((element.get_attribute("data-nav"), label, element.get_attribute("href")))
    return items


def _check_nav(page, labels: list[str]) -> None:
    items = _nav(page)
    assert [key for key, _, _ in items] == NAV_KEYS
    assert [label for _, label, _ in items] == labels
    for key, _, href in items:
        if href is None:
            marker = page.locator(f'.unavailable[data-nav="{key}"]')
            assert marker.count() == 1, f"{key} neither links anywhere nor says it is not yet available"
        else:
            response = page.request.get(page.base_url + href)
            assert response.status == 200, (key, href, response.status)


def test_it_walks_the_console_shell(page, demo_owner):
    username, password = demo_owner
    browser_login(page, username, password)
    assert page.url.endswith("/overview/"), page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "概览"
    _check_nav(page, NAV_ZH)
    assert page.locator('[data-nav="overview"].active').count() == 1
    page.screenshot(path="/tmp/console_overview_zh.png", full_page=True)

    # A sub-account through the form, keyboard first: the login name field has the focus.
    page.click('[data-nav="access"]')
    page.click('[data-testid="new-member"]')
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type("demo-finance")
    page.fill("#id_display_name", "财务小王")
    page.select_option("#id_role", "finance")
    page.fill("#id_password", "ledger-horse-battery-5")
    page.screenshot(path="/tmp/console_member_form.png", full_page=True)
    page.click("form.form-card button[type=submit]")
    row = page.locator('tr[data-member="demo-finance"]')
    assert row.count() == 1
    assert "财务" in row.inner_text() and "正常" in row.inner_text()
    assert "子账号 demo-finance 已创建" in page.locator(".messages").inner_text()
    page.screenshot(path="/tmp/console_access_zh.png", full_page=True)

    # Disabling asks first; dismissing the question changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator("button", has_text="禁用").click()
    assert "正常" in page.locator('tr[data-member="demo-finance"]').inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('tr[data-member="demo-finance"] button', has_text="禁用").click()
    page.wait_for_selector('tr[data-member="demo-finance"] .status-frozen')

    # English and back; the choice survives navigation.
    page.click('[data-testid="lang-switch"]')
    page.wait_for_selector('html[lang="en"]')
    assert page.locator("h1").inner_text() == "Access management"
    page.click('[data-nav="overview"]')
    assert page.locator("h1").inner_text() == "Overview"
    _check_nav(page, NAV_EN)
    page.screenshot(path="/tmp/console_overview_en.png", full_page=True)
    page.click('[data-testid="lang-switch"]')
    page.wait_for_selector('html[lang="zh-hans"]')
    _check_nav(page, NAV_ZH)

    # API keys: created, shown once, then only the SecretId remains.
    page.click('[data-nav="access"]')
    page.click("a[role=tab] >> text=API 密钥")
    page.fill('input[name="description"]', "生产服务器")
    page.click('[data-testid="new-key"]')
    secret_key = page.locator('[data-testid="secret-key"]').inner_text()
    assert len(secret_key) == 32
    page.screenshot(path="/tmp/console_key_created.png", full_page=True)
    page.click("text=我已保存")
    assert secret_key not in page.content()
    assert "生产服务器" in page.locator('[data-testid="keys"]').inner_text()
    page.screenshot(path="/tmp/console_keys_zh.png", full_page=True)


def test_it_lets_an_operator_freeze_an_account_after_confirming(page, alice, operator):
    from console.models import Account

    page.goto(page.base_url + "/login/")
    page.screenshot(path="/tmp/console_login_zh.png", full_page=True)
    browser_login(page, "ops-1")
    assert page.url.endswith("/materials/review/")  # operators start where the work waits
    page.click('[data-nav="accounts"]')
    assert page.locator('[data-nav="accounts"].active').count() == 1
    assert page.locator('nav.sidebar [data-nav="overview"]').count() == 0
    page.click(f"text={alice.account.app_id}")
    page.fill("#id_reason", "涉嫌违规使用")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=freeze]")
    page.wait_for_selector(".msg-success")
    assert Account.objects.get(id=alice.account.id).status == "frozen"
    assert "涉嫌违规使用" in page.locator("table").inner_text()
    page.screenshot(path="/tmp/console_operator_detail.png", full_page=True)
