"""SubmitVideoFaceFusionJob and QueryVideoFaceFusionJob without a worker: what is refused and with
which code, the honest queue figures, another account's ids answering like missing ones, and the
upload to UserDesignatedUrl under the fetcher's rules."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest

from tests.api.conftest import alice_material as alice_material  # a fixture
from tests.api.conftest import error_code, reset_rate_limits
from tests.api.conftest import signed_post as _signed_post
from tests.video.conftest import clip_bytes, video_material

pytestmark = pytest.mark.django_db


def signed_post(*args, **kwargs) -> dict:
    """One call with the rate limiter's state cleared first: these tests call faster than 5 a second."""
    reset_rate_limits()
    return _signed_post(*args, **kwargs)


@pytest.fixture
def alice_video(alice, faces_dir, settings):
    settings.VIDEO_SEGMENT_FRAMES = 5
    return video_material(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.4), name="视频")


def _submit(client, key, material, **extra) -> dict:
    photo = base64.b64encode(extra.pop("photo", b"") or (extra.pop("faces_dir") / "obama2.jpg").read_bytes()).decode()
    params = {"ProjectId": material.campaign.project_id, "ModelId": material.model_id,
              "MergeInfos": [{"Image": photo}], **extra}
    return signed_post(client, key, "SubmitVideoFaceFusionJob", params)


def test_it_refuses_what_cannot_become_a_video_job(client, alice, bob, alice_key, alice_video, alice_material,
                                                     faces_dir):
    from video.models import VideoJob

    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()).decode()
    base = {"ProjectId": alice_video.campaign.project_id, "ModelId": alice_video.model_id}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", base)) == "MissingParameter"
    two = {**base, "MergeInfos": [{"Image": photo}, {"Image": photo}]}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", two)) == (
        "InvalidParameterValue.ParameterValueError")
    image = {"ProjectId": alice_material.campaign.project_id, "ModelId": alice_material.model_id,
             "MergeInfos": [{"Image": photo}]}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", image)) == (
        "InvalidParameterValue.ActivityIdNotFound")
    face_1 = {**base, "MergeInfos": [{"Image": photo, "TemplateFaceID": "face_1"}]}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", face_1)) == (
        "FailedOperation.FaceIdNotInVideo")
    not_image = {**base, "MergeInfos": [{"Image": base64.b64encode(b"GIF89a....").decode()}]}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", not_image)) == (
        "FailedOperation.ImageDecodeFailed")
    private = {**base, "MergeInfos": [{"Image": photo}], "UserDesignatedUrl": "http://169.254.169.254/put"}
    assert error_code(signed_post(client, alice_key, "SubmitVideoFaceFusionJob", private)) == (
        "InvalidParameterValue.UrlIllegal")
    # A video material through FuseFace answers like a missing material.
    fuse = {**base, "RspImgType": "url", "MergeInfos": [{"Image": photo}]}
    assert error_code(signed_post(client, alice_key, "FuseFace", fuse)) == "InvalidParameterValue.MaterialIdNotFound"
    assert not VideoJob.objects.exists()


def test_another_accounts_ids_answer_like_missing_ones(client, alice, bob, alice_key, alice_video, faces_dir):
    from tests.api.conftest import make_key

    bob_key = make_key(bob.developer)
    resp = _submit(client, bob_key, alice_video, faces_dir=faces_dir)
    assert error_code(resp) == "InvalidParameterValue.ActivityIdNotFound"
    mine = _submit(client, alice_key, alice_video, faces_dir=faces_dir)
    assert error_code(signed_post(client, bob_key, "QueryVideoFaceFusionJob", {"JobId": mine["JobId"]})) == (
        "FailedOperation.JobNotExist")
    assert error_code(signed_post(client, alice_key, "QueryVideoFaceFusionJob", {"JobId": "nope"})) == (
        "FailedOperation.JobNotExist")


def test_the_queue_figures_come_from_the_real_queue(client, alice, alice_key, alice_video, faces_dir):
    from video.models import VideoSegment

    first = _submit(client, alice_key, alice_video, faces_dir=faces_dir)
    second = _submit(client, alice_key, alice_video, faces_dir=faces_dir)
    third = _submit(client, alice_key, alice_video, faces_dir=faces_dir)
    assert [r["JobQueueLength"] for r in (first, second, third)] == [0, 1, 2]
    assert first["EstimatedProcessTime"] < second["EstimatedProcessTime"] < third["EstimatedProcessTime"]
    assert VideoSegment.objects.filter(job__job_id=first["JobId"]).count() == 2  # 10 frames, 5 a segment
    query = signed_post(client, alice_key, "QueryVideoFaceFusionJob", {"JobId": first["JobId"]})
    assert (query["JobStatusCode"], query["JobStatus"], query["VideoFaceFusionOutput"]) == (1, "queuing", None)


class _PutHandler(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Content-Type"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_result_is_put_to_the_callers_url_only_under_the_ssrf_rules(tmp_path):
    from api.errors import ApiError
    from api.fetch import presigned_put

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PutHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        path = tmp_path / "out.mp4"
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 100)
        url = f"http://127.0.0.1:{port}/bucket/out.mp4?X-Amz-Signature=abc"
        with pytest.raises(ApiError) as refused:  # loopback: refused before anything is sent
            presigned_put(url, path, content_type="video/mp4")
        assert refused.value.code == "InvalidParameterValue.UrlIllegal" and not _PutHandler.received
        assert presigned_put(url, path, content_type="video/mp4", allow=[("127.0.0.1", port)])
        assert _PutHandler.received == [("video/mp4", path.read_bytes())]
    finally:
        server.shutdown()


def test_a_failed_jobs_message_comes_in_the_callers_language(client, alice, alice_key, alice_video, faces_dir,
                                                              settings):
    from datetime import timedelta

    from django.utils import timezone

    from video.models import VideoJob
    from video.services import video_jobs_sweep

    job_id = _submit(client, alice_key, alice_video, faces_dir=faces_dir)["JobId"]
    # Nobody works on it and it has used up its takeovers: the sweeper closes it as failed.
    settings.VIDEO_JOB_MAX_ATTEMPTS = 1
    video_jobs_sweep(now=timezone.now() + timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS + 1))
    assert VideoJob.objects.get(job_id=job_id).status_code == 5

    chinese = signed_post(client, alice_key, "QueryVideoFaceFusionJob", {"JobId": job_id})
    english = signed_post(client, alice_key, "QueryVideoFaceFusionJob", {"JobId": job_id},
                          headers={"X-TC-Language": "en-US"})
    assert chinese["JobErrorCode"] == english["JobErrorCode"] == "FailedOperation.InnerError"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["JobErrorMsg"])
    assert english["JobErrorMsg"].isascii() and english["JobErrorMsg"] != chinese["JobErrorMsg"]
