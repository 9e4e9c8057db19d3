"""Backup and restore (issue 14 item 9, README "Backup and restore"), on a deployment of the tests'
own (conftest.py): scripts/backup.sh runs while FuseFace load and material uploads run; then the
deployment is wiped (its database dropped, its media folder deleted) and scripts/restore.sh brings it
back: the manifest verified, the ledger check clean, every material's and every url result's file
present. (A tampered backup and a restore into a database with tables: tests/config/test_backup.py.)
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from bench.stack import PG_BIN, REPO
from tests.chaos.conftest import Load, wait_until
from tests.chaos.test_faults import UPLOAD

pytestmark = pytest.mark.chaos


def _script(stack, name: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", f"scripts/{name}", str(folder)], cwd=REPO, capture_output=True, text=True,
                          timeout=180, env={**stack.env(), "PG_BIN": str(PG_BIN)})


def _on_server(stack, query: str) -> list[tuple]:
    """A statement on the stack's server, outside its database (which it may drop)."""
    import psycopg

    with psycopg.connect(stack.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def _stored_names(stack) -> dict[str, list[str]]:
    materials = [n for row in stack.sql("select image, video, track from materials_material") for n in row if n]
    results = [n for (n,) in stack.sql("select result_name from fusion_fusionjob where result_name <> ''")]
    return {"materials": materials, "results": results}


def test_it_backs_up_a_busy_deployment_wipes_it_and_restores_it(stack, tenant, tmp_path):
    from tests.conftest import FACES_DIR

    backup = tmp_path / "backup"
    media = Path(stack.env()["MEDIA_ROOT"])
    uploads = threading.Thread(target=stack.manage, args=("-c", UPLOAD, "chaos-owner", str(FACES_DIR / "obama.jpg"),
                                                          str(FACES_DIR / "obama2.jpg")), daemon=True)
    with Load(stack, tenant, clients=2, rsp="url") as load:
        wait_until(lambda: len([c for c in load.calls if c.code == "Success"]) >= 2, "load running", 30)
        uploads.start()
        before = len(load.calls)
        done = _script(stack, "backup.sh", backup)
        assert done.returncode == 0, done.stderr[-3000:]
        during = len(load.calls) - before
    uploads.join(timeout=60)
    assert during > 0, "no call was answered while the backup ran"
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["git_commit"] and ["billing", "0001_initial"] in manifest["migrations"]
    assert {f["name"] for f in manifest["files"]} >= set(_stored_names(stack)["materials"][:1])

    # Wipe: stop everything that holds the database, drop it, delete every file.
    for name in list(stack.procs):
        stack.kill(name, signal.SIGTERM)
    _on_server(stack, "drop database ronghe with (force)")
    shutil.rmtree(media)

    done = _script(stack, "restore.sh", backup)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ledger OK" in stack.manage("manage.py", "billing_check_ledger")
    names = _stored_names(stack)
    assert names["materials"] and names["results"]
    missing = [n for n in names["materials"] + names["results"] if not (media / n).is_file()]
    assert not missing, missing[:10]
