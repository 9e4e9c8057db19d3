# gunicorn reads this file from its working directory (the repository) unless told another with -c:
# a configuration of your own must import the same hook.
from observability.gunicorn import child_exit  # noqa: F401 - a dead worker's live gauges go (README "Observability")
