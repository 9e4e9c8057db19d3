"""视频测试效果: a console test runs the same job as SubmitVideoFaceFusionJob, never billed."""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from console.models import Account, Member
from materials.models import Material
from video.models import (
    VideoJob,
    VideoJobSource,
)
from video.services.jobs import IMAGE_SIZE_EXCEED, SubmitRefused, video_job_submit

log = logging.getLogger(__name__)


def video_test_run(*, account: Account, member: Member, material: Material, photo: bytes) -> VideoJob:
    """A console test (视频测试效果): the same job, recorded as a console test and never billed."""
    from materials.selectors import material_is_usable

    if material.account_id != account.id or not material.is_video:
        raise ValidationError(_("This video material does not exist."))
    if not material_is_usable(material):
        raise ValidationError(_("This material has not passed review yet; test it once it is approved."))
    try:
        return video_job_submit(account=account, material=material, request_id=str(uuid.uuid4()),
                                source=VideoJobSource.CONSOLE_TEST, photo=photo, member=member)
    except SubmitRefused as exc:
        if exc.code == IMAGE_SIZE_EXCEED:
            raise ValidationError(_("The photo is larger than 5 MB; upload a smaller one."))
        raise ValidationError(_("The photo must be a JPG or PNG image."))
