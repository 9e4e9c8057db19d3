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
