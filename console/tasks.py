"""The console's Celery tasks: only the health check's round trip (on the ``default`` queue)."""

from celery import shared_task


@shared_task(name="console.tasks.ping")
def ping() -> str:
    """Answers "pong": proves that a worker takes tasks from the broker and stores results."""
    return "pong"
