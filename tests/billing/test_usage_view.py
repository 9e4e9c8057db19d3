import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.billing.conftest import make_calls
from tests.conftest import login


@pytest.mark.parametrize("role,status", [("owner", 200), ("admin", 200), ("finance", 200), ("viewer", 200),
                                         ("developer", 403)])
def test_it_is_for_roles_that_read_usage(alice, role, status):
    assert login(alice.member(role)).get(reverse("billing:usage")).status_code == status


def test_it_fills_the_date_pickers_with_iso_dates_in_chinese(alice):
    body = login(alice.owner).get(reverse("billing:usage")).content.decode()  # the default range
    assert f'name="end" value="{timezone.localdate().isoformat()}"' in body


def test_it_counts_billed_free_and_not_billed_per_day(alice, small_free_pack):
    now = timezone.now()
    make_calls(alice.account, 4, now=now, campaign="at_a", material="mt_a")
    make_calls(alice.account, 2, now=now, code="AuthFailure.SignatureFailure", campaign="", material="")
    data = login(alice.viewer).get(reverse("billing:usage_data")).json()
    assert data["totals"] == {"billed": 1, "free": 3, "not_billed": 2, "total": 6}
    assert data["series"]["free"][-1] == 3 and data["days"][-1] == timezone.localdate().isoformat()
    assert {r["key"]: r["total"] for r in data["by_campaign"]} == {"at_a": 4, "": 2}
    assert {r["key"]: r["total"] for r in data["by_code"]} == {"Success": 4, "AuthFailure.SignatureFailure": 2}


def test_it_shows_unsettled_calls_at_once(alice):
    make_calls(alice.account, 3, now=timezone.now(), settle=False)
    assert login(alice.owner).get(reverse("billing:usage_data")).json()["totals"]["total"] == 3


def test_it_filters_by_range_and_campaign(alice):
    make_calls(alice.account, 2, now=timezone.now(), campaign="at_a")
    make_calls(alice.account, 1, now=timezone.now(), campaign="at_b")
    client = login(alice.owner)
    assert client.get(reverse("billing:usage_data"), {"campaign": "at_b"}).json()["totals"]["total"] == 1
    assert client.get(reverse("billing:usage_data"), {"start": "2020-01-01", "end": "2020-01-05"}).json()[
        "totals"]["total"] == 0
    bad = client.get(reverse("billing:usage"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200 and "开始日期晚于结束日期" in bad.content.decode()


def test_it_exports_csv(alice):
    make_calls(alice.account, 2, now=timezone.now(), campaign="at_csv")
    response = login(alice.finance).get(reverse("billing:usage_csv"))
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3 and "at_csv" in lines[1]


def test_it_never_shows_another_accounts_calls(alice, bob):
    make_calls(bob.account, 2, now=timezone.now(), campaign="at_bob")
    client = login(alice.owner)
    assert client.get(reverse("billing:usage_data")).json()["totals"]["total"] == 0
    assert "at_bob" not in client.get(reverse("billing:usage_csv")).content.decode()
    assert client.get(reverse("billing:usage_data"), {"campaign": "at_bob"}).json()["totals"]["total"] == 0


def test_it_neutralises_formulas_in_the_csv_export(alice):
    # ProjectId and ModelId are the caller's text, recorded even when no such campaign exists.
    make_calls(alice.account, 1, now=timezone.now(), campaign='=HYPERLINK("http://evil.example","x")',
               material="@SUM(A1)")
    make_calls(alice.account, 1, now=timezone.now(), campaign="+1", material="-2")
    response = login(alice.finance).get(reverse("billing:usage_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    cells = {(row[3], row[4]) for row in rows}
    assert cells == {("'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(A1)"), ("'+1", "'-2")}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
