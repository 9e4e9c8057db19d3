"""Video materials (docs/materials.md#video-materials): the upload's checks, preprocessing on its own
queue (decode, track the face through every frame, store the per-frame analysis, pick a poster
frame, set 31/32/33), and the machine review's judgement on sampled frames.

Limits at upload, the cloud's own for video templates (2024-05-23): MP4 (by content), at most
20 s, 25 fps and 4K, at least 64 px a side; and at most ``VIDEO_MATERIAL_MAX_BYTES`` (200 MB: a
20 s 4K H.264 at a generous 60 Mbit/s is 150 MB). Templates made for the cloud therefore upload
here unchanged, and the other way round.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from console.models import Account, AuditAction
from console.services import audit_record
from fusion.engine import EngineError, FaceSizeTooSmall, TemplateRecord, get_engine
from fusion.engine import video as engine_video
from fusion.engine.tracking import RoleNotInVideo, Track, track
from materials.models import (
    REVIEW_TRANSITIONS,
    Material,
    MaterialKind,
    MaterialStatus,
    ReviewAction,
    ReviewFlag,
    ReviewStage,
)

log = logging.getLogger(__name__)

# Frames whose faces the public-figure check compares with the gallery.
SAMPLED_FRAMES = 8


# --- upload ------------------------------------------------------------------------------------

@contextlib.contextmanager
def _local_copy(upload: IO[bytes], limit: int) -> Iterator[Path]:
    """The upload written to a temporary file (PyAV reads files), refused past ``limit`` bytes."""
    fd, name = tempfile.mkstemp(suffix=".mp4", prefix="ronghe-upload-")
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        _("The video is larger than %(mb)d MB. Shorten it or lower its bit rate and upload it "
                          "again.") % {"mb": limit // 1048576}, code="too_big")
                out.write(chunk)
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def clean_material_video(path: Path) -> engine_video.VideoInfo:
    """The video's probe, or ValidationError saying which rule failed and what to do."""
    try:
        info = engine_video.probe(path)
    except engine_video.VideoDecodeFailed:
        raise ValidationError(_("This file is not an MP4 video that can be read (whatever its name says). Export "
                                "it as MP4 (H.264) and upload it again."), code="format")
    try:
        engine_video.check_limits(info)
    except engine_video.VideoLimitExceeded:
        raise ValidationError(
            _("The video is %(w)d×%(h)d, %(fps).2f fps, %(s).1f s; the limits are 20 s, 25 fps and 4K "
              "(3840×2160), and at least 64 pixels a side. Trim or re-encode it and upload it again.")
            % {"w": info.width, "h": info.height, "fps": float(info.fps), "s": info.duration}, code="limits")
    return info


def material_video_create(*, account: Account, campaign: Campaign, actor: User | None, upload: IO[bytes],
                          filename: str = "", name: str = "") -> Material:
    """A video material: checked by content (MP4, the limits above), stored under a generated name,
    a quota slot taken atomically, and handed to preprocessing."""
    from materials.services import material_slot_take

    if campaign.account_id != account.id:
        raise ValidationError(_("This campaign does not exist."))
    if not campaign.is_video:
        raise ValidationError(_("This is an image campaign; upload videos into a video campaign."), code="kind")
    with _local_copy(upload, settings.VIDEO_MATERIAL_MAX_BYTES) as path:
        info = clean_material_video(path)
        stored = ""
        try:
            with transaction.atomic():
                label = material_slot_take(account=account, campaign=campaign, actor=actor, filename=filename,
                                           name=name)
                with path.open("rb") as fh:
                    stored = default_storage.save(f"materials/{account.app_id}/{os.urandom(16).hex()}.mp4", File(fh))
                now = timezone.now()
                material = Material.objects.create(
                    account=account, campaign=campaign, name=label, kind=MaterialKind.VIDEO, video=stored,
                    video_info=info.to_json(), image_format="JPEG", width=info.width, height=info.height,
                    byte_size=path.stat().st_size, created_by=actor, review_stage=ReviewStage.PREPROCESS,
                    review_enqueued_at=now)
                audit_record(actor=actor, account=account, action=AuditAction.MATERIAL_CREATE, target_type="material",
                             target_id=material.model_id, to_state=str(MaterialStatus.REVIEWING),
                             data={"campaign": campaign.project_id, "name": label, "kind": "video",
                                   "seconds": info.duration})
                material_preprocess_enqueue(material.id)
        except BaseException:
            if stored:
                default_storage.delete(stored)
            raise
    return material


# --- preprocessing (the video-prep queue) -------------------------------------------------------

def material_preprocess_enqueue(material_id: int) -> None:
    from materials.tasks import preprocess_video

    preprocess_video.delay_on_commit(material_id)  # type: ignore[attr-defined]  # DjangoTask


@contextlib.contextmanager
def stored_video(name: str) -> Iterator[Path]:
    """A stored video as a local file (PyAV seeks in files; an S3 object is copied down once)."""
    path = getattr(default_storage, "path", None)
    if path is not None:
        try:
            local = Path(default_storage.path(name))
        except NotImplementedError:
            local = None
        if local is not None and local.is_file():
            yield local
            return
    fd, tmp = tempfile.mkstemp(suffix=".mp4", prefix="ronghe-video-")
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _poster_jpeg(path: Path, index: int) -> bytes:
    for _i, frame in engine_video.frames(path, index, index + 1):
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if ok:
            return buf.tobytes()
    raise engine_video.VideoDecodeFailed(f"frame {index} cannot be decoded")


def material_preprocess_run(*, material_id: int) -> Material | None:
    """Preprocess one video material (0, stage preprocess → 31 / 32 / 33). Idempotent: a redelivered
    or racing task finds it moved on (or loses the compare-and-swap) and writes nothing."""
    material = Material.objects.select_related("account").filter(id=material_id).first()
    if material is None or not material.awaiting_preprocess:
        return material
    engine = get_engine()
    fields: dict[str, Any] = {}
    stored: list[str] = []
    flags: list[str] = []
    try:
        with stored_video(material.video.name or "") as path:
            info = engine_video.probe(path)
            engine_video.check_limits(info)
            result = track(engine, engine_video.frames(path), info.frames)
            poster = _poster_jpeg(path, result.poster)
        record = engine.analyse_template(poster)
        action = ReviewAction.PREPROCESS_PASS
    except (RoleNotInVideo, FaceSizeTooSmall):
        action, flags = ReviewAction.ROLE_ABSENT, [ReviewFlag.ROLE_ABSENT]
    except engine_video.VideoLimitExceeded:
        action, flags = ReviewAction.PREPROCESS_FAIL, [ReviewFlag.VIDEO_LIMITS]
    except (engine_video.VideoDecodeFailed, FileNotFoundError):
        action, flags = ReviewAction.PREPROCESS_FAIL, [ReviewFlag.VIDEO_UNDECODABLE]
    except EngineError:
        # The poster frame's own analysis found no face the tracker had found: no role to fuse.
        action, flags = ReviewAction.ROLE_ABSENT, [ReviewFlag.ROLE_ABSENT]
    if action == ReviewAction.PREPROCESS_PASS:
        prefix = f"materials/{material.account.app_id}/{os.urandom(16).hex()}"
        stored.append(default_storage.save(f"{prefix}.jpg", ContentFile(poster)))
        stored.append(default_storage.save(f"{prefix}.track.npz", ContentFile(result.save())))
        fields.update(image=stored[0], track=stored[1], template_record=record.to_json(),
                      video_info=info.to_json(), review_stage=ReviewStage.MACHINE)
    else:
        fields.update(review_stage=ReviewStage.DONE, decided_at=timezone.now())
    from materials.review import material_review_enqueue, reason_text

    new = REVIEW_TRANSITIONS.target(MaterialStatus.REVIEWING, action)
    now = timezone.now()
    fields.update(status=new, review_flags=[str(f) for f in flags], audit_result=reason_text(flags, {}),
                  updated_at=now, review_enqueued_at=now)
    with transaction.atomic():
        changed = Material.objects.filter(id=material.id, status=MaterialStatus.REVIEWING,
                                          review_stage=ReviewStage.PREPROCESS).update(**fields)
        if not changed:
            transaction.on_commit(lambda: _delete_all(stored))
            return Material.objects.filter(id=material.id).first()
        audit_record(actor=None, account=material.account, action=AuditAction.MATERIAL_PREPROCESS,
                     target_type="material", target_id=material.model_id, from_state=str(MaterialStatus.REVIEWING),
                     to_state=str(new), reason=fields["audit_result"], data={"flags": fields["review_flags"]})
        if action == ReviewAction.PREPROCESS_PASS:
            material_review_enqueue(material.id)
    material.refresh_from_db()
    if action != ReviewAction.PREPROCESS_PASS:
        from materials import notices

        notices.notify_material_decided(material=material)
    return material


def _delete_all(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def material_track(material: Material) -> Track:
    with default_storage.open(material.track.name or "", "rb") as fh:
        return Track.load(fh.read())


# --- the machine review of a preprocessed video ------------------------------------------------

def sampled_embeddings(material: Material, count: int = SAMPLED_FRAMES) -> list[tuple[int, list[float]]]:
    """The role's embedding on ``count`` frames spread over the video (where the face is present)."""
    engine = get_engine()
    tr = material_track(material)
    present = np.flatnonzero(tr.present)
    picks = [int(present[i]) for i in engine_video.sample_indices(len(present), count)]
    out: list[tuple[int, list[float]]] = []
    with stored_video(material.video.name or "") as path:
        wanted = set(picks)
        for index, frame in engine_video.frames(path):
            if index not in wanted:
                continue
            _ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
            try:
                out.append((index, engine.embedding_of(buf.tobytes())))
            except EngineError:
                continue  # the fast detector missed it on this frame; the others still count
            if index >= picks[-1]:
                break
    return out


def video_record(material: Material) -> TemplateRecord:
    return TemplateRecord.from_json(material.template_record or {"width": material.width, "height": material.height,
                                                                 "format": "JPEG", "faces": []})
