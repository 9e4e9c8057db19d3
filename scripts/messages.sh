#!/usr/bin/env bash
# Extract translatable strings into each catalogue and compile them. The project catalogue
# (locale/) covers templates/ and console/; each product app keeps its own <app>/locale/.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py makemessages -l zh_Hans -l en --no-obsolete \
  -i 'campaigns/*' -i 'materials/*' -i 'fusion/*' -i 'api/*' -i 'billing/*' -i 'selfservice/*' -i 'video/*' -i '.venv/*' -i 'tests/*' \
  -i 'bench/*' -i 'staticfiles/*' -i 'var/*'
for app in campaigns materials fusion api billing selfservice video; do
  if [ -d "$app/locale" ]; then (cd "$app" && "$OLDPWD/.venv/bin/django-admin" makemessages -l zh_Hans -l en --no-obsolete); fi
done
.venv/bin/python manage.py compilemessages -i .venv -v 0
