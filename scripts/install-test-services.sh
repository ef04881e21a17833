#!/usr/bin/env bash
# Installs what the serve, publish and OWL reasoner tests need beyond the Python package: a headless
# browser (chromium, chromium-driver), a Virtuoso triple store, Java for the HermiT OWL reasoner
# that owlready2 ships (Debian packages), and the Oxigraph server (PyPI, into the project's
# .venv through the `services` extra).
# Run as root on Debian; CI runs it before `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
# Packages must not start their own daemons (Virtuoso would listen on its default ports
# on every interface): the tests start their own store on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

apt-get update -q
apt-get install -y -q --no-install-recommends virtuoso-opensource chromium chromium-driver \
  default-jre-headless

make setup
.venv/bin/pip install --quiet -e ".[test,services]"
