"""Mail notices about materials: a review or an appeal decided, to the owner and the contact email."""

import pytest

from console.models import Account
from materials.notices import notify_appeal_decided, notify_material_decided
from tests.conftest import body


@pytest.fixture
def material(alice, mailbox):
    from campaigns.services import campaign_create
    from materials.models import Material

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="春节活动")
    return Material.objects.create(account=alice.account, campaign=campaign, name="海报一", image="x.jpg",
                                   image_format="JPEG", width=800, height=600, byte_size=1000, status=2,
                                   audit_result="检测到公众人物，请上传版权证明")


def _contact(alice) -> None:
    Account.objects.filter(id=alice.account.id).update(contact_email="ops@alice.example")
    alice.account.refresh_from_db()


def test_it_mails_the_material_decision_to_owner_and_contact(alice, material, mailbox,
                                                            django_capture_on_commit_callbacks):
    _contact(alice)
    material.account.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notify_material_decided(material=material)
    msg = mailbox.last_to("alice@example.com")
    assert "海报一" in msg["Subject"]
    text = body(msg)
    assert material.model_id in text and "检测到公众人物" in text and "申诉一次" in text
    assert "ops@alice.example" in msg["X-Envelope-To"]


def test_it_links_the_mail_to_the_material_itself(alice, material, mailbox, django_capture_on_commit_callbacks):
    from tests.conftest import link_in

    with django_capture_on_commit_callbacks(execute=True):
        notify_material_decided(material=material)
        notify_appeal_decided(material=material)
    for msg in mailbox.to("alice@example.com"):
        assert link_in(msg, "/materials/").endswith(f"/materials/{material.model_id}/")


def test_it_mails_the_appeal_decision(alice, material, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_appeal_decided(material=material)
    assert "申诉" in mailbox.last_to("alice@example.com")["Subject"]


def test_it_sends_nothing_when_the_transaction_rolls_back(alice, material, mailbox,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_material_decided(material=material)
    assert len(callbacks) == 1 and not mailbox.messages
