import secrets
import string
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from console.transitions import TransitionTable

if TYPE_CHECKING:
    from console.models import Account


class MaterialStatus(models.IntegerChoices):
    """The cloud's own codes (DescribeMaterialList returns them), docs/materials.md."""

    REVIEWING = 0, _("Reviewing")
    MACHINE_PASSED = 21, _("Machine review passed")
    MACHINE_FAILED = 22, _("Machine review failed")
    MANUAL_PASSED = 1, _("Manual review passed")
    MANUAL_FAILED = 2, _("Manual review failed")
    APPEALING = 3, _("Appealing")
    APPEAL_PASSED = 11, _("Appeal succeeded")
    APPEAL_FAILED = 12, _("Appeal failed")
    # Video materials (docs/state-machines.md): preprocessing (decode, track the face through every
    # frame) comes first; the review then runs from 31.
    PREPROCESSED = 31, _("Preprocessing passed")
    PREPROCESS_FAILED = 32, _("Preprocessing failed")
    ROLE_NOT_IN_VIDEO = 33, _("The role is not in the video")


class MaterialKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


USABLE_STATUSES = frozenset({MaterialStatus.MACHINE_PASSED, MaterialStatus.MANUAL_PASSED,
                             MaterialStatus.APPEAL_PASSED})


class ReviewAction(models.TextChoices):
    """The review's actions: the machine's three, an operator's two (docs/state-machines.md)."""

    PREPROCESS_PASS = "preprocess_pass", _("Preprocessing passes")
    PREPROCESS_FAIL = "preprocess_fail", _("Preprocessing fails")
    ROLE_ABSENT = "role_absent", _("Preprocessing finds no face to fuse")
    MACHINE_PASS = "machine_pass", _("Machine review passes")
    MACHINE_FAIL = "machine_fail", _("Machine review fails")
    MACHINE_FLAG = "machine_flag", _("Machine hands to an operator")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    # A gallery person or protected image added later matches an approved material: back to a person.
    RECHECK = "recheck", _("Back to an operator for a rights check")


REVIEW_TRANSITIONS: TransitionTable[int, str] = TransitionTable(_("material review"), {
    (MaterialStatus.REVIEWING, ReviewAction.MACHINE_PASS): MaterialStatus.MACHINE_PASSED,
    (MaterialStatus.REVIEWING, ReviewAction.MACHINE_FAIL): MaterialStatus.MACHINE_FAILED,
    # Still 0: the cloud has no code for "flagged"; review_stage says an operator holds it.
    (MaterialStatus.REVIEWING, ReviewAction.MACHINE_FLAG): MaterialStatus.REVIEWING,
    (MaterialStatus.REVIEWING, ReviewAction.APPROVE): MaterialStatus.MANUAL_PASSED,
    (MaterialStatus.REVIEWING, ReviewAction.REJECT): MaterialStatus.MANUAL_FAILED,
    # Still 0, in the operator stage: the cloud has no code for "approved, now in doubt".
    (MaterialStatus.MACHINE_PASSED, ReviewAction.RECHECK): MaterialStatus.REVIEWING,
    (MaterialStatus.MANUAL_PASSED, ReviewAction.RECHECK): MaterialStatus.REVIEWING,
    (MaterialStatus.APPEAL_PASSED, ReviewAction.RECHECK): MaterialStatus.REVIEWING,
    # Video: preprocessing from 0 (stage preprocess), then the same review from 31.
    (MaterialStatus.REVIEWING, ReviewAction.PREPROCESS_PASS): MaterialStatus.PREPROCESSED,
    (MaterialStatus.REVIEWING, ReviewAction.PREPROCESS_FAIL): MaterialStatus.PREPROCESS_FAILED,
    (MaterialStatus.REVIEWING, ReviewAction.ROLE_ABSENT): MaterialStatus.ROLE_NOT_IN_VIDEO,
    (MaterialStatus.PREPROCESSED, ReviewAction.MACHINE_PASS): MaterialStatus.MACHINE_PASSED,
    (MaterialStatus.PREPROCESSED, ReviewAction.MACHINE_FAIL): MaterialStatus.MACHINE_FAILED,
    (MaterialStatus.PREPROCESSED, ReviewAction.MACHINE_FLAG): MaterialStatus.PREPROCESSED,
    (MaterialStatus.PREPROCESSED, ReviewAction.APPROVE): MaterialStatus.MANUAL_PASSED,
    (MaterialStatus.PREPROCESSED, ReviewAction.REJECT): MaterialStatus.MANUAL_FAILED,
})
# Where each kind's review (the machine's, then an operator's) starts from.
REVIEW_STATUS = {"image": MaterialStatus.REVIEWING, "video": MaterialStatus.PREPROCESSED}


class AppealAction(models.TextChoices):
    APPEAL = "appeal", _("Appeal")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


# Once: an appealed material is in 3, 11 or 12, and none of them can be appealed.
APPEAL_TRANSITIONS: TransitionTable[int, str] = TransitionTable(_("appeal"), {
    (MaterialStatus.MACHINE_FAILED, AppealAction.APPEAL): MaterialStatus.APPEALING,
    (MaterialStatus.MANUAL_FAILED, AppealAction.APPEAL): MaterialStatus.APPEALING,
    (MaterialStatus.APPEALING, AppealAction.APPROVE): MaterialStatus.APPEAL_PASSED,
    (MaterialStatus.APPEALING, AppealAction.REJECT): MaterialStatus.APPEAL_FAILED,
})
APPEALABLE_STATUSES = APPEAL_TRANSITIONS.sources(AppealAction.APPEAL)


class ReviewStage(models.TextChoices):
    """Who holds a material in status 0 (or 3): the machine, or an operator's queue."""

    PREPROCESS = "preprocess", _("Video preprocessing")
    MACHINE = "machine", _("Machine review")
    OPERATOR = "operator", _("Operator review")
    DONE = "done", _("Decided")


class ReviewFlag(models.TextChoices):
    """Why the machine handed a material to a person, or refused it."""

    SIDE_FACE = "side_face", _("Side face beyond 30° of yaw or pitch")
    PUBLIC_FIGURE = "public_figure", _("A face matches the public-figure gallery")
    PROTECTED_IMAGE = "protected_image", _("The image matches a protected image")
    DUPLICATE = "duplicate", _("The image matches another account's material")
    NO_FACE = "no_face", _("No face was found")
    FACE_TOO_SMALL = "face_too_small", _("Every face is smaller than 34×34 pixels")
    TOO_MANY_FACES = "too_many_faces", _("More than 6 faces")
    UNDECODABLE = "undecodable", _("The image cannot be decoded")
    VIDEO_UNDECODABLE = "video_undecodable", _("The video cannot be decoded")
    VIDEO_LIMITS = "video_limits", _("The video exceeds the limits")
    ROLE_ABSENT = "role_absent", _("No usable face appears in the video")


# Flags about rights in the image: an operator approves these only with a copyright proof on file.
COPYRIGHT_FLAGS = frozenset({ReviewFlag.PUBLIC_FIGURE, ReviewFlag.PROTECTED_IMAGE, ReviewFlag.DUPLICATE})


def _token(prefix: str, n: int = 16) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def new_model_id() -> str:
    return _token("mt_")


def new_proof_id() -> str:
    return _token("cp_")


class MaterialQuerySet(models.QuerySet["Material"]):
    def for_account(self, account: "Account") -> "MaterialQuerySet":
        return self.filter(account=account)


class Material(models.Model):
    """A template image (素材) in a campaign. ``template_record`` is the engine's analysis, stored
    at review so fusion never recomputes the template side."""

    account = models.ForeignKey("console.Account", on_delete=models.CASCADE, related_name="materials")
    # RESTRICT, not PROTECT: a campaign goes only when empty, but deleting a whole account may take both.
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.RESTRICT, related_name="materials")
    model_id = models.CharField(max_length=40, unique=True, default=new_model_id, editable=False)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(max_length=10, choices=MaterialKind.choices, default=MaterialKind.IMAGE)
    # An image material's template; a video material's poster frame (JPEG), set by preprocessing, so
    # every page and check that shows or hashes a material's picture works on both kinds.
    image = models.FileField(max_length=200, blank=True)
    # Video materials: the MP4 as uploaded, its probe (VideoInfo), and the per-frame analysis
    # (fusion.engine.tracking.Track, compressed NumPy) stored by preprocessing.
    video = models.FileField(max_length=200, blank=True)
    video_info = models.JSONField(null=True, blank=True)
    track = models.FileField(max_length=200, blank=True)
    image_format = models.CharField(max_length=8)  # JPEG | PNG, by content
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    phash = models.CharField(max_length=16, blank=True, db_index=True)
    status = models.IntegerField(choices=MaterialStatus.choices, default=MaterialStatus.REVIEWING, db_index=True)
    review_stage = models.CharField(max_length=10, choices=ReviewStage.choices, default=ReviewStage.MACHINE)
    review_flags = models.JSONField(default=list, blank=True)
    review_details = models.JSONField(default=dict, blank=True)  # which gallery person, image, duplicate
    audit_result = models.TextField(blank=True)
    template_record = models.JSONField(null=True, blank=True)
    face_degree = models.PositiveSmallIntegerField(null=True, blank=True)
    profile_degree = models.PositiveSmallIntegerField(null=True, blank=True)
    appeal_text = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    review_enqueued_at = models.DateTimeField(null=True, blank=True)  # last hand-off to the review queue
    queued_at = models.DateTimeField(null=True, blank=True)  # entered the operator queue
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "campaign", "status"]),
            models.Index(fields=["review_stage", "queued_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_id})"

    @property
    def faces(self) -> list[dict]:
        return (self.template_record or {}).get("faces") or []

    @property
    def is_video(self) -> bool:
        return self.kind == MaterialKind.VIDEO

    @property
    def review_status(self) -> int:
        """The status the machine's and operators' review of this material moves from."""
        return REVIEW_STATUS[self.kind]

    @property
    def duration(self) -> float:
        return float((self.video_info or {}).get("duration") or 0.0)

    @property
    def is_usable(self) -> bool:
        return self.status in USABLE_STATUSES

    @property
    def appealed(self) -> bool:
        """Whether it was appealed, as the appeal kept on the row says (its text and time)."""
        return self.appealed_at is not None

    @property
    def can_appeal(self) -> bool:
        return APPEAL_TRANSITIONS.allows(self.status, AppealAction.APPEAL)

    @property
    def in_operator_queue(self) -> bool:
        return self.review_stage == ReviewStage.OPERATOR

    @property
    def awaiting_machine(self) -> bool:
        return self.status == self.review_status and self.review_stage == ReviewStage.MACHINE

    @property
    def awaiting_preprocess(self) -> bool:
        return self.status == MaterialStatus.REVIEWING and self.review_stage == ReviewStage.PREPROCESS

    @property
    def needs_copyright_proof(self) -> bool:
        return bool(COPYRIGHT_FLAGS.intersection(self.review_flags or []))


class MaterialQuota(models.Model):
    """One row per account: the lock that makes quota checks atomic, and the purchased amount."""

    account = models.OneToOneField("console.Account", on_delete=models.CASCADE, primary_key=True,
                                   related_name="material_quota")
    extra = models.PositiveIntegerField(default=0)  # on top of the base amount; bought or granted, permanent
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"quota of account {self.account_id}: +{self.extra}"


class ProofKind(models.TextChoices):
    ORIGINAL = "original", _("Original-work declaration")
    LICENCE = "licence", _("Licence from the rights holder")


class CopyrightProof(models.Model):
    """A signed and stamped scan (版权证明) attached to a material."""

    account = models.ForeignKey("console.Account", on_delete=models.CASCADE, related_name="copyright_proofs")
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="proofs")
    public_id = models.CharField(max_length=40, unique=True, default=new_proof_id, editable=False)
    kind = models.CharField(max_length=10, choices=ProofKind.choices, default=ProofKind.ORIGINAL)
    file = models.FileField(max_length=200)
    content_type = models.CharField(max_length=40)
    byte_size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.public_id


class PublicFigure(models.Model):
    """An entry of the operators' public-figure gallery: uploads whose face matches go to a person."""

    name = models.CharField(_("name"), max_length=60)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PublicFigurePhoto(models.Model):
    figure = models.ForeignKey(PublicFigure, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(max_length=200)
    embedding = models.JSONField()  # 128 floats from the engine
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"photo {self.id} of {self.figure_id}"


class ProtectedImage(models.Model):
    """An image whose copies need a person's look (matched by perceptual hash)."""

    name = models.CharField(_("name"), max_length=60)
    image = models.FileField(max_length=200)
    phash = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ReasonTemplate(models.Model):
    """A reusable reason for operators' decisions."""

    text = models.CharField(_("reason"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text
