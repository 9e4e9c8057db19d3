"""Invitation-only sign-up and the operators' sign-up settings page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from console.models import Account, AuditEvent
from selfservice import services
from selfservice.models import Invitation, PlatformSetting, SignupMode
from tests.conftest import login
from tests.selfservice.test_signup import form


@pytest.fixture
def invitation_only(operator):
    services.platform_settings_update(actor=operator, signup_mode=SignupMode.INVITATION)


def _token(url: str) -> str:
    return url.split("invite=", 1)[1]


def test_it_refuses_sign_up_without_an_invitation(invitation_only):
    resp = Client().get("/signup/")
    assert resp.status_code == 403
    assert "邀请" in resp.content.decode()
    resp = Client().post("/signup/", form())
    assert resp.status_code == 403 and not Account.objects.filter(name="新客户 科技").exists()


def test_it_signs_up_with_a_valid_invitation_once(invitation_only, operator):
    new = services.invitation_create(actor=operator, note="客户A")
    client = Client()
    page = client.get("/signup/?invite=" + new.token)
    assert page.status_code == 200 and f'name="invite" value="{new.token}"' in page.content.decode()
    resp = client.post("/signup/", form(invite=new.token))
    assert resp.status_code == 302
    account = Account.objects.get(name="新客户 科技")
    invitation = Invitation.objects.get(id=new.invitation.id)
    assert invitation.used_at is not None and invitation.used_by == account
    again = Client().get("/signup/?invite=" + new.token)
    assert again.status_code == 403 and "已被使用" in again.content.decode()
    again = Client().post("/signup/", form("second@example.com", invite=new.token))
    assert again.status_code == 403 and Account.objects.filter(name="新客户 科技").count() == 1


def test_it_refuses_an_expired_invitation_with_the_date(invitation_only, operator):
    new = services.invitation_create(actor=operator, days=1, now=timezone.now() - timedelta(days=2))
    resp = Client().get("/signup/?invite=" + new.token)
    assert resp.status_code == 403 and "过期" in resp.content.decode()


def test_it_refuses_an_invitation_for_another_email(invitation_only, operator):
    new = services.invitation_create(actor=operator, email="invited@example.com")
    resp = Client().post("/signup/", form("other@example.com", invite=new.token))
    assert resp.status_code == 200 and "另一个邮箱" in resp.content.decode()
    assert Client().post("/signup/", form("invited@example.com", invite=new.token)).status_code == 302


def test_it_does_not_use_up_an_invitation_on_a_registered_email(invitation_only, operator, alice):
    new = services.invitation_create(actor=operator)
    assert Client().post("/signup/", form("alice@example.com", invite=new.token)).status_code == 302
    assert Invitation.objects.get(id=new.invitation.id).used_at is None


def test_operators_switch_the_mode_and_create_and_withdraw_invitations(operator):
    client = login(operator)
    resp = client.post("/ops/signup/", {"form": "settings", "s-signup_mode": "invitation",
                                        "s-filing_algorithm_name": "融合人脸融合算法",
                                        "s-filing_number": "网信算备110000000000000001号",
                                        "s-filing_provider": "融合科技"})
    assert resp.status_code == 302
    setting = PlatformSetting.objects.get()
    assert setting.signup_mode == "invitation" and setting.filing_number.startswith("网信算备")
    assert AuditEvent.objects.filter(action="platform.settings", to_state="invitation").exists()
    resp = client.post("/ops/signup/", {"form": "invite", "i-email": "", "i-note": "试用", "i-days": "3"})
    assert resp.status_code == 200
    link = resp.context["new_link"]
    assert link.startswith("http://testserver/signup/?invite=")
    invitation = Invitation.objects.get()
    assert Client().get("/signup/?invite=" + _token(link)).status_code == 200
    assert client.post(f"/ops/signup/invitations/{invitation.id}/revoke/").status_code == 302
    resp = Client().get("/signup/?invite=" + _token(link))
    assert resp.status_code == 403 and "撤回" in resp.content.decode()


def test_only_operators_reach_the_settings_page(alice, operator):
    new = services.invitation_create(actor=operator)
    assert login(alice.owner).get("/ops/signup/").status_code == 403
    assert login(alice.owner).post(f"/ops/signup/invitations/{new.invitation.id}/revoke/").status_code == 403
    assert Client().get("/ops/signup/").status_code == 302


def test_it_answers_a_missing_invitation_id_with_404(operator):
    assert login(operator).post("/ops/signup/invitations/999999/revoke/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_racing_on_one_invitation_create_one_account(operator, monkeypatch):
    """Both requests pass the invitation check before either marks it used: one account comes out."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    services.platform_settings_update(actor=operator, signup_mode=SignupMode.INVITATION)
    new = services.invitation_create(actor=operator)
    both_checked = threading.Barrier(2, timeout=10)
    real_account_create = services.account_create

    def account_create_then_wait(**kwargs):
        account = real_account_create(**kwargs)
        both_checked.wait()  # each transaction holds its new account; now both try to use the invitation
        return account

    monkeypatch.setattr(services, "account_create", account_create_then_wait)
    outcomes: dict[str, object] = {}

    def sign_up(email: str) -> None:
        try:
            outcomes[email] = services.signup_register(email=email, password="fusion-Lantern-42", company=email,
                                                       contact_name="王", contact_phone="13800138000",
                                                       invitation_token=new.token)
        except ValidationError as exc:
            outcomes[email] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(f"racer{i}@example.com",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [o for o in outcomes.values() if isinstance(o, Account)]
    losers = [o for o in outcomes.values() if isinstance(o, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].code == "invitation_used"
    assert list(Account.objects.filter(name__startswith="racer").values_list("id", flat=True)) == [winners[0].id]
    assert Invitation.objects.get(id=new.invitation.id).used_by_id == winners[0].id
    assert AuditEvent.objects.filter(action="invitation.use").count() == 1
