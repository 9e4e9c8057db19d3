"""Demo data for ``seed_demo``: a campaign holding an approved, analysed material."""

from io import TextIOBase
from pathlib import Path

from django.db import transaction

from campaigns.models import Campaign
from campaigns.services import campaign_create
from console.models import Member
from materials.models import Material
from materials.review import material_review_run
from materials.services import material_create

DEMO_CAMPAIGN = "示例活动"
DEMO_IMAGE = Path(__file__).resolve().parent / "demo_assets" / "astronaut_collins.jpg"


@transaction.atomic
def seed_demo_materials(*, owner: Member, stdout: TextIOBase | None = None) -> Material:
    """Idempotent: reuses the demo campaign and its first material when they exist."""
    account = owner.account
    campaign = Campaign.objects.filter(account=account, name=DEMO_CAMPAIGN).first()
    if campaign is None:
        campaign = campaign_create(account=account, actor=owner.user, name=DEMO_CAMPAIGN)
    material = Material.objects.filter(campaign=campaign).order_by("id").first()
    if material is None:
        material = material_create(account=account, campaign=campaign, actor=owner.user,
                                   data=DEMO_IMAGE.read_bytes(), name="宇航员")
    # Review at once so the console shows a usable material; the queued task then finds it decided.
    material = material_review_run(material_id=material.id) or material
    if stdout is not None:
        stdout.write(f"  campaign   {campaign.name} ProjectId {campaign.project_id}; "
                     f"material {material.model_id} status {material.status}")
    return material
