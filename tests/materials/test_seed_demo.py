import pytest
from django.core.management import call_command

from materials.models import Material, MaterialStatus


@pytest.mark.django_db
def test_seed_demo_makes_a_campaign_with_an_approved_analysed_material_once():
    # (the fast password hasher comes from tests/materials/conftest.py's autouse fixture)
    call_command("seed_demo")
    call_command("seed_demo")
    material = Material.objects.get()
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert material.faces and material.faces[0]["face_id"] == "face_0"


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_tenant_this_months_free_pack_once():
    from billing.models import Pack, PackKind
    from console.models import Account

    call_command("seed_demo")
    call_command("seed_demo")
    pack = Pack.objects.get(kind=PackKind.FREE)
    assert pack.account == Account.objects.get() and pack.remaining == pack.calls_total == 1000
