"""Two-step verification in Chromium: a new operator is held at enrolment, scans nothing but types
the shown secret into "an app" (the code is computed from the text on the page), saves the recovery
codes, reaches the operator area; at the next sign-in the code is asked after the password, and a
recovery code does instead of the app's."""

import base64
import re

import pytest

from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_an_operator_enrols_with_the_shown_secret_and_signs_in_with_a_recovery_code(page):
    from console import services
    from console.models import AuditEvent

    services.operator_create(username="ops-new", password=PASSWORD)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    _sign_in(page, "ops-new")
    assert "/security/mfa/setup/" in page.url, page.url
    assert page.locator("[data-testid=mfa-required]").is_visible()
    # Every operator page leads back here until it is on.
    page.goto(page.base_url + "/ops/accounts/")
    assert "/security/mfa/setup/" in page.url
    qr = page.locator("[data-testid=mfa-qr] svg").bounding_box()
    assert qr and qr["width"] > 100 and qr["height"] > 100, qr
    secret = page.locator("[data-testid=mfa-secret]").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.fill("#id_code", totp_code(key))
    page.click("[data-testid=mfa-enrol]")
    page.wait_for_load_state("networkidle")
    codes = [c.strip() for c in page.locator("[data-testid=mfa-codes] code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", c) for c in codes), codes
    page.screenshot(path="/tmp/mfa_recovery_codes.png", full_page=True)
    page.click("[data-testid=mfa-continue]")
    page.wait_for_load_state("networkidle")
    assert "/ops/accounts/" in page.url, page.url
    assert page.locator("nav.sidebar").is_visible()

    page.click("[data-testid=sign-out]")
    page.wait_for_load_state("networkidle")
    _sign_in(page, "ops-new")
    assert "/security/mfa/verify/" in page.url, page.url
    page.fill("#id_code", codes[0].upper())
    page.click("[data-testid=mfa-verify]")
    page.wait_for_load_state("networkidle")
    assert "/materials/review/" in page.url, page.url

    actions = list(AuditEvent.objects.filter(actor__username="ops-new").values_list("action", "reason"))
    assert ("mfa.enrol", "") in actions and ("mfa.use", "recovery") in actions, actions
    assert not problems, problems
