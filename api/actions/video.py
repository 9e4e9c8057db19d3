"""SubmitVideoFaceFusionJob and QueryVideoFaceFusionJob (2022-09-27), as the official SDK's models
describe them (tencentcloud-sdk-python-intl-en 3.1.193, facefusion/v20220927/models.py)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from api import errors, params
from api.actions.fuseface import MAX_URL_BYTES, _image_b64, _meta
from api.dispatch import ApiCall
from api.errors import ApiError
from api.fetch import FetchError, check_destination

URL_MAX = 4096


def _merge(p: dict) -> dict:
    items = params.opt_list(p, "MergeInfos")
    if not items:
        raise errors.missing("MergeInfos")
    if len(items) != 1:
        raise errors.invalid("MergeInfos", _("Video face fusion takes exactly one MergeInfo."),
                             code=errors.PARAMETER_VALUE_ERROR)
    item = items[0]
    if not isinstance(item, dict):
        raise errors.invalid("MergeInfos.0")
    return item


def _photo(call: ApiCall, item: dict) -> bytes:
    import base64

    image = params.opt_str(item, "Image", max_length=1 << 30, label="MergeInfos.0.Image")
    url = params.opt_str(item, "Url", max_length=URL_MAX, label="MergeInfos.0.Url")
    if not image and not url:
        raise errors.missing("MergeInfos.0.Image")
    text = _image_b64(call, image=image, url=url)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ApiError(errors.IMAGE_DECODE_FAILED)


def _designated_url(call: ApiCall, p: dict) -> str:
    """UserDesignatedUrl: checked now with the SSRF rules of image URLs (every address public), and
    again, pinned to the checked address, when the result is uploaded."""
    url = params.opt_str(p, "UserDesignatedUrl", max_length=URL_MAX) or ""
    if url:
        try:
            check_destination(call.fetcher, url)
        except FetchError:
            raise ApiError(errors.URL_ILLEGAL,
                           _("UserDesignatedUrl must be a public http(s) address (a presigned PUT URL)."))
    return url


def submit_video_face_fusion_job(call: ApiCall, p: dict) -> dict:
    from campaigns.selectors import campaign_find
    from materials.selectors import material_find, material_is_usable
    from video.services import SubmitRefused, VideoLabel, video_job_submit, video_queue_estimate

    project_id = params.req_str(p, "ProjectId", max_length=64)
    model_id = params.req_str(p, "ModelId", max_length=64)
    call.campaign_project_id, call.material_model_id = project_id, model_id
    item = _merge(p)
    rect = item.get("InputImageFaceRect")
    photo_rect = params.rect(rect, "MergeInfos.0.InputImageFaceRect") if rect is not None else None
    template_face_id = params.opt_str(item, "TemplateFaceID", max_length=64, label="MergeInfos.0.TemplateFaceID")
    params.opt_int(p, "CelebrityIdentify", lo=0, hi=1)
    user_ip = params.opt_str(p, "UserIp", max_length=64) or ""
    meta = _meta({"FuseParam": {"ImageCodecParam": {"MetaData": p.get("MetaData")}}}) if p.get("MetaData") else None
    logo = params.opt_dict(p, "LogoParam")
    designated = _designated_url(call, p)

    campaign = campaign_find(account=call.account, project_id=project_id)
    if campaign is None or not campaign.is_video:
        raise ApiError(errors.ACTIVITY_ID_NOT_FOUND)
    material = material_find(account=call.account, model_id=model_id)
    if material is None or material.campaign_id != campaign.id or not material.is_video:
        raise ApiError(errors.MATERIAL_ID_NOT_FOUND)
    if not material_is_usable(material):
        raise ApiError(errors.FUSE_MATERIAL_NOT_AUTH)

    photo = _photo(call, item)
    label = VideoLabel(meta_key=meta[0] if meta else None, meta_value=meta[1] if meta else None)
    if logo:
        logo_url = params.opt_str(logo, "LogoUrl", max_length=URL_MAX, label="LogoParam.LogoUrl")
        logo_image = params.opt_str(logo, "LogoImage", max_length=1 << 30, label="LogoParam.LogoImage")
        lrect = logo.get("LogoRect")
        label.logo_rect = params.rect(lrect, "LogoParam.LogoRect") if lrect is not None else None
        if logo_url or logo_image:
            import base64

            call.fetcher.max_bytes = MAX_URL_BYTES
            label.logo = base64.b64decode(_image_b64(call, image=logo_image, url=logo_url))
    try:
        job = video_job_submit(account=call.account, material=material, request_id=call.request_id,
                               source="api", photo=photo, photo_rect=photo_rect, template_face_id=template_face_id,
                               label=label, user_designated_url=designated, user_ip=user_ip,
                               member=call.credential.member)
    except SubmitRefused as exc:
        raise ApiError(exc.code)
    queue_length, estimate = video_queue_estimate(job=job)
    # CelebrityIdentify's review runs on the template at upload; a request's photo is not reviewed here.
    return {"JobId": job.job_id, "EstimatedProcessTime": estimate, "JobQueueLength": queue_length,
            "ReviewResultSet": []}


def query_video_face_fusion_job(call: ApiCall, p: dict) -> dict:
    from console.media import signed_media_url
    from video.models import VideoJobStatus
    from video.selectors import video_job_find

    job_id = params.req_str(p, "JobId", max_length=64)
    job = video_job_find(account=call.account, job_id=job_id)
    if job is None:
        raise ApiError(errors.JOB_NOT_EXIST)
    call.campaign_project_id, call.material_model_id = job.campaign_project_id, job.material_model_id
    labels = {VideoJobStatus.QUEUED: "queuing", VideoJobStatus.PROCESSING: "processing",
              VideoJobStatus.FAILED: "processing failed", VideoJobStatus.SUCCEEDED: "processing completed"}
    out: dict = {"JobStatus": labels[VideoJobStatus(job.status)], "JobStatusCode": job.status_code,
                 "JobErrorCode": job.error_code or None, "JobErrorMsg": None, "VideoFaceFusionOutput": None}
    if job.status == VideoJobStatus.FAILED:
        out["JobErrorMsg"] = job.localized_error_message(english=call.english)
    if job.status == VideoJobStatus.SUCCEEDED and job.result_name:
        url = signed_media_url(job.result_name, expires_in=settings.FUSION_RESULT_TTL_SECONDS,
                               download_name=f"fused-{job.job_id}.mp4")
        if not url.startswith(("http://", "https://")):
            url = call.http.build_absolute_uri(url)
        info = job.result_info or {}
        out["VideoFaceFusionOutput"] = {"VideoUrl": url, "VideoMD5": job.result_md5, "Width": info.get("Width"),
                                        "Height": info.get("Height"), "FPS": info.get("FPS"),
                                        "DurationInSec": info.get("DurationInSec"), "Frame": info.get("Frame")}
    return out
