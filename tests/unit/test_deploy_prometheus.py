"""deploy/prometheus: promtool checks the scrape config and rules and runs the rule unit tests.

promtool ships with Debian's `prometheus` package (`bash .ci/install-ops.sh`).  Missing, the
tests skip with a reason, except under CI=true where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

PROM_DIR = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool not found: run `bash .ci/install-ops.sh` (Debian package prometheus)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROM_DIR, capture_output=True, text=True, timeout=120)


def test_rules_are_valid(promtool):
    result = run(promtool, "check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_unit_tests_pass(promtool):
    result = run(promtool, "test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_is_valid(promtool):
    result = run(promtool, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test():
    import yaml

    rules = yaml.safe_load((PROM_DIR / "alerts.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    tests = yaml.safe_load((PROM_DIR / "alerts_test.yml").read_text())
    fired = {case["alertname"] for t in tests["tests"] for case in t.get("alert_rule_test", []) if case["exp_alerts"]}
    assert alerts == fired, f"alerts without a firing test: {alerts - fired}"
    required = {"NewsEnricherWorkerDown", "NewsEnricherConsumerLagGrowing", "NewsEnricherDeadLetterRate",
                "NewsEnricherErrorRate", "NewsEnricherLatencySLOBurnFast", "NewsEnricherLatencySLOBurnSlow"}
    assert required <= alerts
