"""The deployment kit (deploy/) says the same thing everywhere: the systemd units, compose.yaml, the
Dockerfile and the cluster test (tests/cluster/layout.py, which `make cluster-test` runs) start the
same commands — scripts/web.sh and scripts/worker.sh ROLE for every role the script knows — with the
variables of deploy/ronghe.env, and the nginx site agrees with the app's limits and proxy settings."""

from __future__ import annotations

import configparser
import re
import shlex

import yaml

from tests.cluster.layout import DEPLOY, LAYOUT, NGINX_SITE, PER_PROCESS, cluster_env, env_file, nginx_site
from tests.conftest import REPO

INSTALL_DIR = "/opt/ronghe/"
ENV_PATH = "/etc/ronghe/ronghe.env"


def _roles() -> list[str]:
    """The roles scripts/worker.sh knows (its case branches)."""
    return re.findall(r"^  (\w[\w-]*)\)$", (REPO / "scripts" / "worker.sh").read_text(), re.M)


def _expected_commands() -> set[str]:
    return {"scripts/web.sh", *(f"scripts/worker.sh {role}" for role in _roles())}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys as written (ExecStart, not execstart)
    parser.read(DEPLOY / "systemd" / name)
    return parser


def _unit_command(unit: configparser.ConfigParser, instance: str = "") -> str:
    start = unit["Service"]["ExecStart"].replace("%i", instance)
    assert start.startswith(INSTALL_DIR), start
    return start.removeprefix(INSTALL_DIR)


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _app_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if s.get("image") == "ronghe:latest"}


def test_it_runs_the_same_commands_in_systemd_compose_docker_and_the_cluster_test():
    expected = _expected_commands()
    assert {"fusion", "tasks", "video", "beat"} <= set(_roles())

    worker = _unit("ronghe-worker@.service")
    systemd = {_unit_command(_unit("ronghe-web.service")), _unit_command(_unit("ronghe-beat.service"))}
    systemd |= {_unit_command(worker, role) for role in _roles() if role != "beat"}
    assert systemd == expected
    assert _unit_command(_unit("ronghe-release.service")) == "scripts/release.sh"

    services = _app_services(_compose())
    compose = {shlex.join(s["command"]) for name, s in services.items() if name != "release"}
    assert compose == expected
    assert services["release"]["command"] == ["scripts/release.sh"]
    assert services["beat"]["command"] == ["scripts/worker.sh", "beat"] and "deploy" not in services["beat"]

    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r'^CMD \["scripts/web\.sh"\]$', dockerfile, re.M), "the image's default is the web command"

    cluster = {shlex.join(command).removeprefix("bash ") for _name, command in LAYOUT}
    assert cluster == expected
    assert [name for name, command in LAYOUT if command[-1] == "fusion"] == ["fusion-1", "fusion-2"]
    assert sum(command[-1] == "beat" for _name, command in LAYOUT) == 1


def test_every_unit_reads_the_one_environment_file_and_the_long_running_ones_restart():
    for name in ("ronghe-web.service", "ronghe-worker@.service", "ronghe-beat.service", "ronghe-release.service"):
        service = _unit(name)["Service"]
        assert service["EnvironmentFile"] == ENV_PATH, name
        if name == "ronghe-release.service":  # run once per release, by hand
            assert service["Type"] == "oneshot" and "Restart" not in service
        else:
            assert service["Restart"] == "always", name
        assert service["WorkingDirectory"] == INSTALL_DIR.rstrip("/"), name
        assert service["StateDirectory"] == "ronghe", name  # RONGHE_VAR_DIR=/var/lib/ronghe
    assert env_file()["RONGHE_VAR_DIR"] == "/var/lib/ronghe"


def _read_variables() -> set[str]:
    read = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', (REPO / "config" / "settings.py").read_text()))
    for script in ("web.sh", "worker.sh", "release.sh"):
        read |= set(re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "scripts" / script).read_text()))
    return read


def test_every_variable_of_the_environment_file_is_read_by_the_app_or_its_scripts():
    unread = sorted(set(env_file()) - _read_variables())
    assert not unread, f"deploy/ronghe.env lists variables nothing reads: {unread}"
    assert env_file()["DJANGO_ENV"] == "production"


def test_the_per_process_variables_are_set_by_units_and_containers_not_the_environment_file():
    assert set(PER_PROCESS) <= _read_variables()
    assert not set(PER_PROCESS) & set(env_file())  # it would override the units' Environment=
    for name in ("ronghe-web.service", "ronghe-worker@.service"):
        service = _unit(name)["Service"]
        key, _, folder = service["Environment"].partition("=")
        assert key == "PROMETHEUS_MULTIPROC_DIR" and folder == "/run/" + service["RuntimeDirectory"], name


def test_compose_docker_and_the_cluster_test_set_only_variables_of_the_environment_file():
    listed = set(env_file())
    services = _app_services(_compose())
    for name, service in services.items():
        assert service["env_file"] == "ronghe.env", name
        assert set(service["environment"]) <= listed | set(PER_PROCESS), (name, set(service["environment"]) - listed)
        folder = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert folder in service["tmpfs"], name  # empty at every start
    docker_env = re.search(r"^ENV (.+?)(?:\n(?!\s)|\Z)", (DEPLOY / "Dockerfile").read_text(), re.M | re.S)
    assert docker_env
    assert set(re.findall(r"([A-Z0-9_]+)=", docker_env.group(1))) <= listed
    # The cluster test changes values only through cluster_env, which refuses any other variable.
    try:
        cluster_env(NOT_A_RONGHE_VARIABLE="1")
    except ValueError as exc:
        assert "NOT_A_RONGHE_VARIABLE" in str(exc)
    else:
        raise AssertionError("cluster_env accepted a variable deploy/ronghe.env does not list")


def test_the_nginx_site_matches_the_app_limits_proxy_hops_and_static_root(settings):
    site = NGINX_SITE.read_text()
    values = env_file()
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size
    limit = int(size.group(1)) * 1024 * 1024
    assert limit > settings.API_MAX_BODY_BYTES and limit >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # One proxy that appends the client's address, and the app trusts exactly one hop.
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert values["TRUSTED_PROXY_HOPS"] == "1"
    # SECURE_PROXY_SSL_HEADER reads X-Forwarded-Proto; the TC3 signature covers Host, port included.
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header Host $http_host;" in site
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", site)
    assert read_timeout and int(read_timeout.group(1)) > int(values["FUSION_JOB_DEADLINE_SECONDS"])
    # nginx serves /static/ from <root>/static: STATIC_ROOT's folder.
    root = re.search(r"location /static/ \{\s*root ([^;]+);", site)
    assert root and f"{root.group(1)}/static" == values["STATIC_ROOT"]
    # The upstream's web hosts listen where WEB_BIND says.
    port = values["WEB_BIND"].rsplit(":", 1)[1]
    assert re.findall(r"^\s*server [\d.]+:(\d+) ", site, re.M) == [port, port]


def test_the_cluster_test_runs_the_site_with_only_its_placeholders_replaced(tmp_path):
    rendered = nginx_site(upstreams=(1, 2), https_port=3, http_port=4, cert=tmp_path / "c", key=tmp_path / "k",
                          static_parent=tmp_path)
    kept = NGINX_SITE.read_text()
    for line in ("client_max_body_size", "proxy_set_header", "proxy_read_timeout", "ssl_protocols",
                 "proxy_next_upstream"):
        assert [x for x in kept.splitlines() if line in x] == [x for x in rendered.splitlines() if line in x]
