"""The console's Celery tasks, on the ``default`` queue: the health check's round trip and retention."""

from celery import shared_task


@shared_task(name="console.tasks.ping")
def ping() -> str:
    """Answers "pong": proves that a worker takes tasks from the broker and stores results."""
    return "pong"


@shared_task(name="console.tasks.retention_run", ignore_result=True)
def retention_run() -> dict[str, int]:
    """Deletes what has outlived its time, app by app (console.retention; each step is idempotent)."""
    from console.retention import retention_run as run

    return run()
