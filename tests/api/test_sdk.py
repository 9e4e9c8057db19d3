"""The official Tencent Cloud SDK (tencentcloud-sdk-python-facefusion), unchanged, pointed at the
live test server: the promise that a customer keeps their code."""

import base64
import time
import types
import urllib.request

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from fusion.engine import read_labels
from tests.api.conftest import approved_material

pytestmark = [pytest.mark.worker]


class sdk_client:
    """The official client, created afresh for every call on its own connection, closed after it.

    The live test server gives each kept-alive connection a thread that holds a database connection
    until the client hangs up; one connection per call leaves none behind at the end of the test."""

    def __init__(self, live_server, key, version: str = "2022-09-27") -> None:
        self.live_server, self.key, self.version = live_server, key, version

    def _client(self):
        if self.version == "2022-09-27":
            from tencentcloud.facefusion.v20220927 import facefusion_client
        else:
            from tencentcloud.facefusion.v20181201 import facefusion_client
        port = self.live_server.url.rsplit(":", 1)[1]
        http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{port}", reqTimeout=60)
        return facefusion_client.FacefusionClient(credential.Credential(self.key.secret_id, self.key.secret_key),
                                                  "ap-guangzhou", ClientProfile(httpProfile=http))

    def __getattr__(self, action: str):
        def call(request):
            client = self._client()
            try:
                return getattr(client, action)(request)
            finally:
                client.request.conn._session.close()

        return call


def sdk_code(call) -> str:
    # Caught here rather than kept by pytest.raises: the traceback would keep the SDK's response,
    # and with it the connection to the live server, alive until the end of the test.
    try:
        call()
    except TencentCloudSDKException as exc:
        return exc.get_code()
    raise AssertionError("the SDK raised no TencentCloudSDKException")


def test_it_works_with_the_official_sdk(live_server, celery_worker_process, alice, bob, alice_key, bob_key,
                                        faces_dir, monkeypatch):
    from tencentcloud.common import abstract_client
    from tencentcloud.facefusion.v20181201 import models as models_2018
    from tencentcloud.facefusion.v20220927 import models

    from tests.api.conftest import reset_rate_limits

    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    bob_material = approved_material(bob, faces_dir / "obama2.jpg")
    client = sdk_client(live_server, alice_key)
    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()).decode()

    def fuse_request(rsp: str, model_id: str = material.model_id) -> models.FuseFaceRequest:
        req = models.FuseFaceRequest()
        req.from_json_string(__import__("json").dumps({
            "ProjectId": material.campaign.project_id, "ModelId": model_id, "RspImgType": rsp,
            "MergeInfos": [{"Image": photo}],
            "FuseParam": {"ImageCodecParam": {"MetaData": [{"MetaKey": "k", "MetaValue": "v"}]}}}))
        return req

    resp = client.FuseFace(fuse_request("base64"))
    image = base64.b64decode(resp.FusedImage)
    assert image.startswith(b"\x89PNG") and read_labels(image)["MetaData"] == {"k": "v"}

    resp = client.FuseFace(fuse_request("url"))
    assert resp.FusedImage.startswith(live_server.url.replace("localhost", "127.0.0.1"))
    with urllib.request.urlopen(resp.FusedImage, timeout=10) as fh:
        assert fh.read().startswith(b"\x89PNG")

    listing = models.DescribeMaterialListRequest()
    listing.ActivityId = material.campaign.project_id
    listing.Limit = 20
    listing.Offset = 0
    result = client.DescribeMaterialList(listing)
    assert result.Count == 1
    info = result.MaterialInfos[0]
    assert info.MaterialId == material.model_id and info.MaterialStatus == 21
    assert info.MaterialFaceList[0].FaceId == "face_0" and info.MaterialFaceList[0].FaceInfo.Width > 34

    # The 2018-12-01 client too.
    reset_rate_limits()
    old = sdk_client(live_server, alice_key, "2018-12-01")
    req = models_2018.FuseFaceRequest()
    req.ProjectId, req.ModelId, req.RspImgType = material.campaign.project_id, material.model_id, "base64"
    merge = models_2018.MergeInfo()
    merge.Image = photo
    req.MergeInfos = [merge]
    assert base64.b64decode(old.FuseFace(req).FusedImage).startswith(b"\x89PNG")
    listing_2018 = models_2018.DescribeMaterialListRequest()
    listing_2018.ActivityId = material.campaign.project_id
    listing_2018.Limit = 20
    assert old.DescribeMaterialList(listing_2018).MaterialInfos[0].MaterialId == material.model_id

    # Another account's ModelId answers like one that does not exist.
    assert sdk_code(lambda: client.FuseFace(fuse_request("base64", bob_material.model_id))) == (
        "InvalidParameterValue.MaterialIdNotFound")

    wrong_key = types.SimpleNamespace(secret_id=alice_key.secret_id, secret_key="0" * 32)
    assert sdk_code(lambda: sdk_client(live_server, wrong_key).FuseFace(fuse_request("base64"))) == (
        "AuthFailure.SignatureFailure")
    unknown = types.SimpleNamespace(secret_id="AKID" + "x" * 32, secret_key=alice_key.secret_key)
    assert sdk_code(lambda: sdk_client(live_server, unknown).FuseFace(fuse_request("base64"))) == (
        "AuthFailure.SecretIdNotFound")
    assert bob_key.secret_id != alice_key.secret_id

    # A client whose clock is ten minutes behind: only the SDK's clock is skewed, not the server's.
    real_time = time.time
    monkeypatch.setattr(abstract_client, "time", types.SimpleNamespace(time=lambda: real_time() - 600,
                                                                       sleep=time.sleep))
    assert sdk_code(lambda: client.FuseFace(fuse_request("base64"))) == "AuthFailure.SignatureExpire"
