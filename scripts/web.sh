#!/usr/bin/env bash
# The production web command, in one place: the systemd unit (deploy/systemd/ronghe-web.service), the
# container (deploy/Dockerfile), `make run`, README's production block and the cluster test run this.
#
#   WEB_BIND      address:port gunicorn listens on (default 127.0.0.1:$PORT, PORT default 8000);
#                 0.0.0.0:8000 on a web host behind a proxy on another host, or in a container
#   WEB_WORKERS   gunicorn processes (default 2)
#   WEB_THREADS   threads per process (default 8): a FuseFace call holds one while its job runs
#   WEB_TIMEOUT   seconds before a silent worker is killed (default 60: longer than a job's deadline
#                 plus the URL fetch deadline)
#
# Extra arguments are passed on to gunicorn (e.g. --access-logfile -).
set -euo pipefail
cd "$(dirname "$0")/.."
GUNICORN="${GUNICORN:-.venv/bin/gunicorn}"
exec "$GUNICORN" config.wsgi --bind "${WEB_BIND:-127.0.0.1:${PORT:-8000}}" \
  --workers "${WEB_WORKERS:-2}" --worker-class gthread --threads "${WEB_THREADS:-8}" \
  --timeout "${WEB_TIMEOUT:-60}" "$@"
