"""Mail notices about billing: a monthly bill issued, a resource pack running low."""

from datetime import timedelta

from django.utils import timezone

from billing.notices import notify_bill_issued, notify_pack_low
from tests.conftest import body


def test_it_mails_a_bill_and_a_low_pack(alice, mailbox, django_capture_on_commit_callbacks):
    from billing.models import Bill
    from billing.services import free_pack_ensure

    now = timezone.now()
    bill = Bill.objects.create(account=alice.account, month=now.date().replace(day=1), calls=12345,
                               amount_fen=24690,
                               due_at=now + timedelta(days=15), created_at=now)
    pack = free_pack_ensure(account=alice.account)
    pack.remaining = 100
    with django_capture_on_commit_callbacks(execute=True):
        notify_bill_issued(bill=bill)
        notify_pack_low(pack=pack)
    bill_mail, pack_mail = mailbox.to("alice@example.com")
    assert "246.90" in body(bill_mail) and "12,345" in body(bill_mail)
    assert "10%" in body(pack_mail) and "100" in body(pack_mail)
