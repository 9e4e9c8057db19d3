"""The Content-Security-Policy: every response of the console carries a strict one, and no template
brings back what it forbids (inline script, event-handler attributes, inline style). The browser
walk of every page is tests/browser/test_csp.py."""

import os
import re
import subprocess
import sys

from django.test import Client

from tests.conftest import REPO

TEMPLATE_DIRS = [REPO / "templates", *REPO.glob("*/templates"), *REPO.glob("console/*/templates")]
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "event-handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}


def test_every_page_sends_a_strict_policy(db):
    for url in ("/login/", "/signup/", "/password-reset/"):
        policy = Client().get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", policy
        assert directives["style-src"] == "'self'", policy
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'", policy
        assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'", policy
        assert "unsafe" not in policy


def test_no_template_needs_what_the_policy_forbids():
    found = []
    templates = [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]
    assert len(templates) > 40
    for path in templates:
        text = path.read_text()
        for what, pattern in FORBIDDEN.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(REPO)}:{line}: {what}: {match.group(0)[:80]}")
    assert not found, "\n".join(found)


def test_images_may_come_from_the_configured_media_store(tmp_path):
    env = {**os.environ, "RONGHE_VAR_DIR": str(tmp_path), "S3_BUCKET": "media",
           "S3_ENDPOINT_URL": "https://minio.example.com:9000"}
    code = "from django.conf import settings as s; print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert "https://minio.example.com:9000" in out.stdout, out.stderr
