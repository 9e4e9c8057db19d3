"""Helpers for billing tests: a fixed clock in the console's time zone, calls settled through the
real services, money given to an account through the operators' top-up."""

import itertools
from datetime import datetime

import pytest
from django.utils import timezone

_ids = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def make_calls(account, n: int, *, now: datetime, code: str = "Success", campaign: str = "at_demo",
               material: str = "mt_demo", settle: bool = True, action: str = "FuseFace") -> list:
    """n FuseFace (or ``action``) calls through the meter, settled as the worker would settle them."""
    from billing.services import is_billable, usage_record_create, usage_settle

    records = []
    for _ in range(n):
        record = usage_record_create(request_id=f"req-{next(_ids)}-{account.id}", account=account, action=action,
                                     result_code=code, billable=is_billable(code), latency_ms=120,
                                     campaign_project_id=campaign, material_model_id=material, now=now)
        if settle:
            record = usage_settle(record_id=record.id, now=now)
        records.append(record)
    return records


def top_up(account, fen: int, operator, now: datetime | None = None):
    from billing.services import balance_top_up

    return balance_top_up(account=account, amount_fen=fen, actor=operator, note="bank transfer 0001", now=now)


@pytest.fixture
def small_free_pack(settings):
    settings.FREE_PACK_CALLS = 3
    return 3


@pytest.fixture
def check_ledger():
    def check() -> None:
        from billing.selectors import ledger_problems

        assert ledger_problems() == []
    return check


SELLER_TAX_ID = "91350100M000100Y43"  # the sample of GB 32100-2015, check character included
BUYER_TAX_ID = "91110000802100433B"


@pytest.fixture
def seller(db):
    """The platform's seller details and bank account, as an operator enters them."""
    from billing.services import seller_profile_update

    return seller_profile_update(actor=None, name="融合科技有限公司", tax_id=SELLER_TAX_ID,
                                 address="上海市浦东新区世纪大道 100 号", phone="021-12345678",
                                 bank_name="招商银行上海分行", bank_account="1219 0000 0001 0001",
                                 tax_rate_bp=600, item_name="*信息技术服务*人脸融合服务费")
