"""Every query of the Grafana dashboard and of the alert rules names metrics that exist: the hub's
own (``realtime/ops/metrics.py``, as Prometheus names its samples), Prometheus' ``up``, or the Redis
exporter's few. A renamed metric otherwise leaves a panel empty and an alert silent, which nobody
notices until the plenary. Also: Grafana is provisioned by docker-compose.yml with the dashboard's
data source, and nothing of it is public."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics_core import Metric

from realtime.ops import metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
ALERTS = ROOT / "deploy" / "alerts.yml"
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

PROMETHEUS_OWN = frozenset({"up"})
REDIS_EXPORTER = frozenset({"redis_up", "redis_aof_last_write_status"})
"""Metrics of oliver006/redis_exporter that the panels and alerts read: not the hub's, so listed
here by name (the exporter's documentation names them)."""


# -- the names a PromQL query reads ---------------------------------------------------------------
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")  # {label="value", ...}: label names, not metrics
_RANGES = re.compile(r"\[[^\[\]]*\]")  # [5m], [1h:1m]
_LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_NAME = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")  # not a function: no "(" after
KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    }
)


def metric_names(query: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label matchers,
    ranges, grouping label lists and function calls are taken away, less the keywords and numbers
    (durations after ``offset`` and exponents start with a digit, so never match a name)."""
    text = _STRINGS.sub(" ", query)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _LABEL_LISTS.sub(" ", text)
    return {n for n in _NAME.findall(text) if n.lower() not in KEYWORDS}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ('up{job="plenary-hub"} == 0', {"up"}),
        (
            "histogram_quantile(0.99, sum by (le) (rate(plenary_delivery_seconds_bucket[1m]))) > 0.5",
            {"plenary_delivery_seconds_bucket"},
        ),
        (
            'sum(increase(plenary_commands_total{outcome=~"internal|unavailable"}[5m])) > 0',
            {"plenary_commands_total"},
        ),
        ("sum(a) < 0.8 * sum(a offset 2m) and sum(a offset 2m) > 1e2", {"a"}),
        ("x / on(instance) group_left(codec) y", {"x", "y"}),
        ("sum without (code) (x) > bool 3", {"x"}),
        ('label_replace(x, "dst", "$1 up", "src", "(.*)")', {"x"}),
        ("rate(job:requests_total:rate5m[5m:1m])", {"job:requests_total:rate5m"}),
        ("sum by(outcome)(rate(c_total[1m])) / ignoring(outcome) group_right sum(d)", {"c_total", "d"}),
        ("time() - process_start_time_seconds", {"process_start_time_seconds"}),
        ("vector(1)", set()),
    ],
)
def test_metric_names_are_read_from_promql(query: str, names: set[str]) -> None:
    assert metric_names(query) == names


# -- what exists --------------------------------------------------------------------------------
def sample_names(family: Metric) -> set[str]:
    """The series names Prometheus scrapes for a metric family (prometheus_client drops the
    ``_total`` of a counter's family name and adds it back to its samples)."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "gauge": ("",),
    }[family.type]
    return {family.name + s for s in suffixes}


HUB = frozenset(name for family in metrics.REGISTRY.collect() for name in sample_names(family))


def test_the_hub_exports_what_the_docs_list() -> None:
    assert {"plenary_connections", "plenary_commands_total", "plenary_delivery_seconds_bucket"} <= HUB
    assert "plenary_accepted_connections_total" in HUB


# -- the queries --------------------------------------------------------------------------------
def panels_of(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows too."""
    return [q for p in panels for q in [p, *panels_of(p.get("panels", []))]]


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, expression) of every target of every panel."""
    return [
        (f"{path.name}: {panel['title']} {target['refId']}", target["expr"])
        for path in DASHBOARDS
        for panel in panels_of(json.loads(path.read_text(encoding="utf-8"))["panels"])
        for target in panel.get("targets", [])
    ]


def alert_queries() -> list[tuple[str, str]]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]


QUERIES = dashboard_queries() + alert_queries()


def test_there_is_a_dashboard_with_panels() -> None:
    assert DASHBOARDS, "a dashboard in deploy/grafana/dashboards"
    assert len(dashboard_queries()) >= 10


@pytest.mark.parametrize(("where", "query"), QUERIES, ids=[w for w, _ in QUERIES])
def test_every_query_names_metrics_that_exist(where: str, query: str) -> None:
    names = metric_names(query)
    assert names, f"{where}: no metric in {query!r}"
    unknown = names - HUB - PROMETHEUS_OWN - REDIS_EXPORTER
    assert not unknown, f"{where}: {sorted(unknown)} not exported (realtime/ops/metrics.py)"


def test_every_hub_metric_is_on_the_dashboard() -> None:
    """A metric the hub exports and nobody watches is either dead or a missing panel."""
    shown = {n for _where, q in dashboard_queries() for n in metric_names(q)}
    families = {f.name for f in metrics.REGISTRY.collect()}
    unwatched = {f for f in families if not any(n.startswith(f) for n in shown)}
    assert not unwatched, sorted(unwatched)


# -- the provisioning ---------------------------------------------------------------------------
def test_grafana_is_provisioned_with_the_dashboard_and_its_data_source() -> None:
    grafana = COMPOSE["services"]["grafana"]
    mounts = {
        str(v).split(":")[1]: ROOT / str(v).split(":")[0]
        for v in grafana["volumes"]
        if str(v).startswith(".")
    }
    provisioning = mounts["/etc/grafana/provisioning"]
    assert DATASOURCES.is_relative_to(provisioning)
    providers = yaml.safe_load((provisioning / "dashboards" / "plenary.yml").read_text(encoding="utf-8"))
    path = providers["providers"][0]["options"]["path"]
    assert mounts[path] == DASHBOARDS[0].parent
    sources = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]
    (prom,) = sources
    assert prom["url"] == "http://prometheus:9090" and "prometheus" in COMPOSE["services"]
    uids = {
        t["datasource"]["uid"]
        for path in DASHBOARDS
        for p in panels_of(json.loads(path.read_text(encoding="utf-8"))["panels"])
        for t in p.get("targets", [])
    }
    assert uids == {prom["uid"]}
    assert all(str(p).startswith("127.0.0.1:") for p in grafana.get("ports", []))
    assert "${GRAFANA_ADMIN_PASSWORD:?" in grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
