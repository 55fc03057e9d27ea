"""docker-compose.yml is the production topology; no Docker engine runs here, so it is checked by
parsing: the services exist, every hub uses the one shared Redis, Redis fsyncs every write, the
proxy passes WebSocket upgrades, Prometheus scrapes every hub, and the image can be built."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ENV_DEFAULT = re.compile(r"\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}")


# -- helpers ------------------------------------------------------------------------------------
def argv(service: dict[str, Any]) -> list[str]:
    """A service's command as a list, with ``${VAR:-default}`` replaced by its default."""
    cmd = service.get("command", [])
    words = shlex.split(cmd) if isinstance(cmd, str) else [str(w) for w in cmd]
    return [ENV_DEFAULT.sub(r"\1", w) for w in words]


def option(words: list[str], name: str) -> str:
    for i, word in enumerate(words):
        if word == name:
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {words}")


def image_of(name: str) -> str:
    return str(SERVICES[name].get("image", ""))


def services_with_image(prefix: str) -> list[str]:
    return [n for n in SERVICES if image_of(n).split("/")[-1].startswith(prefix)]


def hubs() -> list[str]:
    return [n for n, s in SERVICES.items() if "serve" in argv(s)[:1]]


def mounts(name: str) -> dict[str, Path]:
    """Bind mounts of a service: container path -> host path (relative to the compose file)."""
    out = {}
    for volume in SERVICES[name].get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/")):
            out[target] = (ROOT / source).resolve()
    return out


def healthcheck_text(name: str) -> str:
    test = SERVICES[name].get("healthcheck", {}).get("test", [])
    return " ".join(test) if isinstance(test, list) else str(test)


def nginx_config() -> str:
    (proxy,) = services_with_image("nginx")
    conf = mounts(proxy)["/etc/nginx/nginx.conf"]
    return conf.read_text(encoding="utf-8")


def nginx_location(conf: str, path: str) -> str:
    """The body of ``location [=] <path> { ... }`` (locations hold no nested blocks here)."""
    found = re.search(r"location\s+(?:=\s*)?" + re.escape(path) + r"\s*\{([^}]*)\}", conf)
    assert found, f"no location {path} in the proxy config"
    return found.group(1)


def prometheus_config() -> dict[str, Any]:
    (prom,) = services_with_image("prometheus")
    conf = mounts(prom)["/etc/prometheus/prometheus.yml"]
    loaded: dict[str, Any] = yaml.safe_load(conf.read_text(encoding="utf-8"))
    return loaded


# -- the services -------------------------------------------------------------------------------
def test_the_topology_has_redis_hubs_a_proxy_and_prometheus() -> None:
    assert services_with_image("redis:7"), "a Redis 7 service"
    assert services_with_image("nginx"), "an nginx reverse proxy"
    assert services_with_image("prometheus"), "Prometheus"
    assert hubs(), "hub services running `plenary serve`"


def test_there_are_several_hubs() -> None:
    count = sum(int(SERVICES[n].get("deploy", {}).get("replicas", 1)) for n in hubs())
    assert count >= 2


def test_redis_is_durable() -> None:
    (redis,) = services_with_image("redis:7")
    words = argv(SERVICES[redis])
    assert option(words, "--appendonly") == "yes"
    assert option(words, "--appendfsync") == "always"
    assert option(words, "--maxmemory-policy") == "noeviction"
    data = [str(v) for v in SERVICES[redis].get("volumes", []) if str(v).endswith(":/data")]
    assert data, "Redis keeps /data on a volume"
    assert data[0].split(":")[0] in COMPOSE.get("volumes", {}), "a named volume"
    assert "redis-cli" in healthcheck_text(redis)


@pytest.mark.parametrize("hub", hubs())
def test_every_hub_joins_the_shared_redis(hub: str) -> None:
    words = argv(SERVICES[hub])
    url = urlsplit(option(words, "--redis-url"))
    assert url.scheme == "redis"
    assert url.hostname in services_with_image("redis:7")
    assert url.port == 6379
    assert option(words, "--host") == "0.0.0.0"
    assert option(words, "--port") == "8000"
    assert option(words, "--public-url").startswith("https://")
    assert "redis" in SERVICES[hub].get("depends_on", {})


@pytest.mark.parametrize("hub", hubs())
def test_every_hub_is_healthchecked_on_readyz(hub: str) -> None:
    check = healthcheck_text(hub)
    assert "/readyz" in check and ":8000" in check


def test_only_the_proxy_and_local_prometheus_publish_ports() -> None:
    (proxy,) = services_with_image("nginx")
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            if name != proxy:
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to the world"


def test_bind_mounted_files_exist() -> None:
    for name in SERVICES:
        for target, source in mounts(name).items():
            assert source.exists(), f"{name}: {source} (mounted at {target}) is missing"


# -- the image ----------------------------------------------------------------------------------
def test_hubs_are_built_from_the_dockerfile() -> None:
    for hub in hubs():
        build = SERVICES[hub]["build"]
        assert build["context"] == "."
        assert (ROOT / build.get("dockerfile", "Dockerfile")).exists()


def test_dockerfile_installs_every_package() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"pip install '?\.(\[[a-z,]+\])?'?", text)  # the project (with the hub's extras)
    assert re.search(r'^ENTRYPOINT \["plenary"\]', text, re.M)
    assert "/readyz" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    copied = {
        source.rstrip("/") for line in re.findall(r"^COPY (.+)$", text, re.M) for source in line.split()[:-1]
    }
    assert "pyproject.toml" in copied
    readme = project["project"].get("readme")
    assert readme is None or readme in copied, "the Dockerfile does not copy the readme pyproject names"
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]  # "engine*", ...
    assert included
    for pattern in included:
        top = pattern.rstrip("*").split(".")[0]
        assert top in copied, f"the Dockerfile does not copy package {top}"
        assert (ROOT / top).is_dir()


# -- the proxy ----------------------------------------------------------------------------------
def test_proxy_passes_websocket_upgrades_on_ws() -> None:
    conf = nginx_config()
    ws = nginx_location(conf, "/ws")
    assert re.search(r"proxy_pass\s+http://hubs;", ws)
    assert re.search(r"proxy_http_version\s+1\.1;", ws)
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", ws)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", ws)
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade;", conf)
    timeout = re.search(r"proxy_read_timeout\s+(\d+)s;", ws)
    assert timeout and int(timeout.group(1)) >= 300, "long read timeouts for WebSockets"
    assert "proxy_buffering off;" in ws


def test_proxy_balances_over_every_hub_without_stickiness() -> None:
    conf = nginx_config()
    upstream = re.search(r"upstream\s+hubs\s*\{([^}]*)\}", conf)
    assert upstream
    servers = re.findall(r"server\s+([\w.-]+):8000\b", upstream.group(1))
    assert set(servers) == set(hubs())
    assert "ip_hash" not in upstream.group(1) and "sticky" not in upstream.group(1)


def test_proxy_keeps_metrics_private_and_tokens_out_of_logs() -> None:
    conf = nginx_config()
    assert re.search(r"return\s+404;|deny\s+all;", nginx_location(conf, "/metrics"))
    log_format = re.search(r"log_format\s+\w+\s+([^;]*);", conf, re.S)
    assert log_format
    assert "$request " not in log_format.group(1) and "$request_uri" not in log_format.group(1)
    assert "$http_authorization" not in log_format.group(1)


def nginx_size(value: str) -> int:
    """An nginx size (``512``, ``64k``, ``20m``, ``1g``) in bytes."""
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit.lower()]


def test_proxy_takes_uploads_up_to_exactly_the_hubs_limit() -> None:
    from moderation.uploads import MAX_BYTES

    conf = nginx_config()
    blocks = re.findall(r"location\s+~\s+(\S+)\s*\{([^}]*)\}", conf)
    [upload] = [body for pattern, body in blocks if re.search(pattern, "/api/meetings/m1/uploads")]
    assert "proxy_pass http://hubs;" in upload
    size = re.search(r"client_max_body_size\s+(\S+);", upload)
    assert size and nginx_size(size.group(1)) == MAX_BYTES
    # Everywhere else a body stays small: the server-wide limit is below the upload limit.
    default = re.search(r"\n        client_max_body_size\s+(\S+);", conf)
    assert default and nginx_size(default.group(1)) < MAX_BYTES
    assert not any(re.search(p, "/api/votes/v1/receipt") for p, _ in blocks)


def test_proxy_terminates_tls() -> None:
    conf = nginx_config()
    assert re.search(r"listen\s+443\s+ssl;", conf)
    assert "ssl_certificate " in conf


# -- metrics ------------------------------------------------------------------------------------
def test_prometheus_scrapes_every_hub() -> None:
    config = prometheus_config()
    targets: set[str] = set()
    for job in config["scrape_configs"]:
        if job.get("metrics_path", "/metrics") != "/metrics":
            continue
        for sd in job.get("dns_sd_configs", []):
            targets |= {f"{n}:{sd['port']}" for n in sd["names"]}
        for static in job.get("static_configs", []):
            targets |= set(static["targets"])
    assert {f"{hub}:8000" for hub in hubs()} <= targets


def test_prometheus_rule_files_are_mounted() -> None:
    (prom,) = services_with_image("prometheus")
    mounted = mounts(prom)
    for rule_file in prometheus_config().get("rule_files", []):
        assert rule_file in mounted, f"{rule_file} is not mounted"
        rules = yaml.safe_load(mounted[rule_file].read_text(encoding="utf-8"))
        assert all(r["expr"] for g in rules["groups"] for r in g["rules"])
