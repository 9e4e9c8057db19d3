"""The test-effect form: degrees (where the version has them) and up to three photos, each mapped
to one face of the template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_PHOTOS = 3
PHOTO_MAX_BYTES = 5 * 1024 * 1024


class TestEffectForm(forms.Form):
    face_degree = forms.IntegerField(label=_("Features degree (五官)"), min_value=0, max_value=100, required=False)
    profile_degree = forms.IntegerField(label=_("Face shape degree (脸型)"), min_value=0, max_value=100,
                                        required=False)

    def __init__(self, *args, faces: list[dict], has_degrees: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(f["face_id"], _("Face %(n)d") % {"n": i + 1}) for i, f in enumerate(faces)]
        for n in range(1, MAX_PHOTOS + 1):
            self.fields[f"photo_{n}"] = forms.FileField(label=_("Photo %(n)d") % {"n": n}, required=False)
            initial = choices[min(n - 1, len(choices) - 1)][0] if choices else None
            self.fields[f"face_{n}"] = forms.ChoiceField(label=_("Template face"), choices=choices, initial=initial,
                                                         required=False)
        if not has_degrees:
            del self.fields["face_degree"]
            del self.fields["profile_degree"]

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{n}"], self[f"face_{n}"]) for n in range(1, MAX_PHOTOS + 1)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        photos = []
        used: set[str | None] = set()
        for n in range(1, MAX_PHOTOS + 1):
            upload = data.get(f"photo_{n}")
            if not upload:
                continue
            if upload.size > PHOTO_MAX_BYTES:
                self.add_error(f"photo_{n}", _("This photo is larger than 5 MB; choose a smaller one."))
                continue
            face_id: str | None = data.get(f"face_{n}") or None
            if face_id in used:
                self.add_error(f"face_{n}", _("Each template face can take only one photo."))
                continue
            used.add(face_id)
            photos.append((upload, face_id))
        if not photos and not self.errors:
            raise forms.ValidationError(_("Upload at least one photo with a face."))
        data["photos"] = photos
        return data


TEMPLATE_MAX_BYTES = 10 * 1024 * 1024
ULTRA_FACES = 6


class UltraTestForm(forms.Form):
    """The 专业版 test: a template of the user's own (not a material), up to three photos each for a
    template face by its number (largest first, as FaceIds are given), the model type and the knobs."""

    template = forms.FileField(label=_("Template (JPG or PNG, up to 8000 px a side)"))
    model_type = forms.TypedChoiceField(label=_("Model type (SwapModelType)"), coerce=int, initial=1, choices=[
        (1, _("1 · entertainment, sharper")), (2, _("2 · film-grade, natural")),
        (3, _("3 · film-grade, high resolution")), (4, _("4 · high resolution, high similarity (ID photos)")),
        (5, _("5 · high resolution, tolerant of closed eyes and occlusion")),
        (6, _("6 · very high similarity (the knobs do not apply)"))])
    warp = forms.FloatField(label=_("Face shape toward the photo (WarpRadio)"), min_value=0, max_value=1, initial=0.7,
                            widget=forms.NumberInput(attrs={"step": "0.05"}))
    enhance = forms.FloatField(label=_("Enhancement (EnhanceRadio)"), min_value=0, max_value=1, initial=0.5,
                               widget=forms.NumberInput(attrs={"step": "0.05"}))
    smooth = forms.FloatField(label=_("Skin smoothing (MpRadio)"), min_value=0, max_value=1, initial=0.5,
                              widget=forms.NumberInput(attrs={"step": "0.05"}))
    teeth = forms.BooleanField(label=_("Teeth enhancement (TeethEnhanceRadio)"), initial=True, required=False)
    makeup = forms.BooleanField(label=_("The template's makeup (MakeupTransferRadio)"), initial=False, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(f"face_{i}", _("Face %(n)d (the largest)") % {"n": 1} if i == 0 else _("Face %(n)d") % {"n": i + 1})
                   for i in range(ULTRA_FACES)]
        for n in range(1, MAX_PHOTOS + 1):
            self.fields[f"photo_{n}"] = forms.FileField(label=_("Photo %(n)d") % {"n": n}, required=False)
            self.fields[f"face_{n}"] = forms.ChoiceField(label=_("Template face"), choices=choices,
                                                         initial=choices[n - 1][0], required=False)

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{n}"], self[f"face_{n}"]) for n in range(1, MAX_PHOTOS + 1)]

    def knob_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("model_type", "warp", "enhance", "smooth")]

    def clean_template(self) -> Any:
        upload = self.cleaned_data["template"]
        if upload.size > TEMPLATE_MAX_BYTES:
            raise forms.ValidationError(_("The template is larger than 10 MB; choose a smaller one."))
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        photos = []
        used: set[str] = set()
        for n in range(1, MAX_PHOTOS + 1):
            upload = data.get(f"photo_{n}")
            if not upload:
                continue
            if upload.size > PHOTO_MAX_BYTES:
                self.add_error(f"photo_{n}", _("This photo is larger than 5 MB; choose a smaller one."))
                continue
            face_id = data.get(f"face_{n}") or "face_0"
            if face_id in used:
                self.add_error(f"face_{n}", _("Each template face can take only one photo."))
                continue
            used.add(face_id)
            photos.append((upload, face_id))
        if not photos and not self.errors:
            raise forms.ValidationError(_("Upload at least one photo with a face."))
        data["photos"] = photos
        return data
