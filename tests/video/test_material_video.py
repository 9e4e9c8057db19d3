"""Video materials: the upload's checks by content, preprocessing's three outcomes (31, 32, 33), the
machine review's public-figure check on sampled frames, an operator's decision, one appeal, and
another account's material answering 404."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from tests.conftest import login
from tests.video.conftest import clip_bytes

pytestmark = pytest.mark.django_db


def _video_campaign(tenant):
    from campaigns.services import campaign_create

    return campaign_create(account=tenant.account, actor=tenant.owner.user, name="视频活动", kind="video")


def _upload(tenant, data: bytes, campaign=None):
    from materials.video import material_video_create

    return material_video_create(account=tenant.account, campaign=campaign or _video_campaign(tenant),
                                 actor=tenant.owner.user, upload=io.BytesIO(data), filename="clip.mp4")


def _run(material):
    from materials.models import Material
    from materials.review import material_review_run
    from materials.video import material_preprocess_run

    material_preprocess_run(material_id=material.id)
    material_review_run(material_id=material.id)
    return Material.objects.get(id=material.id)


def test_it_refuses_what_is_not_an_mp4_or_is_over_the_limits(alice, faces_dir, tmp_path):
    import cv2

    from fusion.engine.video import make_demo_clip
    from materials.models import Material

    with pytest.raises(ValidationError, match="MP4"):
        _upload(alice, (faces_dir / "obama.jpg").read_bytes())
    still = cv2.imread(str(faces_dir / "obama.jpg"))
    long_clip = tmp_path / "long.mp4"
    make_demo_clip(still, long_clip, width=96, height=64, seconds=21, fps=5)
    with pytest.raises(ValidationError, match="20"):
        _upload(alice, long_clip.read_bytes())
    assert not Material.objects.exists()


def test_videos_go_into_video_campaigns_and_images_into_image_campaigns(alice, faces_dir):
    from campaigns.services import campaign_create
    from materials.services import material_create

    images = campaign_create(account=alice.account, actor=alice.owner.user, name="图片活动")
    with pytest.raises(ValidationError):
        _upload(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.2), campaign=images)
    with pytest.raises(ValidationError):
        material_create(account=alice.account, campaign=_video_campaign(alice), actor=alice.owner.user,
                        data=(faces_dir / "astronaut_collins.png").read_bytes())


def test_preprocessing_passes_a_face_fails_a_broken_file_and_finds_no_role_in_a_faceless_video(alice, faces_dir,
                                                                                                 tmp_path):
    import cv2
    from django.core.files.storage import default_storage

    from fusion.engine.video import make_demo_clip
    from materials.models import MaterialStatus, ReviewStage

    good = _run(_upload(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.4)))
    assert good.status == MaterialStatus.MACHINE_PASSED and good.is_usable
    assert good.track and good.image and good.faces[0]["face_id"] == "face_0"
    assert good.review_details["sampled_frames"]

    gradient = cv2.cvtColor(np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (180, 1)), cv2.COLOR_GRAY2BGR)
    faceless = tmp_path / "faceless.mp4"
    make_demo_clip(gradient, faceless, width=160, height=90, seconds=0.2)
    none = _run(_upload(alice, faceless.read_bytes()))
    assert none.status == MaterialStatus.ROLE_NOT_IN_VIDEO and none.review_stage == ReviewStage.DONE
    assert "34×34" in none.audit_result and not none.is_usable

    broken = _upload(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.2))
    default_storage.delete(broken.video.name)
    default_storage.save(broken.video.name, io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500))
    broken = _run(broken)
    assert broken.status == MaterialStatus.PREPROCESS_FAILED and "MP4" in broken.audit_result


def test_a_public_figure_on_sampled_frames_goes_to_an_operator_then_one_appeal(alice, bob, operator, faces_dir):
    from fusion.engine import get_engine
    from materials import operators
    from materials.models import MaterialStatus, PublicFigure, PublicFigurePhoto, ReviewFlag, ReviewStage
    from materials.services import material_appeal, proof_create

    figure = PublicFigure.objects.create(name="Joe Biden")
    PublicFigurePhoto.objects.create(figure=figure, image="x.jpg",
                                     embedding=get_engine().embedding_of((faces_dir / "biden.jpg").read_bytes()))
    material = _run(_upload(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.4)))
    assert material.status == MaterialStatus.PREPROCESSED and material.review_stage == ReviewStage.OPERATOR
    assert material.review_flags == [ReviewFlag.PUBLIC_FIGURE]
    assert material.review_details["public_figures"][0]["figure"] == "Joe Biden"

    # Another account's video material answers 404 like a missing one.
    assert login(bob.owner).get(f"/materials/{material.model_id}/").status_code == 404
    assert login(alice.owner).get(f"/materials/{material.model_id}/").status_code == 200

    with pytest.raises(ValidationError):  # a rights flag needs a proof on file before approval
        operators.material_decide(material_id=material.id, actor=operator, approve=True)
    rejected = operators.material_decide(material_id=material.id, actor=operator, approve=False, reason="肖像权")
    assert rejected.status == MaterialStatus.MANUAL_FAILED
    appealed = material_appeal(account=alice.account, material=rejected, actor=alice.owner.user, text="已获授权")
    assert appealed.status == MaterialStatus.APPEALING
    with pytest.raises(ValidationError):
        material_appeal(account=alice.account, material=appealed, actor=alice.owner.user, text="再次")
    with pytest.raises(ValidationError):  # the appeal too, until a proof is on file
        operators.material_decide(material_id=material.id, actor=operator, approve=True)
    proof_create(account=alice.account, material=appealed, actor=alice.owner.user,
                 data=(faces_dir / "cruz.jpg").read_bytes(), filename="licence.jpg")
    passed = operators.material_decide(material_id=material.id, actor=operator, approve=True)
    assert passed.status == MaterialStatus.APPEAL_PASSED and passed.is_usable
