"""FuseFace through the endpoint: parameters, ownership, review state, and real fusions on a
real Celery worker (both RspImgType, labels, MetaData, several faces)."""

import base64
import io

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from tests.api.conftest import approved_material, error_code, signed_post, template_bytes


def b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def fuse_params(material, *merges, rsp: str = "base64", **extra) -> dict:
    return {"ProjectId": material.campaign.project_id, "ModelId": material.model_id, "RspImgType": rsp,
            "MergeInfos": list(merges), **extra}


def test_it_answers_another_accounts_ids_like_missing_ones(alice_key, alice_material, bob_material, faces_dir):
    photo = {"Image": b64(faces_dir / "obama2.jpg")}
    client = Client()
    resp = signed_post(client, alice_key, "FuseFace", fuse_params(bob_material, photo))
    assert error_code(resp) == "InvalidParameterValue.ActivityIdNotFound"
    unknown = signed_post(client, alice_key, "FuseFace", fuse_params(bob_material, photo, ProjectId="at_doesnotexist"))
    assert resp["Error"] == unknown["Error"]  # code and message alike: nothing tells the id exists elsewhere
    bobs = fuse_params(alice_material, photo, ModelId=bob_material.model_id)
    mixed = signed_post(client, alice_key, "FuseFace", bobs)
    assert error_code(mixed) == "InvalidParameterValue.MaterialIdNotFound"
    missing = signed_post(client, alice_key, "FuseFace", fuse_params(alice_material, photo, ModelId="mt_doesnotexist"))
    assert mixed["Error"] == missing["Error"]


def test_it_refuses_a_material_that_has_not_passed_review(alice, alice_key, alice_material, faces_dir):
    from materials.services import material_create

    pending = material_create(account=alice.account, campaign=alice_material.campaign, actor=alice.owner.user,
                              data=template_bytes(faces_dir / "obama.jpg"), filename="obama.jpg")
    resp = signed_post(Client(), alice_key, "FuseFace", fuse_params(pending, {"Image": b64(faces_dir / "cruz.jpg")}))
    assert error_code(resp) == "FailedOperation.FuseMaterialNotAuth"


@pytest.mark.parametrize(("change", "code"), [
    ({"MergeInfos": []}, "MissingParameter"),
    ({"MergeInfos": [{"Image": "aGk="}] * 7}, "InvalidParameterValue.ParameterValueError"),
    ({"MergeInfos": [{}]}, "MissingParameter"),
    ({"RspImgType": "gif"}, "InvalidParameterValue"),
    ({"ProjectId": None}, "MissingParameter"),
    ({"FuseFaceDegree": 101}, "InvalidParameterValue"),
    ({"FuseProfileDegree": -1}, "InvalidParameterValue"),
    ({"FuseFaceDegree": "--5"}, "InvalidParameterValue"),
    ({"LogoAdd": "\u00b2"}, "InvalidParameterValue"),
    ({"FuseProfileDegree": "9" * 5000}, "InvalidParameterValue"),
    ({"MergeInfos": [{"Image": "aGk=", "InputImageFaceRect": {"X": float("inf"), "Y": 0, "Width": 50, "Height": 50}}]},
     "InvalidParameterValue.FaceRectParameterValueError"),
    ({"MergeInfos": [{"Image": "aGk=", "InputImageFaceRect": {"X": 0, "Y": float("nan"), "Width": 50, "Height": 50}}]},
     "InvalidParameterValue.FaceRectParameterValueError"),
    ({"MergeInfos": [{"Image": "aGk=", "InputImageFaceRect": {"X": -1, "Y": 0, "Width": 50, "Height": 50}}]},
     "InvalidParameterValue.FaceRectParameterValueError"),
    ({"MergeInfos": [{"Image": "A" * (5 * 1024 * 1024 + 4)}]}, "FailedOperation.ImageSizeExceed"),
    ({"MergeInfos": [{"Url": "http://169.254.169.254/latest/meta-data/"}]}, "InvalidParameterValue.UrlIllegal"),
    ({"MergeInfos": [{"Url": "http://2130706433/a.png"}]}, "InvalidParameterValue.UrlIllegal"),
    ({"FuseParam": {"ImageCodecParam": {"MetaData": [{"MetaKey": "k" * 33, "MetaValue": "v"}]}}},
     "InvalidParameterValue"),
    ({"FuseParam": {"ImageCodecParam": {"MetaData": [{"MetaKey": "k", "MetaValue": "v" * 257}]}}},
     "InvalidParameterValue"),
])
def test_it_names_bad_parameters_before_any_image_work(alice_key, alice_material, change, code):
    from fusion.models import FusionJob

    params = fuse_params(alice_material, {"Image": "aGk="}, **change)
    params = {k: v for k, v in params.items() if v is not None}
    assert error_code(signed_post(Client(), alice_key, "FuseFace", params)) == code
    assert not FusionJob.objects.exists()  # refused before any job was queued


def test_it_times_out_when_no_worker_takes_the_job(settings, alice_key, alice_material, faces_dir):
    from fusion.models import FusionJob

    settings.FUSION_JOB_DEADLINE_SECONDS = 1
    photo = {"Image": b64(faces_dir / "obama.jpg")}
    resp = signed_post(Client(), alice_key, "FuseFace", fuse_params(alice_material, photo))
    assert error_code(resp) == "FailedOperation.RequestTimeout"
    job = FusionJob.objects.get(request_id=resp["RequestId"])
    assert job.status == "timed_out"


def _label_region(data: bytes) -> np.ndarray:
    from fusion.engine.labels import visible_label_box

    img = Image.open(io.BytesIO(data)).convert("RGB")
    x, y, w, h = visible_label_box(*img.size)
    return np.asarray(img)[y:y + h, x:x + w].astype(int)


@pytest.mark.worker
def test_it_fuses_on_the_worker_with_labels_metadata_and_both_reply_types(
        celery_worker_process, alice, alice_key, faces_dir):
    from fusion.engine import read_labels

    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    client = Client()
    photo = {"Image": b64(faces_dir / "obama.jpg")}
    meta = {"ImageCodecParam": {"MetaData": [{"MetaKey": "campaign", "MetaValue": "双十一 poster 7"}]}}

    resp = signed_post(client, alice_key, "FuseFace", fuse_params(material, photo, FuseParam=meta))
    assert "Error" not in resp, resp
    labelled = base64.b64decode(resp["FusedImage"])
    assert labelled.startswith(b"\x89PNG")  # the template's format
    labels = read_labels(labelled)
    assert labels["MetaData"] == {"campaign": "双十一 poster 7"}
    assert labels["AIGC"]["Label"] == "1" and labels["AIGC"]["ProduceID"] == resp["RequestId"]

    resp = signed_post(client, alice_key, "FuseFace", fuse_params(material, photo, LogoAdd=0))
    plain = base64.b64decode(resp["FusedImage"])
    assert read_labels(plain)["AIGC"]["Label"] == "1"  # the implicit label is never optional
    assert np.abs(_label_region(labelled) - _label_region(plain)).mean() > 10

    resp = signed_post(client, alice_key, "FuseFace", fuse_params(material, photo, rsp="url"))
    url = resp["FusedImage"]
    assert url.startswith("http://testserver/files/")
    download = client.get(url.removeprefix("http://testserver"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")

    truncated = {"Image": b64(faces_dir / "obama.jpg")[:4000]}
    resp = signed_post(client, alice_key, "FuseFace", fuse_params(material, truncated))
    assert error_code(resp) == "FailedOperation.ImageDecodeFailed"


@pytest.mark.worker
def test_it_puts_each_person_where_the_mapping_says(celery_worker_process, alice, alice_key, faces_dir):
    from fusion.engine import get_engine

    engine = get_engine()
    material = approved_material(alice, faces_dir / "two_people.jpg")
    faces = {f["face_id"]: f["box"] for f in material.template_record["faces"]}
    assert set(faces) == {"face_0", "face_1"}
    resp = signed_post(Client(), alice_key, "FuseFace", fuse_params(
        material,
        {"Image": b64(faces_dir / "obama.jpg"), "TemplateFaceID": "face_0"},
        {"Image": b64(faces_dir / "cruz.jpg"), "TemplateFaceID": "face_1"},
        LogoAdd=0))
    assert "Error" not in resp, resp
    out = base64.b64decode(resp["FusedImage"])
    assert out.startswith(b"\xff\xd8")  # JPEG template, JPEG result
    found = engine.faces_in(engine.decode(out), thorough=True, with_embeddings=True)
    obama = engine.embedding_of((faces_dir / "obama.jpg").read_bytes())
    cruz = engine.embedding_of((faces_dir / "cruz.jpg").read_bytes())

    def dist(a, b):
        return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))

    def centre(box):
        return box[0] + box[2] / 2

    for face in found:
        nearest = min(faces, key=lambda fid: abs(centre(faces[fid]) - centre(face.box)))
        own, other = (obama, cruz) if nearest == "face_0" else (cruz, obama)
        assert dist(face.embedding, own) < dist(face.embedding, other), nearest
