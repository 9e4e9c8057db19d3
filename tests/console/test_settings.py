"""Settings come from the environment: the production profile passes the deploy checks,
migrations match the models, and sloppy values are refused at start-up."""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from config.env import env_bool, env_float, env_int, env_list, env_str
from tests.conftest import REPO

ENV_NAMES_TO_DROP = ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "DJANGO_DEBUG", "DJANGO_SECRET_KEY",
                     "CREDENTIAL_ENCRYPTION_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _manage(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ENV_NAMES_TO_DROP}
    base.update(RONGHE_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=base, capture_output=True, text=True,
                          timeout=120)


def _settings_line(stdout: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if line.startswith("SETTINGS "))
    return line.split()[1:]


def _production_env() -> dict[str, str]:
    return {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "CREDENTIAL_ENCRYPTION_KEY": Fernet.generate_key().decode(), "DJANGO_ALLOWED_HOSTS": "x"}


def test_it_passes_the_deploy_checks_in_production(tmp_path):
    static_root = tmp_path / "static"
    static_root.mkdir()
    (static_root / "staticfiles.json").write_text("{}")  # what collectstatic leaves (README's order)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, STATIC_ROOT=str(static_root),
                     **_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("weak", ["abc", "x" * 49, "ab" * 40,
                                  "ronghe-embedded-development-key-not-for-production-use-0123456789"])
def test_it_refuses_to_start_production_with_a_weak_secret_key(tmp_path, weak):
    result = _manage("check", tmp_path=tmp_path, **{**_production_env(), "DJANGO_SECRET_KEY": weak})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# Fixed ids: the generated keys differ in every process, and xdist needs every worker to collect the same tests.
@pytest.mark.parametrize("bad", ["not-a-fernet-key", Fernet.generate_key().decode()[:-4],
                                 Fernet.generate_key().decode() + ",garbage"],
                         ids=["not-a-key", "truncated-key", "key-then-garbage"])
def test_it_refuses_an_invalid_credential_encryption_key(tmp_path, bad):
    result = _manage("check", tmp_path=tmp_path, **{**_production_env(), "CREDENTIAL_ENCRYPTION_KEY": bad})
    assert result.returncode != 0
    assert "CREDENTIAL_ENCRYPTION_KEY" in result.stderr and "Fernet" in result.stderr


def test_it_accepts_a_rotation_list_of_valid_fernet_keys(tmp_path):
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    result = _manage("check", tmp_path=tmp_path, **{**_production_env(), "CREDENTIAL_ENCRYPTION_KEY": keys})
    assert result.returncode == 0, result.stderr


def test_check_deploy_flags_the_development_key_when_django_env_is_unset(tmp_path):
    result = _manage("check", "--deploy", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ronghe.E001" in result.stderr and "development key" in result.stderr
    # Without --deploy the embedded default still starts (make run).
    assert _manage("check", tmp_path=tmp_path).returncode == 0


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "CREDENTIAL_ENCRYPTION_KEY"])
def test_it_refuses_to_start_production_without_its_secrets(tmp_path, missing):
    env = _production_env()
    del env[missing]
    result = _manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_it_refuses_an_unknown_environment_name(tmp_path):
    result = _manage("check", tmp_path=tmp_path, DJANGO_ENV="prod")
    assert result.returncode != 0 and "DJANGO_ENV must be" in result.stderr


def test_it_has_no_missing_migrations(tmp_path):
    result = _manage("makemigrations", "--check", "--dry-run", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_embedded_without_any_service(tmp_path):
    """No DATABASE_URL, REDIS_URL or S3_*: SQLite, file cache, filesystem broker, local media."""
    code = ("from django.conf import settings as s; "
            "print('SETTINGS', s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, "
            "s.STORAGES['default']['BACKEND'], s.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder'])")
    result = _manage("shell", "-c", code, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    engine, cache, broker, storage, control = _settings_line(result.stdout)
    assert engine.endswith("sqlite3") and cache.endswith("FileBasedCache") and broker == "filesystem://"
    assert storage.endswith("FileSystemStorage") and control.startswith(str(tmp_path))


def test_it_switches_to_the_services_named_in_the_environment(tmp_path):
    code = ("from django.conf import settings as s; "
            "print('SETTINGS', s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_MAX_AGE'], "
            "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.STORAGES['default']['BACKEND'])")
    result = _manage("shell", "-c", code, tmp_path=tmp_path, DATABASE_URL="postgresql://u:p@db.example:5432/r",
                     REDIS_URL="redis://cache.example:6379/0", S3_BUCKET="media")
    assert result.returncode == 0, result.stderr
    engine, max_age, cache, broker, storage = _settings_line(result.stdout)
    assert engine.endswith("postgresql") and int(max_age) > 0
    assert cache.endswith("RedisCache") and broker == "redis://cache.example:6379/2"  # the broker role: n+2
    assert storage.endswith("S3Storage")


def test_it_reads_typed_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", " Yes ")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST") == ["a.example", "b.example"]
    assert env_str("X_MISSING", "dflt") == "dflt"
    assert env_int("X_MISSING", 7) == 7 and env_bool("X_MISSING", True) is True
    monkeypatch.setenv("X_FLOAT", "0.45")
    assert env_float("X_FLOAT", 1.0) == 0.45 and env_float("X_MISSING", 0.5) == 0.5


@pytest.mark.parametrize(("reader", "raw"), [(env_bool, "maybe"), (env_bool, "2"), (env_int, "10s"),
                                             (env_int, "1.5"), (env_float, "near")])
def test_it_rejects_sloppy_values(monkeypatch, reader, raw):
    monkeypatch.setenv("X_SLOPPY", raw)
    with pytest.raises(ValueError, match="X_SLOPPY"):
        reader("X_SLOPPY", 1) if reader in (env_int, env_float) else reader("X_SLOPPY")


@pytest.mark.parametrize(("name", "raw", "says"), [
    ("FREE_PACK_CALLS", "abc", "FREE_PACK_CALLS must be an integer"),
    ("REVIEW_FACE_MATCH_DISTANCE", "near", "REVIEW_FACE_MATCH_DISTANCE must be a number"),
    ("FUSION_JOB_DEADLINE_SECONDS", "0", "FUSION_JOB_DEADLINE_SECONDS must be at least 1"),
    ("MATERIAL_QUOTA_BASE", "-1", "MATERIAL_QUOTA_BASE must be at least 0"),
    ("SELFSERVICE_RATE_PER_EMAIL", "3x", "SELFSERVICE_RATE_PER_EMAIL must be an integer"),
    # Shorter than a month's bill, its due date and the year's invoices (README "Retention").
    ("USAGE_RECORD_RETENTION_DAYS", "30", "USAGE_RECORD_RETENTION_DAYS must be at least 400"),
    ("JOB_RETENTION_DAYS", "half a year", "JOB_RETENTION_DAYS must be an integer"),
])
def test_it_refuses_to_start_with_a_bad_product_setting(tmp_path, name, raw, says):
    """Every setting is read once at start-up: a bad value stops it there, not later inside a task."""
    result = _manage("check", tmp_path=tmp_path, **{name: raw})
    assert result.returncode != 0 and says in result.stderr


def test_beat_follows_the_time_zone_setting(tmp_path):
    code = "from config.celery import app; print('SETTINGS', app.conf.timezone)"
    result = _manage("shell", "-c", code, tmp_path=tmp_path, TIME_ZONE="Europe/Berlin")
    assert result.returncode == 0, result.stderr
    assert _settings_line(result.stdout) == ["Europe/Berlin"]


@pytest.mark.parametrize("bad", ["ops admin", "ops/../x", "ops?x=1"], ids=["space", "dots", "query"])
def test_it_refuses_an_admin_path_that_is_not_a_plain_path(tmp_path, bad):
    result = _manage("check", tmp_path=tmp_path, **{**_production_env(), "ADMIN_PATH": bad})
    assert result.returncode != 0 and "ADMIN_PATH" in result.stderr
