"""Adding money without an operator's top-up: an offline remittance (线下汇款) with its voucher,
confirmed or rejected by an operator, credited once (audited, compare-and-swap, idempotent)."""

import io
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from billing.models import LedgerEntry, Payment, PaymentStatus
from billing.selectors import balance_fen, ledger_problems
from billing.services import order_create, payment_confirm, payment_reject, remittance_submit
from console.models import AuditEvent
from tests.conftest import body, login


def voucher_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (240, 240, 250)).save(out, "PNG")
    return out.getvalue()


def _remit(tenant, amount_fen=1_600_000, **over):
    data = {"account": tenant.account, "actor": tenant.owner.user, "amount_fen": amount_fen,
            "transfer_date": timezone.localdate(), "payer_name": "Alice 科技有限公司", "bank_reference": "TX0001",
            "voucher": voucher_png()}
    data.update(over)
    return remittance_submit(**data)


def _post(client, **over):
    data = {"amount": "16000.00", "transfer_date": timezone.localdate().isoformat(), "payer_name": "Alice 科技有限公司",
            "bank_reference": "TX0001", "voucher": io.BytesIO(voucher_png())}
    data["voucher"].name = "回单.png"
    data.update(over)
    return client.post(reverse("billing:payments"), data)


def test_it_shows_the_bank_account_and_takes_a_remittance_with_its_voucher(alice, seller):
    client = login(alice.finance)
    page = client.get(reverse("billing:payments") + "?amount=16000.00").content.decode()
    assert "招商银行上海分行" in page and "12190000000100 01".replace(" ", "") in page
    assert str(alice.account.app_id) in page and 'value="16000.00"' in page
    assert _post(client).status_code == 302
    payment = Payment.objects.get(account=alice.account)
    assert (payment.amount_fen, payment.status, payment.provider) == (1_600_000, PaymentStatus.PENDING, "manual")
    assert default_storage.exists(payment.voucher_name)
    assert balance_fen(account=alice.account) == 0  # nothing credited before an operator looks
    assert AuditEvent.objects.filter(action="billing.payment_submit", target_id=payment.number).exists()


def test_it_refuses_a_voucher_that_is_not_an_image_or_pdf_and_stores_nothing(alice, seller):
    response = _post(login(alice.owner), voucher=io.BytesIO(b"MZ\x90\x00 not a receipt"))
    assert response.status_code == 200
    assert "JPG" in str(response.context["form"].non_field_errors())
    assert not Payment.objects.exists()
    assert not default_storage.exists("payments") or not default_storage.listdir("payments")[1]


def test_it_explains_every_problem_with_a_remittance(alice, seller):
    with pytest.raises(ValidationError) as info:
        _remit(alice, amount_fen=0, transfer_date=timezone.localdate() + timedelta(days=2), payer_name=" ")
    text = " ".join(info.value.messages)
    assert "金额" in text and "汇款日期" in text and "户名" in text
    assert not Payment.objects.exists()


def test_it_refuses_remittances_until_the_seller_has_a_bank_account(alice):
    page = login(alice.owner).get(reverse("billing:payments")).content.decode()
    assert 'data-testid="no-bank"' in page
    with pytest.raises(ValidationError, match="收款账户"):
        _remit(alice)


def test_confirming_credits_the_balance_once_and_mails_the_customer(alice, operator, seller, mailbox,
                                                                   django_capture_on_commit_callbacks):
    payment = _remit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(operator).post(reverse("billing:operator_payment_confirm", args=[payment.number]))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.decided_by == operator
    assert balance_fen(account=alice.account) == 1_600_000
    assert payment.entry.delta == 1_600_000 and payment.entry.reason == "topup"
    assert "已到账" in mailbox.last_to("alice@example.com")["Subject"]
    assert payment.number in body(mailbox.last_to("alice@example.com"))
    # A second click (or a redelivered notice) changes nothing.
    assert payment_confirm(payment_id=payment.id, actor=operator).status == PaymentStatus.PAID
    login(operator).post(reverse("billing:operator_payment_confirm", args=[payment.number]))
    assert balance_fen(account=alice.account) == 1_600_000
    assert LedgerEntry.objects.filter(account=alice.account).count() == 1
    assert AuditEvent.objects.filter(action="billing.payment_confirm", target_id=payment.number).count() == 1
    assert ledger_problems() == []
    # And the money buys the pack it was sent for.
    order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user)
    assert balance_fen(account=alice.account) == 0


def test_rejecting_says_why_and_credits_nothing(alice, operator, seller, mailbox, django_capture_on_commit_callbacks):
    payment = _remit(alice)
    client = login(operator)
    client.post(reverse("billing:operator_payment_reject", args=[payment.number]), {"reason": ""})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:operator_payment_reject", args=[payment.number]), {"reason": "流水中未见此笔"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED and payment.reason == "流水中未见此笔"
    assert "流水中未见此笔" in body(mailbox.last_to("alice@example.com"))
    with pytest.raises(ValidationError):
        payment_confirm(payment_id=payment.id, actor=operator)
    assert balance_fen(account=alice.account) == 0
    assert "流水中未见此笔" in login(alice.owner).get(reverse("billing:payments")).content.decode()


def test_a_confirmation_pays_an_unpaid_bill_from_the_money(alice, operator, seller):
    from billing.models import Bill, BillStatus

    bill = Bill.objects.create(account=alice.account, month=date(2026, 1, 1), calls=10, status=BillStatus.UNPAID,
                               amount_fen=20_000, created_at=timezone.now())
    LedgerEntry.objects.create(account=alice.account, book="bill_calls", reason="bill_close", delta=10, bill=bill,
                               created_at=timezone.now())
    LedgerEntry.objects.create(account=alice.account, book="bill_amount", reason="bill_close", delta=20_000, bill=bill,
                               created_at=timezone.now())
    payment_confirm(payment_id=_remit(alice, amount_fen=50_000).id, actor=operator)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and balance_fen(account=alice.account) == 30_000
    assert ledger_problems() == []


def test_a_provider_trade_number_is_credited_once(alice, operator, seller):
    first, second = _remit(alice), _remit(alice)
    payment_confirm(payment_id=first.id, actor=None, provider_reference="ALIPAY-2026-1")
    with pytest.raises(ValidationError):
        payment_confirm(payment_id=second.id, actor=None, provider_reference="ALIPAY-2026-1")
    second.refresh_from_db()
    assert second.status == PaymentStatus.PENDING and balance_fen(account=alice.account) == 1_600_000
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        Payment.objects.filter(id=second.id).update(provider_reference="ALIPAY-2026-1")


@pytest.mark.django_db(transaction=True)
def test_two_operators_confirming_at_once_credit_once(alice, operator, seller):
    payment = _remit(alice)
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm():
        barrier.wait()
        try:
            outcomes.append(payment_confirm(payment_id=payment.id, actor=operator).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [PaymentStatus.PAID, PaymentStatus.PAID]
    assert balance_fen(account=alice.account) == 1_600_000
    assert LedgerEntry.objects.filter(account=alice.account).count() == 1


def test_the_voucher_is_readable_by_the_account_and_operators_only(alice, bob, operator, seller):
    payment = _remit(alice)
    url = reverse("billing:payment_voucher", args=[payment.number])
    assert login(alice.finance).get(url).status_code == 302
    assert login(bob.owner).get(url).status_code == 404
    assert login(alice.developer).get(url).status_code == 403
    assert login(operator).get(reverse("billing:operator_payment_voucher", args=[payment.number])).status_code == 302
    assert login(alice.owner).get(reverse("billing:operator_payment_voucher", args=[payment.number])).status_code == 403


def test_only_owner_and_finance_remit_and_only_operators_decide(alice, bob, operator, seller):
    assert _post(login(alice.viewer)).status_code == 403
    assert _post(login(alice.admin)).status_code == 403
    assert not Payment.objects.exists()
    payment = _remit(alice)
    for name in ("billing:operator_payment_confirm", "billing:operator_payment_reject"):
        assert login(alice.owner).post(reverse(name, args=[payment.number]), {"reason": "x"}).status_code == 403
    assert login(operator).post(reverse("billing:operator_payment_confirm", args=["P404"])).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_operator_queue_lists_waiting_remittances(alice, operator, seller):
    payment = _remit(alice)
    page = login(operator).get(reverse("billing:operator_payments")).content.decode()
    assert payment.number in page and "16,000.00" in page and "Alice 科技有限公司" in page


def test_the_buy_page_says_how_to_add_the_missing_money(alice):
    response = login(alice.owner).post(reverse("billing:buy"), {"price_code": "pack_1m", "quantity": "1"})
    page = response.content.decode()
    assert "还差 ¥16,000.00" in page
    assert reverse("billing:payments") + "?amount=16000.00" in page


def test_rejecting_twice_is_refused(alice, operator, seller):
    payment = _remit(alice)
    payment_reject(payment_id=payment.id, actor=operator, reason="金额不符")
    with pytest.raises(ValidationError):
        payment_reject(payment_id=payment.id, actor=operator, reason="again")
