"""The project package: settings, root URLs, the Celery app, WSGI/ASGI and the demo seed.

It composes the apps; no app imports it (import-linter checks this, see docs/architecture.md).
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
