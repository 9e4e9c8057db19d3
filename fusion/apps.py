from django.apps import AppConfig


class FusionConfig(AppConfig):
    name = "fusion"
