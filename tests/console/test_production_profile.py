"""The production profile serves: README's commands (scripts/release.sh: migrate, collectstatic, check
--deploy; scripts/web.sh: gunicorn) with production secrets give 200 for the sign-in page and the hashed
stylesheet and scripts it links."""

import os
import re
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.conftest import REPO
from tests.production_stack import live_database_url, production_stack, readme_production_commands

PORT = 8141


def test_it_serves_the_sign_in_page_and_its_static_files_in_production(transactional_db, tmp_path):
    with production_stack(tmp_path, database_url=live_database_url(), port=PORT) as stack:
        page = stack.get("/login/")
        assert page.status_code == 200, stack.log.read_text()[-3000:]
        assert 'name="csrfmiddlewaretoken"' in page.text

        assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
        assets += re.findall(r'<script src="([^"]+)"', page.text)
        assert len(assets) >= 3, page.text[:1000]
        for url in assets:
            # The manifest's hashed names, served by whitenoise from STATIC_ROOT.
            assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
            asset = stack.get(url, headers={"Accept-Encoding": "gzip"})
            assert asset.status_code == 200, url
            kind = "text/css" if url.endswith(".css") else "javascript"
            assert kind in asset.headers["Content-Type"], (url, asset.headers["Content-Type"])
            assert len(asset.content) > 500, url
            assert "immutable" in asset.headers.get("Cache-Control", ""), url

        # It is the production profile: plain HTTP is sent to HTTPS.
        plain = stack.get("/login/", headers={"X-Forwarded-Proto": "http"})
        assert plain.status_code == 301 and plain.headers["Location"] == "https://ronghe.test/login/"
        # Probes and Prometheus reach a node directly in plain HTTP (deploy/README.md): no redirect there.
        probe = stack.get("/healthz/", headers={"X-Forwarded-Proto": "http"})
        assert probe.status_code == 200 and probe.json() == {"ok": True}


def test_its_commands_in_the_readme_collect_static_files_before_checking_and_serving():
    *release, serve = readme_production_commands()
    assert [c.split("#")[0].strip() for c in release] == ["scripts/release.sh"], release
    assert serve.startswith("scripts/web.sh"), serve
    steps = (REPO / "scripts" / "release.sh").read_text()
    order = [steps.index(word) for word in ("migrate", "collectstatic", "check --deploy")]
    assert order == sorted(order), steps


def test_check_deploy_refuses_production_without_the_static_manifest(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(DJANGO_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               CREDENTIAL_ENCRYPTION_KEY=Fernet.generate_key().decode(), DJANGO_ALLOWED_HOSTS="x",
               RONGHE_VAR_DIR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "empty"))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "ronghe.E002" in result.stderr and "collectstatic" in result.stderr
