from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FusionConfig(AppConfig):
    name = "fusion"
    verbose_name = _("Image face fusion")
