import secrets
import string
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from console.transitions import TransitionTable

NAME_MAX = 15

if TYPE_CHECKING:
    from console.models import Account


class CampaignVersion(models.TextChoices):
    FACESWAP = "faceswap", _("Face swap (recommended)")
    REINVENT = "reinvent", _("Premium (being retired)")
    REDEFINE = "redefine", _("Smooth (being retired)")


class CampaignKind(models.TextChoices):
    """What the campaign's materials are: images (FuseFace) or videos (SubmitVideoFaceFusionJob)."""

    IMAGE = "image", _("Image face fusion")
    VIDEO = "video", _("Video face fusion")


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Disabled")


class CampaignAction(models.TextChoices):
    ENABLE = "enable", _("Enable")
    DISABLE = "disable", _("Disable")


# docs/state-machines.md: a disabled campaign keeps its materials but takes no new uploads.
CAMPAIGN_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("campaign status"), {
    (CampaignStatus.ACTIVE, CampaignAction.DISABLE): CampaignStatus.DISABLED,
    (CampaignStatus.DISABLED, CampaignAction.ENABLE): CampaignStatus.ACTIVE,
})


# docs/campaigns.md: the five named degree levels of each morphing version. 换脸版 ignores degrees.
# Names that rise with the value in both languages ("较高" after "高" read as a step down).
LEVEL_NAMES = {
    "lowest": _("Lowest"),
    "low": _("Low"),
    "default": _("Default"),
    "high": _("High"),
    "highest": _("Highest"),
}
DEGREE_LEVELS: dict[str, list[tuple[int, str]]] = {
    CampaignVersion.REINVENT: [(10, "lowest"), (20, "low"), (30, "default"), (50, "high"), (70, "highest")],
    CampaignVersion.REDEFINE: [(30, "lowest"), (40, "low"), (50, "default"), (60, "high"), (70, "highest")],
}
FACESWAP_DEGREE = 50  # stored for completeness; the face swap version ignores degrees


def version_has_degrees(version: str) -> bool:
    return version in DEGREE_LEVELS


def default_degree(version: str) -> int:
    for value, level in DEGREE_LEVELS.get(version, []):
        if level == "default":
            return value
    return FACESWAP_DEGREE


def level_choices(version: str) -> list[tuple[int, str]]:
    """(value, "Default · 30") pairs for a version's select boxes."""
    return [(value, f"{LEVEL_NAMES[level]} · {value}") for value, level in DEGREE_LEVELS.get(version, [])]


def new_project_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "at_" + "".join(secrets.choice(alphabet) for _ in range(16))


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def for_account(self, account: "Account") -> "CampaignQuerySet":
        return self.filter(account=account)


class Campaign(models.Model):
    """An activity (活动): a named group of materials with an algorithm version and default degrees."""

    account = models.ForeignKey("console.Account", on_delete=models.CASCADE, related_name="campaigns")
    project_id = models.CharField(max_length=40, unique=True, default=new_project_id, editable=False)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    # Video campaigns fuse with the face swap version only: video fusion has no degrees.
    kind = models.CharField(_("kind"), max_length=10, choices=CampaignKind.choices, default=CampaignKind.IMAGE)
    version = models.CharField(_("algorithm version"), max_length=20, choices=CampaignVersion.choices,
                               default=CampaignVersion.FACESWAP)
    face_degree = models.PositiveSmallIntegerField(_("features degree"), default=FACESWAP_DEGREE)
    profile_degree = models.PositiveSmallIntegerField(_("face shape degree"), default=FACESWAP_DEGREE)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(face_degree__lte=100) & models.Q(profile_degree__lte=100),
                                   name="campaign_degrees_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"

    @property
    def is_video(self) -> bool:
        return self.kind == CampaignKind.VIDEO

    @property
    def has_degrees(self) -> bool:
        return version_has_degrees(self.version)

    @property
    def is_retiring(self) -> bool:
        return self.version != CampaignVersion.FACESWAP
