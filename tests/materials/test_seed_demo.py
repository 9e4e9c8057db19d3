import pytest
from django.core.management import call_command

from materials.models import Material, MaterialStatus


@pytest.mark.django_db
def test_seed_demo_makes_a_campaign_with_an_approved_analysed_material_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    call_command("seed_demo")
    material = Material.objects.get()
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert material.faces and material.faces[0]["face_id"] == "face_0"
