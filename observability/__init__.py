"""Seeing inside a running deployment: Prometheus metrics (``/metrics``), the context every log line
carries (RequestId, AppID, action, job id) and JSON logs, and error reports to Sentry with images and
secrets scrubbed. The ground floor below every app: any app counts its own events here, and the
figures read at scrape time come from the apps through ``settings.METRICS_COLLECTORS``."""
