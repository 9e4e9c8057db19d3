from django import forms
from django.utils.translation import gettext_lazy as _

from materials.models import MaterialStatus, ProofKind


class MaterialFilterForm(forms.Form):
    campaign = forms.CharField(required=False)
    status = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                    choices=[("", _("All statuses")), *MaterialStatus.choices])
    q = forms.CharField(required=False, max_length=60)


class DegreesForm(forms.Form):
    face_degree = forms.IntegerField(label=_("Features degree (五官)"), min_value=0, max_value=100, required=False)
    profile_degree = forms.IntegerField(label=_("Face shape degree (脸型)"), min_value=0, max_value=100,
                                        required=False)


class AppealForm(forms.Form):
    text = forms.CharField(label=_("Why should this material be approved?"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ProofForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of proof"), choices=ProofKind.choices)
    file = forms.FileField(label=_("Signed and stamped scan (JPG, PNG or PDF)"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(required=False, max_length=500)
    template = forms.CharField(required=False, max_length=200)
    expected_status = forms.IntegerField(required=False)
    next = forms.CharField(required=False, max_length=40)


class FigureForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ProtectedImageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    image = forms.FileField(label=_("Image (JPG or PNG)"))


class QuotaGrantForm(forms.Form):
    """An operator's grant of material quota to an account (on the account's billing page, the one place)."""

    blocks = forms.IntegerField(label=_("Blocks of 10 materials"), min_value=1, max_value=1000, initial=1)
    reason = forms.CharField(label=_("Reason"), max_length=200)
