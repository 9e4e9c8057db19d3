"""The beat schedule in config/celery.py names tasks by string: a typo there fails silently."""

from config.celery import app


def test_it_schedules_only_tasks_that_the_worker_registers():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)


def test_it_sweeps_stuck_fusion_jobs_and_runs_retention():
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"fusion.tasks.sweep_stuck_jobs", "console.tasks.retention_run"} <= scheduled
