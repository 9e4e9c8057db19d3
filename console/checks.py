"""System checks for what the settings cannot refuse at import time.

- ``check --deploy`` flags the published development key: it signs sessions and ``/files/``
  links and derives the credential encryption key, so a deployment that forgot ``DJANGO_ENV``
  would run on a key anyone can read in the repository.
- In production, a missing static manifest makes every page that links a stylesheet a 500;
  ``check`` says so (and what to run) instead.
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def development_secret_key(app_configs, **kwargs) -> list[Error]:
    if not getattr(settings, "USING_DEVELOPMENT_SECRET_KEY", False):
        return []
    return [Error(
        "DJANGO_SECRET_KEY is not set: the published development key signs sessions and /files/ links "
        "and derives the credential encryption key.",
        hint="Set DJANGO_ENV=production with your own DJANGO_SECRET_KEY and CREDENTIAL_ENCRYPTION_KEY "
             "(README, 'Running in production').",
        id="ronghe.E001",
    )]


@register(deploy=True)
def static_manifest(app_configs, **kwargs) -> list[Error]:
    if not settings.PRODUCTION:
        return []
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        return []
    return [Error(
        f"The static files manifest {manifest} does not exist: every console page would answer 500.",
        hint="Run `python manage.py collectstatic --no-input` with the same environment before starting gunicorn.",
        id="ronghe.E002",
    )]
