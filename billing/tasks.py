"""Billing tasks, on the ``billing`` queue (config.celery routes ``billing.tasks.*`` there).

Tasks take ids and are idempotent: settling a settled record, closing a closed bill, issuing an
issued free pack or expiring an expired pack changes nothing."""

from celery import shared_task
from django.conf import settings

from billing import services


@shared_task(name="billing.tasks.settle_usage")
def settle_usage(record_id: int) -> str | None:
    record = services.usage_settle(record_id=record_id)
    return None if record is None else record.settled_to


@shared_task(name="billing.tasks.settle_sweep")
def settle_sweep() -> int:
    """Settle records whose task was lost (broker down at enqueue, worker killed twice...)."""
    return services.usage_settle_pending(older_than_seconds=settings.BILLING_SWEEP_AFTER_SECONDS)


@shared_task(name="billing.tasks.month_start")
def month_start() -> dict[str, int]:
    """On the 1st: close last month's bills (after settling its stragglers), expire packs, issue
    this month's free packs. Safe to run any time; the order matters on the 1st."""
    closed = services.bills_close()
    expired = services.packs_expire()
    issued = services.free_packs_issue()
    return {"closed": closed, "expired": expired, "issued": issued}


@shared_task(name="billing.tasks.packs_expire")
def packs_expire() -> int:
    return services.packs_expire()


@shared_task(name="billing.tasks.arrears_check")
def arrears_check() -> int:
    return services.arrears_check()
