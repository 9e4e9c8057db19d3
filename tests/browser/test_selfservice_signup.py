"""A new customer in Chromium: sign up, verify through the mailed link (real SMTP server on loopback),
activate the service, create an API key, see the free pack; then reset the password by mail."""

from urllib.parse import urlsplit

import pytest

from tests.conftest import link_in

pytestmark = pytest.mark.browser

EMAIL = "zhang@newco.example"
FIRST_PASSWORD = "Lantern-fusion-71"
SECOND_PASSWORD = "Harbour-poster-53"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_in(page, password: str) -> None:
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_new_customer_signs_up_activates_and_resets_the_password(page, request):
    from billing.models import Pack
    from console.models import Account

    box = request.getfixturevalue("mailbox")
    base = page.base_url

    page.goto(base + "/signup/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", FIRST_PASSWORD)
    page.fill("#id_company", "新公司 互动")
    page.fill("#id_contact_name", "张三")
    page.fill("#id_contact_phone", "13900139000")
    page.click("[data-testid=signup-submit]")
    page.wait_for_selector("[data-testid=signup-done]")
    assert EMAIL in page.inner_text("[data-testid=signup-done]")

    page.goto(base + _path(link_in(box.last_to(EMAIL), "/verify/")))
    page.wait_for_selector("[data-testid=verified]")
    page.click("[data-testid=go-activate]")
    _sign_in(page, FIRST_PASSWORD)
    assert urlsplit(page.url).path == "/activate/"
    # Every other console page leads here until the service is activated.
    page.goto(base + "/overview/")
    assert urlsplit(page.url).path == "/activate/"
    assert "本图片为AI合成图片" in page.inner_text("[data-testid=label-duty]")
    assert "1,000" in page.inner_text("[data-testid=free-calls]")

    page.check("[data-testid=accept]")
    page.click("[data-testid=activate]")
    page.wait_for_selector("[data-testid=service-opened]")
    account = Account.objects.get(contact_email=EMAIL)
    assert account.service_status == "opened"

    page.click("[data-testid=go-keys]")
    page.click("[data-testid=new-key]")
    page.wait_for_selector("[data-testid=secret-key]")
    assert page.inner_text("[data-testid=secret-id]").strip()

    page.goto(base + "/activate/")
    page.click("[data-testid=go-billing]")
    free = page.inner_text("[data-testid=free-pack]")
    assert "1,000" in free
    assert Pack.objects.filter(account=account, kind="free", remaining=1000).exists()

    page.click("form[action='/logout/'] button")
    page.wait_for_load_state("networkidle")
    page.goto(base + "/password-reset/")
    page.fill("#id_email", EMAIL)
    page.click("[data-testid=reset-submit]")
    page.wait_for_selector("[data-testid=reset-done]")
    page.goto(base + _path(link_in(box.last_to(EMAIL), "/password-reset/")))
    page.fill("#id_new_password1", SECOND_PASSWORD)
    page.fill("#id_new_password2", SECOND_PASSWORD)
    page.click("[data-testid=reset-confirm]")
    page.wait_for_selector("[data-testid=reset-complete]")

    page.goto(base + "/login/")
    _sign_in(page, FIRST_PASSWORD)
    assert urlsplit(page.url).path == "/login/"
    _sign_in(page, SECOND_PASSWORD)
    assert urlsplit(page.url).path == "/overview/"
