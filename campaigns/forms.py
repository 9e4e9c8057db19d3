from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import NAME_MAX, CampaignKind, CampaignVersion


class CampaignCreateForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=NAME_MAX,
                           help_text=_("At most 15 characters."))
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices, initial=CampaignKind.IMAGE,
                             widget=forms.RadioSelect, required=False,
                             help_text=_("Video campaigns hold MP4 templates and use the face swap version."))
    version = forms.ChoiceField(label=_("Algorithm version"), choices=CampaignVersion.choices,
                                initial=CampaignVersion.FACESWAP, widget=forms.RadioSelect)
    face_degree = forms.IntegerField(label=_("Features degree (五官)"), min_value=0, max_value=100, required=False)
    profile_degree = forms.IntegerField(label=_("Face shape degree (脸型)"), min_value=0, max_value=100,
                                        required=False)


    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or CampaignKind.IMAGE


class CampaignRenameForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=NAME_MAX)


class DegreesForm(forms.Form):
    face_degree = forms.IntegerField(label=_("Features degree (五官)"), min_value=0, max_value=100)
    profile_degree = forms.IntegerField(label=_("Face shape degree (脸型)"), min_value=0, max_value=100)
