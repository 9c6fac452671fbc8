#!/usr/bin/env bash
# Installs the Debian packages meterd needs to build, test and run locally.
#
# Idempotent: when every package is already installed it only asks dpkg and
# returns (well under a second). Otherwise it runs `apt-get update` and
# `apt-get install -y --no-install-recommends` for the missing ones, which
# needs root (CI runs as root).
#
# Usage: scripts/install-deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is.
set -euo pipefail

# Build: pkg-config and the C libraries behind the CLibPQ, CHiredis and
#        CSystemd system-library targets.
# Test/run: real PostgreSQL and Redis servers (scripts/services.sh), systemd's
#        systemd-socket-activate, ps/pgrep (procps), nc (netcat-openbsd) and
#        promtool (prometheus), which validates the /metrics exposition.
PACKAGES=(
    pkg-config
    libpq-dev
    libhiredis-dev
    libsystemd-dev
    postgresql
    postgresql-contrib
    redis-server
    systemd
    procps
    netcat-openbsd
    prometheus
)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install-deps: unknown argument: $1" >&2; exit 2 ;;
esac

# One dpkg-query call for all packages; "ii" means installed and configured.
missing_packages() {
    local pkg status
    for pkg in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != ii* ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: dpkg-query not found; this script supports Debian and derivatives only." >&2
    exit 1
fi

mapfile -t missing < <(missing_packages)

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PACKAGES[@]} packages present."
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if ((check_only)); then
    exit 1
fi

if ((EUID != 0)); then
    cat >&2 <<EOF
install-deps: these Debian packages are missing and installing them needs root:
    ${missing[*]}
Run once, as root:
    sudo $0
(or: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]})
EOF
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for a dpkg lock held by another apt run rather than failing at once,
# and retry flaky downloads.
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

echo "install-deps: apt-get update"
apt-get "${APT_OPTS[@]}" update -q
echo "install-deps: apt-get install ${missing[*]}"
apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}"

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]} > 0)); then
    echo "install-deps: still missing after install: ${still_missing[*]}" >&2
    exit 1
fi
echo "install-deps: done."
