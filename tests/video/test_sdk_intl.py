"""The official international SDK (tencentcloud-sdk-python-intl-en 3.1.193), unchanged, pointed at
the live test server: SubmitVideoFaceFusionJob, then QueryVideoFaceFusionJob until done, on the
demo video material; the download's MD5, frames, rate and duration are what Query said.

The SDK's `tencentcloud` package clashes with the Chinese SDK's (requirements-intl-sdk.txt), so its
client runs in a process of its own with .venv/intl-sdk first on PYTHONPATH."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import REPO
from tests.video.conftest import clip_bytes, video_material

pytestmark = [pytest.mark.worker]

INTL_SDK = REPO / ".venv" / "intl-sdk"

CLIENT = r"""
import json, sys, time
import tencentcloud
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.facefusion.v20220927 import facefusion_client, models

args = json.loads(sys.stdin.read())
assert "intl-sdk" in tencentcloud.__file__, tencentcloud.__file__
http = HttpProfile(protocol="http", endpoint=args["endpoint"], reqTimeout=60)
client = facefusion_client.FacefusionClient(credential.Credential(args["id"], args["key"]), "ap-singapore",
                                            ClientProfile(httpProfile=http))
out = {}
def code(call):
    try:
        call()
    except TencentCloudSDKException as exc:
        return exc.get_code()
    return None

req = models.SubmitVideoFaceFusionJobRequest()
req.from_json_string(json.dumps({"ProjectId": args["project"], "ModelId": args["model"],
                                 "MergeInfos": [{"Image": args["photo"]}],
                                 "MetaData": [{"MetaKey": "k", "MetaValue": "v"}]}))
resp = client.SubmitVideoFaceFusionJob(req)
out["submit"] = json.loads(resp.to_json_string())
query = models.QueryVideoFaceFusionJobRequest()
query.JobId = resp.JobId
codes = []
deadline = time.time() + 150
while time.time() < deadline:
    r = client.QueryVideoFaceFusionJob(query)
    codes.append(r.JobStatusCode)
    if r.JobStatusCode in (5, 7):
        break
    time.sleep(0.5)
out["query"] = json.loads(r.to_json_string())
out["codes"] = codes
other = models.QueryVideoFaceFusionJobRequest()
other.JobId = args["other_job"]
out["other_job"] = code(lambda: client.QueryVideoFaceFusionJob(other))
bad = models.SubmitVideoFaceFusionJobRequest()
bad.from_json_string(json.dumps({"ProjectId": args["project"], "ModelId": args["model"],
                                 "MergeInfos": [{"Image": args["photo"]}],
                                 "UserDesignatedUrl": "http://127.0.0.1:1/put"}))
out["private_url"] = code(lambda: client.SubmitVideoFaceFusionJob(bad))
print(json.dumps(out))
"""


def _client(live_server, key, **args) -> dict:
    port = live_server.url.rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": str(INTL_SDK)}
    payload = json.dumps({"endpoint": f"127.0.0.1:{port}", "id": key.secret_id, "key": key.secret_key, **args})
    done = subprocess.run([sys.executable, "-c", CLIENT], input=payload, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_it_works_with_the_international_sdk(live_server, video_workers, alice, bob, alice_key, faces_dir):
    import base64

    from billing.models import LedgerEntry, UsageRecord
    from billing.services import usage_settle
    from fusion.engine import video as engine_video
    from video.models import VideoJob

    assert INTL_SDK.is_dir(), "make .venv/.dev-deps installs the international SDK into .venv/intl-sdk"
    material = video_material(alice)
    # Another picture than alice's: the review flags a copy of another account's material.
    bob_material = video_material(bob, clip_bytes(faces_dir / "obama2.jpg", seconds=0.4))
    from video.services import video_job_submit

    bob_job = video_job_submit(account=bob.account, material=bob_material, request_id="bob-1", source="api",
                               photo=(faces_dir / "obama2.jpg").read_bytes())
    video_workers.start("video-1")
    photo = base64.b64encode((faces_dir / "biden.jpg").read_bytes()).decode()
    out = _client(live_server, alice_key, project=material.campaign.project_id, model=material.model_id,
                  photo=photo, other_job=bob_job.job_id)

    submit = out["submit"]
    assert len(submit["JobId"]) == 16 and submit["EstimatedProcessTime"] >= 1 and submit["JobQueueLength"] >= 0
    assert submit["ReviewResultSet"] == []
    query = out["query"]
    assert query["JobStatusCode"] == 7 and query["JobStatus"] == "processing completed", query
    assert set(out["codes"]) <= {1, 3, 7}
    result = query["VideoFaceFusionOutput"]
    with urllib.request.urlopen(result["VideoUrl"].replace("localhost", "127.0.0.1"), timeout=30) as fh:
        data = fh.read()
    assert hashlib.md5(data).hexdigest() == result["VideoMD5"]
    path = REPO / "var" / f"test-intl-{submit['JobId']}.mp4"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    try:
        info = engine_video.probe(path)
        template = material.video_info
        assert (info.frames, round(float(info.fps)), info.duration) == (result["Frame"], result["FPS"],
                                                                        result["DurationInSec"])
        assert (info.width, info.height, info.frames) == (result["Width"], result["Height"], template["frames"])
        assert info.codec == "h264"
        labels = engine_video.read_labels(path)
        assert labels["AIGC"]["Label"] == "1" and labels["MetaData"] == {"k": "v"}
        from materials.video import stored_video

        with stored_video(material.video.name) as template_path:
            assert engine_video.audio_packets(path) == engine_video.audio_packets(template_path)
    finally:
        path.unlink()

    # Another account's JobId answers like one that does not exist; a private upload URL is refused.
    assert out["other_job"] == "FailedOperation.JobNotExist"
    assert out["private_url"] == "InvalidParameterValue.UrlIllegal"

    # Billed once, by output seconds, as video; the Submit and Query calls themselves are not billed.
    job = VideoJob.objects.get(job_id=submit["JobId"])
    record = UsageRecord.objects.get(request_id=f"video:{job.job_id}")
    assert (record.product, record.units, record.billable) == ("video", 2, True)
    usage_settle(record_id=record.id)
    assert sum(-e.delta for e in LedgerEntry.objects.filter(usage=record, reason="usage")) == 2
    calls = UsageRecord.objects.filter(account=alice.account, action__in=["SubmitVideoFaceFusionJob",
                                                                         "QueryVideoFaceFusionJob"])
    assert calls.exists() and not calls.filter(billable=True).exists()
