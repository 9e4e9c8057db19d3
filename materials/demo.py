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
DEMO_VIDEO_CAMPAIGN = "示例视频活动"
DEMO_IMAGE = Path(__file__).resolve().parent / "demo_assets" / "astronaut_collins.jpg"
# The demo video template: made from the demo photo (a slow zoom and pan), short and small so the
# demo's first job, and CI's, take seconds.
DEMO_VIDEO_SIZE = (480, 270)
DEMO_VIDEO_SECONDS = 2.0


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


def demo_video_bytes(*, seconds: float = DEMO_VIDEO_SECONDS, size: tuple[int, int] = DEMO_VIDEO_SIZE) -> bytes:
    """The demo template video (MP4, H.264 with an AAC tone), made from the demo photo."""
    import tempfile

    import cv2
    import numpy as np

    from fusion.engine import get_engine
    from fusion.engine.video import make_demo_clip

    data = DEMO_IMAGE.read_bytes()
    face = get_engine().analyse(data)[0]
    photo = np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), dtype=np.uint8)
    with tempfile.NamedTemporaryFile(suffix=".mp4") as out:
        make_demo_clip(photo, out.name, face=face.box, width=size[0], height=size[1], seconds=seconds)
        return Path(out.name).read_bytes()


@transaction.atomic
def seed_demo_video(*, owner: Member, stdout: TextIOBase | None = None) -> Material:
    """Idempotent: the demo video campaign and its approved video material, preprocessed and
    reviewed at once (the queued tasks then find them decided)."""
    import io

    from materials.video import material_preprocess_run, material_video_create

    account = owner.account
    campaign = Campaign.objects.filter(account=account, name=DEMO_VIDEO_CAMPAIGN).first()
    if campaign is None:
        campaign = campaign_create(account=account, actor=owner.user, name=DEMO_VIDEO_CAMPAIGN, kind="video")
    material = Material.objects.filter(campaign=campaign).order_by("id").first()
    if material is None:
        material = material_video_create(account=account, campaign=campaign, actor=owner.user,
                                         upload=io.BytesIO(demo_video_bytes()), name="宇航员视频")
    material = material_preprocess_run(material_id=material.id) or material
    material = material_review_run(material_id=material.id) or material
    if stdout is not None:
        stdout.write(f"  video      {campaign.name} ProjectId {campaign.project_id}; "
                     f"material {material.model_id} status {material.status}")
    return material
