"""deploy/k8s, deploy/docker-compose.yml and deploy/grafana: validated without a cluster.

Core resources are validated strictly against the Kubernetes OpenAPI schemas by
`kubernetes-validate`.  Its schemas do not cover CRDs (ServiceMonitor, PrometheusRule, KEDA
ScaledObject); for those the tests check the fields we rely on and that the PrometheusRule
carries exactly the groups promtool tests in deploy/prometheus/alerts.yml.
"""

from __future__ import annotations

import json
import re

import yaml

from service import metrics
from tests.conftest import ROOT

K8S = ROOT / "deploy" / "k8s"
CORE_KINDS = {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
KUBERNETES_VERSION = "1.30.0"


def load(name: str) -> dict:
    return yaml.safe_load((K8S / name).read_text())


def manifests() -> dict[str, dict]:
    """One document per kind; the Deployment is the worker's (trending.yaml has its own)."""
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in ("kustomization.yaml", "trending.yaml"):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc["kind"] not in docs, f"a second {doc['kind']} in {path.name}"
            docs[doc["kind"]] = doc
    return docs


def test_core_resources_pass_strict_schema_validation():
    import kubernetes_validate

    docs = manifests()
    assert CORE_KINDS <= set(docs)
    for kind in CORE_KINDS:
        kubernetes_validate.validate(docs[kind], KUBERNETES_VERSION, strict=True)


def test_trending_runs_as_its_own_deployment_and_the_workers_leave_it_to_it():
    import kubernetes_validate

    trending = load("trending.yaml")
    kubernetes_validate.validate(trending, KUBERNETES_VERSION, strict=True)
    (container,) = trending["spec"]["template"]["spec"]["containers"]
    assert container["command"][-2:] == ["news-enricher", "trending"]
    assert container["envFrom"][0]["configMapRef"]["name"] == manifests()["ConfigMap"]["metadata"]["name"]
    assert manifests()["ConfigMap"]["data"]["NEWS_ENRICHER_TRENDING_IN_WORKER"] == "false"
    worker_labels = manifests()["Deployment"]["spec"]["selector"]["matchLabels"]
    assert trending["spec"]["selector"]["matchLabels"] != worker_labels  # not counted as a worker


def test_kustomization_lists_every_manifest():
    listed = set(load("kustomization.yaml")["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_deployment_probes_resources_termination_static_membership():
    deployment = manifests()["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert pod["terminationGracePeriodSeconds"] >= 30
    env = {e["name"]: e for e in container.get("env", [])}
    assert env["NEWS_ENRICHER_GROUP_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    config = manifests()["ConfigMap"]["data"]
    assert "/var/lib/news-enricher" in mounts  # NEWS_ENRICHER_DATA_DIR in the image must be writable
    assert container["ports"][0]["containerPort"] == int(config["NEWS_ENRICHER_HTTP_PORT"])
    assert all(k.startswith("NEWS_ENRICHER_") for k in config)


def test_service_and_servicemonitor_select_the_worker():
    docs = manifests()
    labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = docs["Service"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    monitor = docs["ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert all(service["metadata"]["labels"].get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] and endpoint["path"] == "/metrics"
    # The alert rules and the dashboard select job="news-enricher": the Service name.
    assert service["metadata"]["name"] == "news-enricher"
    pdb = docs["PodDisruptionBudget"]
    assert all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())


def test_prometheusrule_carries_exactly_the_tested_rules():
    rule = manifests()["PrometheusRule"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    alerts = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    assert rule["spec"]["groups"] == alerts["groups"]


def test_scaledobject_scales_on_lag_up_to_partition_count():
    docs = manifests()
    scaled = docs["ScaledObject"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    config = docs["ConfigMap"]["data"]
    assert scaled["spec"]["maxReplicaCount"] == int(config["NEWS_ENRICHER_TOPIC_PARTITIONS"])
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["topic"] == config["NEWS_ENRICHER_RAW_TOPIC"]
    assert meta["consumerGroup"] == config["NEWS_ENRICHER_CONSUMER_GROUP"]
    assert meta["bootstrapServers"] == config["NEWS_ENRICHER_BOOTSTRAP_SERVERS"]
    assert meta["allowIdleConsumers"] == "false"
    assert int(meta["lagThreshold"]) > 0
    # KEDA's metadata values are strings.
    assert all(isinstance(v, str) for v in meta.values())


def test_compose_stack_wires_kafka_worker_prometheus_grafana():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "worker", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert services["worker"]["build"]["dockerfile"] == "Dockerfile"
    assert (ROOT / "deploy" / services["worker"]["build"]["context"] / "Dockerfile").is_file()
    assert services["worker"]["environment"]["NEWS_ENRICHER_BOOTSTRAP_SERVERS"] == "kafka:9092"
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            assert (ROOT / "deploy" / source).exists(), f"{name} mounts a missing {source}"
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"worker:{services['worker']['environment']['NEWS_ENRICHER_HTTP_PORT']}"]
    # trending counted by its own service, not in the worker
    assert services["worker"]["environment"]["NEWS_ENRICHER_TRENDING_IN_WORKER"] == "false"
    assert services["trending"]["entrypoint"][-2:] == ["news-enricher", "trending"]
    trending_targets = scrape["scrape_configs"][1]["static_configs"][0]["targets"]
    assert trending_targets == [f"trending:{services['trending']['environment']['NEWS_ENRICHER_HTTP_PORT']}"]


def test_dashboard_structure_and_metric_names_exist():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "news-enricher.json").read_text())
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"].lower() for p in panels)
    for topic in ("throughput", "latency", "dead letters", "lag", "language", "top entities"):
        assert topic in titles, topic
    exprs = [t["expr"] for p in panels if p["datasource"]["type"] == "prometheus" for t in p["targets"]]
    alerts = (ROOT / "deploy" / "prometheus" / "alerts.yml").read_text()
    used = set(re.findall(r"\bnews_enricher_[a-z_]+", " ".join(exprs) + alerts))
    from prometheus_client import REGISTRY

    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",), "info": ("_info",)}
    exported = set()
    for family in REGISTRY.collect():  # labelled metrics have no samples before first use
        exported.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
    exported |= {f.name for f in metrics.WorkerStateCollector().describe()}
    unknown = {name for name in used if name not in exported}
    assert not unknown, f"dashboard/alerts use metrics the service does not export: {unknown}"
    provisioning = yaml.safe_load((ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text())
    uids = {d["uid"] for d in provisioning["datasources"]}
    for panel in panels:
        uid = panel["datasource"]["uid"]
        assert uid in uids or uid == "${datasource}", panel["title"]
