"""The operators' read-only Django admin (console/admin.py): the ledger, usage records, audit events,
fusion and video jobs, searchable by AppID, RequestId and ModelId; nobody adds, changes or deletes;
only operators who passed two-step verification get in; production mounts it at ADMIN_PATH only."""

import base64
import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import LedgerEntry, UsageRecord
from console.models import AuditEvent
from fusion.models import FusionJob
from tests.billing.conftest import make_calls, top_up
from tests.conftest import PASSWORD, REPO, login, mfa_enrol

pytestmark = pytest.mark.django_db

TABLES = ["billing/ledgerentry", "billing/usagerecord", "console/auditevent", "fusion/fusionjob", "video/videojob"]


def _admin(path: str = "") -> str:
    return reverse("ops_admin:index") + path


def _fusion_job(account, request_id: str, model_id: str) -> FusionJob:
    from fusion import services

    photo = base64.b64encode(b"not read: the job is never run here").decode()
    return services.fusion_job_create(account=account, request_id=request_id, source="api",
                                      campaign_project_id="at_admin", material_model_id=model_id, version="v1",
                                      mappings=[services.MappingSpec(image_b64=photo)])


@pytest.fixture
def rows(alice, bob, operator):
    now = timezone.now() - timedelta(minutes=5)
    top_up(alice.account, 10_000, operator)
    top_up(bob.account, 20_000, operator)
    alice_calls = make_calls(alice.account, 2, now=now, material="mt_alice_1")
    bob_calls = make_calls(bob.account, 1, now=now, material="mt_bob_1")
    jobs = [_fusion_job(alice.account, alice_calls[0].request_id, "mt_alice_1"),
            _fusion_job(bob.account, bob_calls[0].request_id, "mt_bob_1")]
    return {"alice_calls": alice_calls, "bob_calls": bob_calls, "jobs": jobs}


def test_it_shows_every_table_to_a_verified_operator(operator, rows):
    ops = login(operator)
    index = ops.get(_admin())
    assert index.status_code == 200
    for table in TABLES:
        assert f'href="{_admin(table + "/")}"' in index.content.decode(), table
        assert ops.get(_admin(table + "/")).status_code == 200, table
    job = rows["jobs"][0]
    detail = ops.get(_admin(f"fusion/fusionjob/{job.pk}/change/"))
    assert detail.status_code == 200 and job.request_id in detail.content.decode()


def test_nobody_adds_changes_or_deletes(operator, rows, django_user_model):
    ops = login(operator)
    record = rows["alice_calls"][0]
    before = UsageRecord.objects.get(pk=record.pk)
    change = _admin(f"billing/usagerecord/{record.pk}/change/")
    page = ops.get(change).content.decode()
    assert 'name="_save"' not in page and "deletelink" not in page
    assert ops.post(change, {"request_id": "forged", "result_code": "Forged", "_save": "1"}).status_code == 403
    assert UsageRecord.objects.get(pk=record.pk).request_id == before.request_id
    assert ops.get(_admin("billing/usagerecord/add/")).status_code == 403
    assert ops.post(_admin(f"billing/usagerecord/{record.pk}/delete/"), {"post": "yes"}).status_code == 403
    entry = LedgerEntry.objects.filter(account=record.account).first()
    assert ops.post(_admin(f"billing/ledgerentry/{entry.pk}/delete/"), {"post": "yes"}).status_code == 403
    # No bulk action either (Django's delete_selected is the one it would offer).
    changelist = ops.post(_admin("billing/ledgerentry/"), {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert changelist.status_code in (200, 302) and LedgerEntry.objects.filter(pk=entry.pk).exists()
    # Not even a superuser who is an operator may write.
    boss = django_user_model.objects.create_superuser("boss", password=PASSWORD)
    mfa_enrol(boss)
    assert login(boss).post(change, {"result_code": "Forged", "_save": "1"}).status_code == 403
    assert UsageRecord.objects.get(pk=record.pk).result_code == before.result_code


def test_it_searches_by_app_id_request_id_and_model_id(operator, rows, alice, bob):
    ops = login(operator)
    alice_request = rows["alice_calls"][0].request_id
    bob_request = rows["bob_calls"][0].request_id

    by_app = ops.get(_admin("billing/usagerecord/"), {"q": str(alice.account.app_id)}).content.decode()
    assert alice_request in by_app and bob_request not in by_app
    by_request = ops.get(_admin("billing/usagerecord/"), {"q": bob_request}).content.decode()
    assert bob_request in by_request and alice_request not in by_request
    by_model = ops.get(_admin("fusion/fusionjob/"), {"q": "mt_bob_1"}).content.decode()
    assert bob_request in by_model and alice_request not in by_model
    ledger = ops.get(_admin("billing/ledgerentry/"), {"q": alice_request}).content.decode()
    assert alice_request in ledger and bob_request not in ledger
    audit = ops.get(_admin("console/auditevent/"), {"q": str(bob.account.app_id)}).content.decode()
    assert AuditEvent.objects.filter(account=bob.account).exists()
    assert f"{bob.account.app_id}</td>" in audit and f"{alice.account.app_id}</td>" not in audit
    # A word in an id-only search finds nothing rather than failing.
    assert ops.get(_admin("billing/usagerecord/"), {"q": "not-a-number"}).status_code == 200


def test_a_customer_cannot_enter(alice, rows):
    owner = login(alice.owner)
    response = owner.get(_admin(), follow=True)
    assert response.status_code == 403
    assert owner.get(_admin("billing/ledgerentry/"), follow=True).status_code == 403
    # Signed out: to the console's sign-in, which comes back here after the password and the code.
    anonymous = Client().get(_admin("billing/ledgerentry/"), follow=True)
    assert anonymous.redirect_chain[-1][0].startswith(reverse("console:login") + "?next=")


def test_an_operator_who_has_not_passed_the_code_is_sent_to_it(operator):
    client = Client()
    client.post(reverse("console:login"), {"username": "ops-1", "password": PASSWORD})
    response = client.get(_admin())
    assert response.status_code == 302 and response.url.startswith(reverse("console:mfa_verify"))


def _production_urls(tmp_path, **env_extra: str) -> str:
    """Which view answers the admin paths in a process started with the production profile."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.pop("ADMIN_PATH", None)
    env.update(DJANGO_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               CREDENTIAL_ENCRYPTION_KEY=Fernet.generate_key().decode(), DJANGO_ALLOWED_HOSTS="x",
               RONGHE_VAR_DIR=str(tmp_path / "var"), **env_extra)
    script = ("from django.urls import Resolver404, resolve\n"
              "for path in ('/django-admin/', '/ops-7f3k/admin/', '/ops-7f3k/admin/billing/ledgerentry/'):\n"
              "    try:\n        print(path, resolve(path).url_name)\n"
              "    except Resolver404:\n        print(path, 'none')\n")
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_mounts_it_only_at_admin_path(tmp_path):
    assert _production_urls(tmp_path).split() == ["/django-admin/", "none", "/ops-7f3k/admin/", "none",
                                                  "/ops-7f3k/admin/billing/ledgerentry/", "none"]
    assert _production_urls(tmp_path, ADMIN_PATH="/ops-7f3k/admin/").split() == [
        "/django-admin/", "none", "/ops-7f3k/admin/", "index",
        "/ops-7f3k/admin/billing/ledgerentry/", "billing_ledgerentry_changelist"]
