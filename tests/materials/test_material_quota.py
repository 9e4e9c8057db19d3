"""Material quota (素材额度): base plus purchased blocks, checked atomically on creation."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from console.models import AuditEvent
from materials.models import Material
from materials.selectors import material_quota
from materials.services import material_create, material_delete, material_quota_add
from tests.conftest import login
from tests.materials.conftest import fit


@pytest.mark.django_db
def test_it_counts_live_materials_against_the_base(alice, make_material, settings):
    settings.MATERIAL_QUOTA_BASE = 2
    assert material_quota(account=alice.account) == (0, 2)
    first = make_material(alice, review=False)
    make_material(alice, review=False, campaign=first.campaign)
    assert material_quota(account=alice.account) == (2, 2)
    with pytest.raises(ValidationError) as exc:
        make_material(alice, review=False, campaign=first.campaign)
    assert exc.value.code == "quota"
    assert "2" in exc.value.messages[0]
    material_delete(account=alice.account, material=first, actor=alice.owner.user)
    assert material_quota(account=alice.account) == (1, 2)
    make_material(alice, review=False, campaign=first.campaign)  # the freed slot is usable at once


@pytest.mark.django_db
def test_it_adds_blocks_of_ten_with_an_audit_row(alice, bob, operator):
    material_quota_add(account=alice.account, blocks=2, actor=operator, reason="合同赠送")
    assert material_quota(account=alice.account) == (0, 30)
    assert material_quota(account=bob.account) == (0, 10)
    event = AuditEvent.objects.get(action="material_quota.add")
    assert (event.from_state, event.to_state, event.reason) == ("10", "30", "合同赠送")
    with pytest.raises(ValidationError):
        material_quota_add(account=alice.account, blocks=0, actor=operator, reason="x")


@pytest.mark.django_db
def test_a_replacing_upload_needs_no_free_slot(alice, make_material, settings):
    settings.MATERIAL_QUOTA_BASE = 1
    old = make_material(alice, review=False)
    new = material_create(account=alice.account, campaign=old.campaign, actor=alice.owner.user,
                          data=fit("obama.jpg"), replaces=old)
    assert list(Material.objects.values_list("id", flat=True)) == [new.id]


@pytest.mark.django_db
def test_the_quota_page_shows_used_and_total(alice, make_material):
    make_material(alice, review=False)
    body = login(alice.viewer).get(reverse("materials:quota")).content.decode()
    assert "1 / 10" in body


@pytest.mark.django_db
def test_an_operator_grants_quota_from_the_accounts_one_page(alice, operator):
    url = reverse("billing:operator_account", args=[alice.account.id])
    response = login(operator).post(url, {"action": "quota", "quota-blocks": 3, "quota-reason": "补偿"})
    assert response.status_code == 302
    assert material_quota(account=alice.account) == (0, 40)
    assert "已用 0 / 共 40" in login(operator).get(url).content.decode()
    assert login(alice.owner).post(url, {"action": "quota", "quota-blocks": 3, "quota-reason": "x"}).status_code == 403
    assert material_quota(account=alice.account) == (0, 40)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_uploads_against_three_free_slots_create_exactly_three(alice, make_campaign, settings):
    assert connection.vendor == "postgresql"
    settings.MATERIAL_QUOTA_BASE = 5
    campaign = make_campaign(alice)
    for _ in range(2):
        material_create(account=alice.account, campaign=campaign, actor=alice.owner.user, data=fit("obama.jpg"))
    data = fit("biden.jpg")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def upload() -> None:
        try:
            barrier.wait()
            material_create(account=alice.account, campaign=campaign, actor=alice.owner.user, data=data)
            result = "ok"
        except ValidationError as exc:
            result = exc.code
        except Exception as exc:  # any other failure must fail the test
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok"] * 3 + ["quota"] * 17
    assert Material.objects.filter(account=alice.account).count() == 5


@pytest.mark.django_db
def test_deleting_an_account_takes_its_campaigns_and_materials(alice, bob, make_material):
    make_material(alice, review=False)
    kept = make_material(bob, review=False)
    alice.account.delete()
    assert list(Material.objects.values_list("id", flat=True)) == [kept.id]
