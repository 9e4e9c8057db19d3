"""Every customer page at phone width (390×844) and at 1440 px in Chromium, in both languages: no
page-level horizontal scroll (tables scroll inside their own box), and on a phone the navigation
opens from its button. The screenshots land in /tmp/shots for a look."""

import pytest
from django.utils import timezone

from tests.billing.conftest import make_calls, top_up
from tests.conftest import PASSWORD, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = "/tmp/shots"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def filled(alice, operator, seller):
    """An account with something on every page: a campaign, an approved material, calls, an order,
    a remittance and an invoice request."""
    from billing.services import invoice_request, order_create, remittance_submit
    from campaigns.services import campaign_create
    from materials.review import material_review_run
    from materials.services import material_create
    from tests.billing.conftest import BUYER_TAX_ID
    from tests.billing.test_payments import voucher_png
    from tests.materials.conftest import fit

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="春节海报活动", version="reinvent")
    material = material_create(account=alice.account, campaign=campaign, actor=alice.owner.user,
                               data=fit("astronaut_collins.png", side=512), name="宇航员模板")
    material = material_review_run(material_id=material.id)
    make_calls(alice.account, 5, now=timezone.now(), campaign=campaign.project_id, material=material.model_id)
    top_up(alice.account, 200_000, operator)
    order_create(account=alice.account, price_code="qps_10", quantity=1, actor=alice.owner.user)
    remittance_submit(account=alice.account, actor=alice.owner.user, amount_fen=1_600_000,
                      transfer_date=timezone.localdate(), payer_name="Alice 科技有限公司", voucher=voucher_png())
    invoice_request(account=alice.account, actor=alice.owner.user, kind="normal", title="Alice 科技有限公司",
                    tax_id=BUYER_TAX_ID, email="fin@alice.example")
    return campaign, material


def _pages(campaign, material) -> list[tuple[str, str]]:
    return [
        ("overview", "/overview/"), ("campaigns", "/campaigns/"), ("campaign-new", "/campaigns/new/"),
        ("campaign-edit", f"/campaigns/{campaign.project_id}/"), ("materials", "/materials/"),
        ("upload", "/materials/upload/"), ("material", f"/materials/{material.model_id}/"),
        ("quota", "/materials/quota/"), ("test-effect", "/test-effect/"),
        ("test-effect-material", f"/test-effect/?material={material.model_id}"), ("usage", "/billing/usage/"),
        ("billing", "/billing/"), ("payments", "/billing/payments/"), ("buy", "/billing/buy/"),
        ("orders", "/billing/orders/"), ("bills", "/billing/bills/"), ("ledger", "/billing/ledger/"),
        ("invoices", "/billing/invoices/"), ("members", "/access/?tab=members"), ("keys", "/access/?tab=keys"),
        ("member-new", "/access/members/new/"), ("profile", "/profile/"), ("filing", "/filing/"),
        ("password", "/password/"),
    ]


def _overflow(page) -> int:
    """How far the page itself scrolls sideways (0: it fits)."""
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - document.documentElement.clientWidth")


def _login(page, username):
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_customer_page_fits_a_phone(browser, live_server, filled, language):
    _sweep(browser, live_server, filled, language, PHONE, "phone")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_customer_page_fits_a_desktop(browser, live_server, filled, language):
    _sweep(browser, live_server, filled, language, {"width": 1440, "height": 900}, "desk")


def _sweep(browser, live_server, filled, language, viewport, prefix) -> None:
    campaign, material = filled
    phone = viewport is PHONE
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=phone, has_touch=phone)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for name, path in [("login", "/login/"), ("signup", "/signup/"), ("reset", "/password-reset/")]:
        page.goto(live_server.url + path)
        assert _overflow(page) <= 0, (name, _overflow(page))
    page.screenshot(path=f"{SHOTS}/{prefix}-reset-{language}.png")
    _login(page, "alice-owner")
    wide = {}
    for name, path in _pages(campaign, material):
        response = page.goto(live_server.url + path)
        assert response.status == 200, (name, response.status)
        page.wait_for_load_state("networkidle")
        if _overflow(page) > 0:
            wide[name] = _overflow(page)
        page.screenshot(path=f"{SHOTS}/{prefix}-{name}-{language}.png", full_page=True)
    assert wide == {}, f"pages that scroll sideways at {viewport['width']} px (by px): {wide}"
    assert errors == []
    if not phone:
        assert page.locator("[data-nav-toggle]").is_hidden()  # a desktop shows the sidebar itself
        context.close()
        return

    # The navigation is a drawer behind a button: closed, it takes no width; open, it leads on.
    page.goto(live_server.url + "/overview/")
    nav = page.locator("#main-nav")
    assert nav.bounding_box()["x"] + nav.bounding_box()["width"] <= 0
    page.click("[data-nav-toggle]")
    wait_until(page, "() => document.querySelector('#main-nav').getBoundingClientRect().left >= 0")
    assert page.get_attribute("[data-nav-toggle]", "aria-expanded") == "true"
    page.screenshot(path=f"{SHOTS}/phone-nav-open-{language}.png")
    page.click('#main-nav [data-nav="billing"]')
    page.wait_for_url("**/billing/")
    assert nav.bounding_box()["x"] + nav.bounding_box()["width"] <= 0
    context.close()
