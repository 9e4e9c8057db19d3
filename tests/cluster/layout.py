"""The deploy layout of deploy/README.md on one machine, read from the deploy files themselves.

The cluster test (conftest.py here) starts exactly these processes with exactly these commands and
the variables of deploy/ronghe.env; tests/deploy/test_deploy_kit.py checks the systemd units,
compose.yaml and the Dockerfile against the same lists, so the tested layout and the shipped one
cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from bench.stack import REPO, web_command, worker_command

DEPLOY = REPO / "deploy"
ENV_FILE = DEPLOY / "ronghe.env"
NGINX_SITE = DEPLOY / "nginx" / "ronghe.conf"

# (process name, command): two web nodes behind nginx, two fusion workers, one for the other queues,
# the video worker (readiness wants every queue consumed), and the one beat of the cluster.
WEB_NODES = ("web-1", "web-2")
WORKERS = (("fusion-1", "fusion"), ("fusion-2", "fusion"), ("tasks", "tasks"), ("video", "video"), ("beat", "beat"))
LAYOUT: list[tuple[str, list[str]]] = [
    *((name, web_command()) for name in WEB_NODES),
    *((name, worker_command(role)) for name, role in WORKERS),
]


# Variables whose value differs per process on one host, so each systemd unit or container sets its
# own and deploy/ronghe.env must not (systemd lets an EnvironmentFile= override Environment=).
PER_PROCESS = ("PROMETHEUS_MULTIPROC_DIR", "METRICS_WORKER_PORT")


def env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """The KEY=value lines of an environment file, as systemd's EnvironmentFile= and compose read them."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def cluster_env(**overrides: str) -> dict[str, str]:
    """deploy/ronghe.env with this machine's values: only variables the file lists may be changed."""
    values = env_file()
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise ValueError(f"not in deploy/ronghe.env: {unknown}")
    return {**values, **overrides}


def nginx_site(*, upstreams: tuple[int, int], https_port: int, http_port: int, cert: Path, key: Path,
               static_parent: Path) -> str:
    """deploy/nginx/ronghe.conf with the values its header says to replace, each found exactly once."""
    site = NGINX_SITE.read_text()
    replacements = {
        "server 10.0.0.11:8000 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 10.0.0.12:8000 ": f"server 127.0.0.1:{upstreams[1]} ",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/ronghe/fullchain.pem": str(cert),
        "/etc/ssl/ronghe/privkey.pem": str(key),
        "root /var/lib/ronghe;": f"root {static_parent};",
    }
    for old, new in replacements.items():
        if site.count(old) != 1:
            raise ValueError(f"deploy/nginx/ronghe.conf: {old!r} found {site.count(old)} times, not once")
        site = site.replace(old, new)
    return site
