"""测试效果: a console test runs the same job as FuseFace, with the photos kept as stored files."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from console.models import Account, Member
from fusion.models import FusionJob, JobSource
from fusion.services.jobs import MappingSpec, fusion_job_create

log = logging.getLogger(__name__)


def fusion_job_store_source(*, account: Account, data: bytes, ext: str) -> str:
    """A console upload, kept beside the job so the page can show it; purged with the result."""
    return default_storage.save(f"fusion/sources/{account.id}/{uuid.uuid4().hex}.{ext}", ContentFile(data))


def fusion_test_run(*, account: Account, member: Member, material: Any, photos: list[tuple[bytes, str | None]],
                    face_degree: int | None = None, profile_degree: int | None = None) -> FusionJob:
    """A console test (测试效果): the same job as FuseFace, recorded as a console test and never billed."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from fusion.engine.imageio import sniff_format
    from materials.selectors import material_fuse_degrees, material_is_usable

    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    if not material_is_usable(material):
        raise ValidationError(_("This material has not passed review yet; test it once it is approved."))
    if not photos or len(photos) > 3:
        raise ValidationError(_("Upload one to three photos."))
    mappings = []
    stored: list[str] = []
    try:
        for data, face_id in photos:
            fmt = sniff_format(data)
            if fmt not in ("JPEG", "PNG"):
                raise ValidationError(_("Photos must be JPG or PNG images."))
            name = fusion_job_store_source(account=account, data=data, ext="png" if fmt == "PNG" else "jpg")
            stored.append(name)
            mappings.append(MappingSpec(source_name=name, template_face_id=face_id))
        version = material.campaign.version
        face_degree, profile_degree = material_fuse_degrees(material, face_degree=face_degree,
                                                            profile_degree=profile_degree)
        with transaction.atomic():
            return fusion_job_create(account=account, member=member, request_id=str(uuid.uuid4()),
                                     source=JobSource.CONSOLE_TEST, campaign_project_id=material.campaign.project_id,
                                     material_model_id=material.model_id, version=version, mappings=mappings,
                                     face_degree=face_degree, profile_degree=profile_degree, rsp_img_type="url")
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
