"""Billing settings, read from the environment on each use (tests change them per case)."""

from console.env import env_int


def default_fuseface_qps() -> int:
    return env_int("FUSEFACE_DEFAULT_QPS", 10)


def free_pack_calls() -> int:
    return env_int("FREE_PACK_CALLS", 1000)


def bill_due_days() -> int:
    return env_int("BILL_DUE_DAYS", 15)


def settle_sweep_after_seconds() -> int:
    return env_int("BILLING_SWEEP_AFTER_SECONDS", 30)
