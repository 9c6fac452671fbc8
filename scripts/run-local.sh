#!/usr/bin/env bash
# Runs the meterd daemon locally against the private PostgreSQL and Redis.
#
# Usage: scripts/run-local.sh [meterd arguments...]
#
# Installs missing Debian packages (needs root the first time on a fresh
# machine), starts the private servers (scripts/services.sh start; they keep
# running after meterd exits: stop them with scripts/services.sh stop),
# builds the release daemon and replaces this shell with it. The daemon's
# own data (WAL etc.) goes to $METERD_SERVICES_DIR/data.
#
# The HTTP API needs a bearer token (docs/http-api.md "Authentication"): one is
# generated once into $METERD_SERVICES_DIR/http-token (mode 600) and passed as
# http_auth.token_file; the script prints how curl and meterctl present it.
# The shipped plan catalog (config/plans.yaml) is the plan book: subscribe a
# tenant with SQL (docs/plans.md) and its quotas are tracked (docs/quotas.md).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

echo "==> install dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh

echo "==> start PostgreSQL and Redis (scripts/services.sh start)"
scripts/services.sh start
env_lines=$(scripts/services.sh env)
eval "$env_lines"
STATE=$METERD_SERVICES_DIR
mkdir -p "$STATE/data"

TOKEN_FILE=$STATE/http-token
if [[ ! -s $TOKEN_FILE ]]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$TOKEN_FILE")
fi
echo "==> HTTP API token in $TOKEN_FILE; present it with"
echo "      curl -H \"Authorization: Bearer \$(cat $TOKEN_FILE)\" http://127.0.0.1:9125/debug/rollups?tenant=acme"
echo "      METERCTL_TOKEN=\$(cat $TOKEN_FILE) meterctl send --http http://127.0.0.1:9125 ..."

echo "==> swift build -c release --product meterd, --product meterctl"
swift build -c release --product meterd
swift build -c release --product meterctl

echo "==> exec .build/release/meterd (PostgreSQL $METERD_POSTGRES_URL, Redis $METERD_REDIS_URL)"
exec .build/release/meterd \
    --postgres "$METERD_POSTGRES_URL" \
    --redis "$METERD_REDIS_URL" \
    --data-dir "$STATE/data" \
    --set "http_auth.token_file=$TOKEN_FILE" \
    --set "plans.file=$REPO/config/plans.yaml" \
    "$@"
