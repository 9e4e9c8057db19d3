"""FuseFaceUltra through the endpoint: off until an operator turns it on, its own rate limit,
parameters named before any work, the template checked against the operators' lists at call time,
and real fusions on a real Celery worker (base64 and url templates, both reply types, labels, meter)."""

import base64
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.api.conftest import error_code, signed_post

ULTRA = "FuseFaceUltra"


def b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def ultra_params(*merges, rsp: str = "base64", **extra) -> dict:
    return {"RspImgType": rsp, "MergeInfos": list(merges), **extra}


@pytest.fixture
def roomy_limit(settings):
    """A test making calls back to back: FuseFaceUltra's default 2 per second would refuse some."""
    settings.FUSEFACEULTRA_DEFAULT_QPS = 100


def _png(width: int, height: int, colour=(200, 180, 160)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_it_is_off_until_an_operator_turns_it_on(alice, alice_key, ultra_on, faces_dir):
    from billing.models import UsageRecord

    params = ultra_params({"Image": b64(faces_dir / "cruz.jpg")}, ModelImage=b64(faces_dir / "obama.jpg"))
    resp = signed_post(Client(), alice_key, ULTRA, params, headers={"X-TC-Language": "en-US"})
    assert error_code(resp) == "ResourceUnavailable.NotExist" and "FuseFaceUltra" in resp["Error"]["Message"]
    record = UsageRecord.objects.get(request_id=resp["RequestId"])
    assert (record.action, record.billable) == (ULTRA, False)
    ultra_on(alice)
    assert error_code(signed_post(Client(), alice_key, ULTRA, ultra_params({"Image": "aGk="}))) == "MissingParameter"


def test_it_answers_2022_09_27_only(alice, alice_key, ultra_on):
    ultra_on(alice)
    resp = signed_post(Client(), alice_key, ULTRA, ultra_params({"Image": "aGk="}, ModelImage="aGk="),
                       version="2018-12-01")
    assert error_code(resp) == "InvalidAction"


@pytest.mark.parametrize(("change", "code"), [
    ({"ModelImage": None}, "MissingParameter"),
    ({"MergeInfos": []}, "MissingParameter"),
    ({"MergeInfos": [{"Image": "aGk="}] * 7}, "InvalidParameterValue.ParameterValueError"),
    ({"RspImgType": "gif"}, "InvalidParameterValue"),
    ({"SwapModelType": 0}, "InvalidParameterValue"),
    ({"SwapModelType": 7}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"WarpRadio": 1.01}}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"EnhanceRadio": -0.1}}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"MpRadio": "lots"}}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"BlurRadio": 2}}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"TeethEnhanceRadio": 0.5}}, "InvalidParameterValue"),
    ({"FusionUltraParam": {"MakeupTransferRadio": True}}, "InvalidParameterValue"),
    ({"FusionUltraParam": "strong"}, "InvalidParameterValue"),
    ({"MergeInfos": [{"Image": "aGk=", "TemplateFaceRect": {"X": -1, "Y": 0, "Width": 50, "Height": 50}}]},
     "InvalidParameterValue.FaceRectParameterValueError"),
    ({"ModelImage": "A" * (10 * 1024 * 1024 + 4)}, "FailedOperation.ImageSizeExceed"),
    ({"MergeInfos": [{"Image": "A" * (5 * 1024 * 1024 + 4)}]}, "FailedOperation.ImageSizeExceed"),
    ({"ModelUrl": "http://169.254.169.254/latest/meta-data/"}, "InvalidParameterValue.UrlIllegal"),
    ({"ModelUrl": "http://10.0.0.8/poster.png"}, "InvalidParameterValue.UrlIllegal"),
])
def test_it_names_bad_parameters_before_any_image_work(alice, alice_key, ultra_on, change, code):
    from fusion.models import FusionJob

    ultra_on(alice)
    params = {k: v for k, v in {**ultra_params({"Image": "aGk="}, ModelImage="aGk="), **change}.items()
              if v is not None}
    assert error_code(signed_post(Client(), alice_key, ULTRA, params)) == code
    assert not FusionJob.objects.exists()


def test_the_knobs_take_decimal_strings_and_the_clouds_defaults(alice, alice_key, ultra_on, settings):
    from fusion.models import FusionJob

    settings.FUSION_JOB_DEADLINE_SECONDS = 1  # no worker here: the job is only looked at
    ultra_on(alice)
    params = ultra_params({"Image": "aGk="}, ModelImage="aGk=", SwapModelType=4,
                          FusionUltraParam={"WarpRadio": "0.25", "MakeupTransferRadio": 1})
    assert error_code(signed_post(Client(), alice_key, ULTRA, params)) == "FailedOperation.RequestTimeout"
    job = FusionJob.objects.get()
    assert (job.action, job.version, job.campaign_project_id) == (ULTRA, "ultra-4", "")
    assert job.options == {"model_type": 4, "warp": 0.25, "enhance": 0.5, "smooth": 0.5, "teeth": True,
                           "makeup": True}


def test_it_has_a_rate_limit_of_its_own(alice, alice_key, ultra_on, settings):
    ultra_on(alice)
    settings.FUSEFACEULTRA_DEFAULT_QPS = 1
    codes = [error_code(signed_post(Client(), alice_key, ULTRA, {"RspImgType": "gif"})) for _ in range(4)]
    assert "RequestLimitExceeded" in codes and "InvalidParameterValue" in codes
    # FuseFace's calls are limited apart: its bucket is untouched by these.
    assert error_code(signed_post(Client(), alice_key, "FuseFace", {"RspImgType": "gif"})) == "MissingParameter"


def test_bought_ultra_qps_raises_its_limit(alice, alice_key, ultra_on, operator, settings):
    from billing.services import balance_top_up, order_create

    ultra_on(alice)
    settings.FUSEFACEULTRA_DEFAULT_QPS = 1
    balance_top_up(account=alice.account, amount_fen=500_000, actor=operator, note="test")
    order_create(account=alice.account, price_code="ultra_qps_2", quantity=10, actor=operator)  # +20 QPS
    codes = [error_code(signed_post(Client(), alice_key, ULTRA, {"RspImgType": "gif"})) for _ in range(4)]
    assert "RequestLimitExceeded" not in codes


@pytest.mark.worker
def test_it_fuses_a_base64_template_with_both_reply_types(celery_worker_process, roomy_limit, alice, alice_key,
                                                          ultra_on, faces_dir):
    from billing.models import UsageRecord
    from fusion.engine import read_labels
    from fusion.models import FusionJob

    ultra_on(alice)
    client = Client()
    params = ultra_params({"Image": b64(faces_dir / "obama2.jpg")}, ModelImage=b64(faces_dir / "astronaut_collins.png"),
                          SwapModelType=2, FusionUltraParam={"EnhanceRadio": 0.8})
    resp = signed_post(client, alice_key, ULTRA, params)
    assert "Error" not in resp, resp
    image = base64.b64decode(resp["FusedImage"])
    assert image.startswith(b"\x89PNG")  # the template's format
    assert read_labels(image)["AIGC"]["ProduceID"] == resp["RequestId"]
    record = UsageRecord.objects.get(request_id=resp["RequestId"])
    assert (record.action, record.result_code, record.billable) == (ULTRA, "Success", True)

    resp = signed_post(client, alice_key, ULTRA, {**params, "RspImgType": "url"})
    assert resp["FusedImage"].startswith("http://testserver/files/")
    download = client.get(resp["FusedImage"].removeprefix("http://testserver"))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")
    job = FusionJob.objects.get(request_id=resp["RequestId"])
    assert abs(job.expires_at - (timezone.now() + timedelta(days=1))) < timedelta(minutes=2)  # a url lives a day


@pytest.mark.worker
def test_it_fetches_the_template_and_photo_by_url(celery_worker_process, roomy_limit, alice, alice_key, ultra_on,
                                                  faces_dir, image_server):
    ultra_on(alice)
    template = image_server.put("/poster.jpg", (faces_dir / "two_people.jpg").read_bytes())
    photo = image_server.put("/me.jpg", (faces_dir / "cruz.jpg").read_bytes())
    resp = signed_post(Client(), alice_key, ULTRA, ultra_params(
        {"Url": photo, "TemplateFaceID": "face_1"}, {"Image": b64(faces_dir / "obama.jpg"), "TemplateFaceID": "face_0"},
        ModelUrl=template, LogoAdd=0))
    assert "Error" not in resp, resp
    assert base64.b64decode(resp["FusedImage"]).startswith(b"\xff\xd8")
    missing = signed_post(Client(), alice_key, ULTRA, ultra_params({"Url": photo}, ModelUrl=template + ".gone"))
    assert error_code(missing) == "FailedOperation.ImageDownloadError"


@pytest.mark.worker
def test_it_refuses_a_gallery_person_a_protected_image_and_an_own_rejected_material(
        celery_worker_process, roomy_limit, alice, bob, alice_key, ultra_on, operator, faces_dir):
    from billing.models import UsageRecord
    from console.models import AuditAction, AuditEvent
    from materials import operators
    from materials.models import Material, MaterialStatus
    from tests.api.conftest import approved_material

    ultra_on(alice)
    client = Client()
    photo = {"Image": b64(faces_dir / "cruz.jpg")}
    operators.figure_create(actor=operator, name="Barack Obama", photos=[(faces_dir / "obama.jpg").read_bytes()])
    resp = signed_post(client, alice_key, ULTRA, ultra_params(photo, ModelImage=b64(faces_dir / "obama2.jpg")))
    assert error_code(resp) == "FailedOperation.FuseMaterialNotAuth"
    assert "公众人物" in resp["Error"]["Message"]
    event = AuditEvent.objects.get(action=AuditAction.ULTRA_TEMPLATE_REFUSED, target_id=resp["RequestId"])
    assert event.account_id == alice.account.id and event.data["matches"][0]["name"] == "Barack Obama"
    assert UsageRecord.objects.get(request_id=resp["RequestId"]).billable is False

    operators.protected_image_create(actor=operator, name="海报", data=(faces_dir / "biden.jpg").read_bytes())
    resp = signed_post(client, alice_key, ULTRA, ultra_params(photo, ModelImage=b64(faces_dir / "biden.jpg")))
    assert error_code(resp) == "FailedOperation.FuseMaterialNotAuth"
    assert AuditEvent.objects.get(target_id=resp["RequestId"]).data["matches"][0]["kind"] == "protected_image"

    rejected = approved_material(alice, faces_dir / "astronaut_collins.png")
    Material.objects.filter(id=rejected.id).update(status=MaterialStatus.APPEAL_FAILED)
    template = b64(faces_dir / "astronaut_collins.png")
    resp = signed_post(client, alice_key, ULTRA, ultra_params(photo, ModelImage=template))
    assert error_code(resp) == "FailedOperation.FuseMaterialNotAuth"
    assert AuditEvent.objects.get(target_id=resp["RequestId"]).data["matches"][0]["ref"] == rejected.model_id
    # Bob's own lists hold nothing against it.
    from tests.api.conftest import make_key

    ultra_on(bob)
    resp = signed_post(client, make_key(bob.developer), ULTRA, ultra_params(photo, ModelImage=template))
    assert "Error" not in resp, resp


@pytest.mark.worker
def test_it_answers_the_clouds_codes_for_template_faults(celery_worker_process, roomy_limit, alice, alice_key, ultra_on,
                                                         faces_dir):
    ultra_on(alice)
    client = Client()
    photo = {"Image": b64(faces_dir / "cruz.jpg")}

    def code(template: str, *merges) -> str | None:
        return error_code(signed_post(client, alice_key, ULTRA, ultra_params(*(merges or [photo]),
                                                                             ModelImage=template)))

    assert code(_png(8001, 100)) == "FailedOperation.ImageResolutionExceed"
    assert code(_png(63, 100)) == "FailedOperation.ImageResolutionTooSmall"
    assert code(_png(800, 600)) == "FailedOperation.NoFaceDetected"
    assert code(b64(faces_dir / "obama.jpg")[:3000]) == "FailedOperation.ImageDecodeFailed"
    assert code(b64(faces_dir / "obama.jpg"),
                {**photo, "TemplateFaceID": "face_3"}) == "FailedOperation.TemplateFaceIDNotExist"
