"""The owner's account profile: company, contact, invoice defaults; every change audited."""

from django.test import Client

from console.models import Account, AuditEvent
from tests.conftest import login
from tests.selfservice.conftest import owner_of, signup

DATA = {"name": "Alice 科技有限公司", "contact_name": "李雷", "contact_phone": "010-12345678",
        "contact_email": "Billing@Alice.example", "invoice_title": "Alice 科技有限公司",
        "tax_id": "91350100m000100y43"}


def test_the_owner_edits_the_profile_and_the_change_is_audited(alice):
    resp = login(alice.owner).post("/profile/", DATA)
    assert resp.status_code == 302
    account = Account.objects.get(id=alice.account.id)
    assert account.name == "Alice 科技有限公司" and account.tax_id == "91350100M000100Y43"
    assert account.contact_email == "billing@alice.example"
    event = AuditEvent.objects.get(account=account, action="account.profile")
    assert event.actor == alice.owner.user
    assert event.data["changes"]["name"] == {"from": "Alice 科技", "to": "Alice 科技有限公司"}
    assert "contact_phone" in event.data["changes"]


def test_saving_without_changes_writes_no_audit_row(alice):
    account = alice.account
    same = {"name": account.name, "contact_name": "", "contact_phone": "", "contact_email": account.contact_email,
            "invoice_title": "", "tax_id": ""}
    assert login(alice.owner).post("/profile/", same).status_code == 302
    assert not AuditEvent.objects.filter(action="account.profile").exists()


def test_it_rejects_a_bad_tax_id_and_an_empty_company(alice):
    resp = login(alice.owner).post("/profile/", {**DATA, "tax_id": "123", "name": ""})
    assert resp.status_code == 200
    assert Account.objects.get(id=alice.account.id).name == "Alice 科技"
    assert resp.content.decode().count("field-error") == 2


def test_only_the_owner_edits_it(alice):
    for role in ("admin", "developer", "finance", "viewer"):
        assert login(alice.member(role)).get("/profile/").status_code == 403
        assert login(alice.member(role)).post("/profile/", DATA).status_code == 403
    assert Client().get("/profile/").status_code == 302


def test_it_edits_only_the_signed_in_owners_account(alice, bob):
    login(bob.owner).post("/profile/", DATA)
    assert Account.objects.get(id=alice.account.id).name == "Alice 科技"
    assert Account.objects.get(id=bob.account.id).name == DATA["name"]


def test_a_not_yet_activated_owner_can_fill_it_in(db):
    account = signup()
    client = login(owner_of(account))
    assert client.get("/profile/").status_code == 200
    assert client.post("/profile/", DATA).status_code == 302
