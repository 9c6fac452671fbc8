#!/usr/bin/env bash
# Private PostgreSQL and Redis servers for meterd's development and tests.
#
# Usage: scripts/services.sh start|stop|status|env [postgres|redis]
#
#   start   start both servers (or the one named), reusing any already
#           running from this state directory; wait until they accept
#           connections; create role and database "meterd".
#   stop    stop both servers (or the one named) cleanly.
#   status  print each server's state; exit 0 only if all named are running.
#   env     print `export METERD_...` lines for the running servers (also
#           written to $STATE/env). Use: eval "$(scripts/services.sh env)"
#
# Everything lives under the state directory, by default
# $REPO/.build-services (override with METERD_SERVICES_DIR). Both servers
# listen on 127.0.0.1 only. Ports: METERD_POSTGRES_PORT (default 55432),
# METERD_REDIS_PORT (default 56379); when a default port is taken by some
# other process the next free port above it is used. Start-up timeout:
# METERD_SERVICES_TIMEOUT seconds (default 60).
#
# PostgreSQL refuses to run as root: when this script runs as root, initdb,
# pg_ctl and the server run as the `postgres` system user, which owns the
# data directory. Run as any other user, they run as that user.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DEFAULT_PG_PORT=55432
DEFAULT_REDIS_PORT=56379
TIMEOUT=${METERD_SERVICES_TIMEOUT:-60}
PG_SYSTEM_USER=postgres
DB_NAME=meterd
DB_ROLE=meterd

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

usage() {
    # The header comment, up to the first line that is not a comment.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
}

# ---------------------------------------------------------------- state dir

is_root() { ((EUID == 0)); }

# Can the postgres system user reach (traverse into) this directory?
pg_user_can_reach() {
    (cd / && runuser -u "$PG_SYSTEM_USER" -- test -x "$1") 2>/dev/null
}

resolve_state_dir() {
    if [[ -n "${METERD_SERVICES_DIR:-}" ]]; then
        mkdir -p "$METERD_SERVICES_DIR"
        STATE=$(cd "$METERD_SERVICES_DIR" && pwd -P)
    else
        STATE=$REPO/.build-services
        # As root, the postgres user must be able to traverse to the data
        # directory. A clone under a private directory (e.g. /root, mode 700)
        # does not allow that: fall back to a directory in /tmp named after
        # the repository path.
        if is_root && id "$PG_SYSTEM_USER" >/dev/null 2>&1 && ! pg_user_can_reach "$REPO"; then
            local sum
            sum=$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
            STATE=/tmp/meterd-services-$sum
            log "note: user $PG_SYSTEM_USER cannot reach $REPO; using state directory $STATE"
        fi
        mkdir -p "$STATE"
    fi
    chmod 0755 "$STATE"
    PG_DIR=$STATE/postgres
    PGDATA_DIR=$PG_DIR/data
    PG_SOCKET_DIR=$PG_DIR/run
    PG_LOG=$PG_DIR/postgres.log
    REDIS_DIR=$STATE/redis
    REDIS_CONF=$REDIS_DIR/redis.conf
    REDIS_PIDFILE=$REDIS_DIR/redis.pid
    REDIS_LOG=$REDIS_DIR/redis.log
    REDIS_PORT_FILE=$REDIS_DIR/port
    ENV_FILE=$STATE/env
}

# One services.sh at a time per state directory (start/stop race otherwise).
take_lock() {
    exec 9>"$STATE/.lock"
    if ! flock -w "$TIMEOUT" 9; then
        die "another services.sh holds $STATE/.lock for more than ${TIMEOUT}s"
    fi
}

# ------------------------------------------------------------------ helpers

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# choose_port VAR DEFAULT NAME: an explicitly set port must be free; the
# default port is replaced by the next free one when taken.
choose_port() {
    local var=$1 default=$2 name=$3 port
    if [[ -n "${!var:-}" ]]; then
        port=${!var}
        if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
            die "$var=$port is not a port number"
        fi
        if port_in_use "$port"; then
            die "$name: port $port ($var) is already in use by another process"
        fi
        printf '%s\n' "$port"
        return
    fi
    for ((port = default; port < default + 50; port++)); do
        if ! port_in_use "$port"; then
            if ((port != default)); then
                log "$name: port $default is in use by another process; using $port"
            fi
            printf '%s\n' "$port"
            return
        fi
    done
    die "$name: ports $default..$((default + 49)) are all in use; set $var"
}

# True when the process exists and is not a zombie waiting to be reaped.
pid_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

tail_log() {
    local file=$1
    if [[ -r "$file" ]]; then
        printf -- '--- last lines of %s ---\n' "$file" >&2
        tail -n 30 "$file" >&2 || true
        printf -- '--- end of %s ---\n' "$file" >&2
    else
        printf 'services: (no log at %s)\n' "$file" >&2
    fi
}

# --------------------------------------------------------------- PostgreSQL

pg_bindir() {
    if [[ -n "${METERD_PG_BINDIR:-}" ]]; then
        printf '%s\n' "$METERD_PG_BINDIR"
        return
    fi
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    if [[ -z "$dir" || ! -x "$dir/pg_ctl" ]]; then
        die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; run scripts/install-deps.sh (as root)"
    fi
    printf '%s\n' "$dir"
}

# Run a command as the PostgreSQL owner, from a directory it can read.
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_SYSTEM_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

pg_running() {
    [[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

# Port of the running server, from line 4 of postmaster.pid.
pg_running_port() {
    sed -n '4p' "$PGDATA_DIR/postmaster.pid" 2>/dev/null
}

pg_port() {
    if pg_running; then
        pg_running_port
    else
        printf '%s\n' "${METERD_POSTGRES_PORT:-$DEFAULT_PG_PORT}"
    fi
}

timescaledb_available() {
    local libdir
    libdir=$("$PGBIN/pg_config" --pkglibdir 2>/dev/null) || return 1
    [[ -e "$libdir/timescaledb.so" ]]
}

pg_write_config() {
    local port=$1 socket_dirs
    # A Unix socket path is limited to 107 bytes; past that, TCP only.
    if ((${#PG_SOCKET_DIR} + 18 <= 107)); then
        socket_dirs=$PG_SOCKET_DIR
    else
        socket_dirs=
        log "postgres: state path too long for a Unix socket; TCP only"
    fi
    {
        echo "# Written by scripts/services.sh at every start; edits here are lost."
        echo "# Put your own settings in postgresql.auto.conf (ALTER SYSTEM), read after this file."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$socket_dirs'"
        echo "fsync = on"
        echo "full_page_writes = on"
        echo "synchronous_commit = on"
        echo "timezone = 'UTC'"
        echo "log_timezone = 'UTC'"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if timescaledb_available; then
            echo "shared_preload_libraries = 'timescaledb'"
            echo "timescaledb.telemetry_level = off"
        fi
    } >"$PGDATA_DIR/meterd.conf"
    if is_root; then
        chown "$PG_SYSTEM_USER:" "$PGDATA_DIR/meterd.conf"
    fi
    chmod 0600 "$PGDATA_DIR/meterd.conf"
}

pg_init() {
    mkdir -p "$PG_DIR"
    if is_root; then
        id "$PG_SYSTEM_USER" >/dev/null 2>&1 || die "system user $PG_SYSTEM_USER does not exist; run scripts/install-deps.sh"
        pg_user_can_reach "$STATE" || die "user $PG_SYSTEM_USER cannot reach $STATE; set METERD_SERVICES_DIR to a directory it can reach"
        chown "$PG_SYSTEM_USER:" "$PG_DIR"
    fi
    chmod 0755 "$PG_DIR"
    as_pg mkdir -p "$PG_SOCKET_DIR"
    if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
        log "postgres: initdb $PGDATA_DIR"
        rm -rf "$PGDATA_DIR"
        if ! as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C --no-instructions >"$STATE/initdb.log" 2>&1; then
            tail_log "$STATE/initdb.log"
            die "postgres: initdb failed"
        fi
        echo "include_if_exists = 'meterd.conf'" | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
    fi
}

pg_wait_ready() {
    local port=$1 deadline=$((SECONDS + TIMEOUT))
    until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 2; do
        if ((SECONDS >= deadline)); then
            tail_log "$PG_LOG"
            die "postgres: not accepting connections on 127.0.0.1:$port after ${TIMEOUT}s"
        fi
        sleep 0.2
    done
}

pg_psql() {
    local port=$1
    shift
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

pg_create_role_and_db() {
    local port=$1
    pg_psql "$port" -d postgres >/dev/null <<SQL
SELECT 'CREATE ROLE $DB_ROLE LOGIN CREATEDB'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE')\\gexec
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')\\gexec
SQL
    if timescaledb_available; then
        pg_psql "$port" -d "$DB_NAME" -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' >/dev/null
    fi
}

pg_start() {
    local port
    if pg_running; then
        port=$(pg_running_port)
        log "postgres: already running on 127.0.0.1:$port (pid $(head -n 1 "$PGDATA_DIR/postmaster.pid"))"
    else
        pg_init
        port=$(choose_port METERD_POSTGRES_PORT "$DEFAULT_PG_PORT" postgres)
        pg_write_config "$port"
        log "postgres: starting on 127.0.0.1:$port (log: $PG_LOG)"
        if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$TIMEOUT" -s start </dev/null 9>&-; then
            tail_log "$PG_LOG"
            die "postgres: pg_ctl start failed"
        fi
    fi
    pg_wait_ready "$port"
    pg_create_role_and_db "$port"
    log "postgres: ready"
}

pg_stop() {
    if ! pg_running; then
        log "postgres: not running"
        return 0
    fi
    log "postgres: stopping"
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t "$TIMEOUT" -s stop; then
        log "postgres: fast shutdown timed out; immediate shutdown"
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t "$TIMEOUT" -s stop || {
            tail_log "$PG_LOG"
            die "postgres: could not stop"
        }
    fi
    log "postgres: stopped"
}

pg_status() {
    if pg_running; then
        echo "postgres: running on 127.0.0.1:$(pg_running_port), data $PGDATA_DIR, log $PG_LOG"
    else
        echo "postgres: stopped (data $PGDATA_DIR)"
        return 1
    fi
}

# -------------------------------------------------------------------- Redis

redis_pid() {
    local pid
    [[ -f "$REDIS_PIDFILE" ]] || return 1
    pid=$(head -n 1 "$REDIS_PIDFILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    pid_alive "$pid" || return 1
    # Guard against a stale pidfile whose pid was reused by another program.
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
    printf '%s\n' "$pid"
}

redis_running() { redis_pid >/dev/null; }

redis_port() {
    if redis_running && [[ -f "$REDIS_PORT_FILE" ]]; then
        cat "$REDIS_PORT_FILE"
    else
        printf '%s\n' "${METERD_REDIS_PORT:-$DEFAULT_REDIS_PORT}"
    fi
}

redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

redis_start() {
    local port deadline
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found; run scripts/install-deps.sh (as root)"
    if redis_running; then
        port=$(cat "$REDIS_PORT_FILE")
        log "redis: already running on 127.0.0.1:$port (pid $(redis_pid))"
    else
        mkdir -p "$REDIS_DIR"
        rm -f "$REDIS_PIDFILE"
        port=$(choose_port METERD_REDIS_PORT "$DEFAULT_REDIS_PORT" redis)
        cat >"$REDIS_CONF" <<EOF
# Written by scripts/services.sh at every start; edits here are lost.
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
supervised no
pidfile "$REDIS_PIDFILE"
logfile "$REDIS_LOG"
dir "$REDIS_DIR"
save ""
appendonly no
EOF
        printf '%s\n' "$port" >"$REDIS_PORT_FILE"
        log "redis: starting on 127.0.0.1:$port (log: $REDIS_LOG)"
        if ! redis-server "$REDIS_CONF" </dev/null >"$REDIS_DIR/startup.out" 2>&1 9>&-; then
            tail_log "$REDIS_DIR/startup.out"
            tail_log "$REDIS_LOG"
            die "redis: redis-server failed to start"
        fi
    fi
    deadline=$((SECONDS + TIMEOUT))
    until redis_ping "$port"; do
        if ((SECONDS >= deadline)); then
            tail_log "$REDIS_LOG"
            die "redis: no PONG from 127.0.0.1:$port after ${TIMEOUT}s"
        fi
        sleep 0.1
    done
    log "redis: ready"
}

redis_stop() {
    local pid port deadline
    if ! pid=$(redis_pid); then
        log "redis: not running"
        rm -f "$REDIS_PIDFILE"
        return 0
    fi
    port=$(cat "$REDIS_PORT_FILE" 2>/dev/null || echo "$DEFAULT_REDIS_PORT")
    log "redis: stopping"
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + TIMEOUT))
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "redis: did not exit after ${TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$REDIS_PIDFILE"
    log "redis: stopped"
}

redis_status() {
    local pid
    if pid=$(redis_pid); then
        echo "redis: running on 127.0.0.1:$(cat "$REDIS_PORT_FILE") (pid $pid), log $REDIS_LOG"
    else
        echo "redis: stopped"
        return 1
    fi
}

# ---------------------------------------------------------------------- env

print_env() {
    local pg_port redis_port
    pg_port=$(pg_port)
    redis_port=$(redis_port)
    {
        printf 'export METERD_SERVICES_DIR=%q\n' "$STATE"
        printf 'export METERD_POSTGRES_URL=postgresql://%s@127.0.0.1:%s/%s\n' "$DB_ROLE" "$pg_port" "$DB_NAME"
        printf 'export METERD_REDIS_URL=redis://127.0.0.1:%s\n' "$redis_port"
    } >"$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
    cat "$ENV_FILE"
}

# --------------------------------------------------------------------- main

main() {
    local cmd=${1:-} which=${2:-all}
    case "$cmd" in
        start|stop|status|env) ;;
        *) usage ;;
    esac
    case "$which" in
        all|postgres|redis) ;;
        *) usage ;;
    esac
    (($# <= 2)) || usage

    resolve_state_dir
    PGBIN=
    if [[ "$which" != redis ]]; then
        PGBIN=$(pg_bindir)
    fi

    case "$cmd" in
        start)
            take_lock
            if [[ "$which" != redis ]]; then pg_start; fi
            if [[ "$which" != postgres ]]; then redis_start; fi
            if [[ "$which" == all ]]; then print_env >/dev/null; fi
            ;;
        stop)
            take_lock
            if [[ "$which" != redis ]]; then pg_stop; fi
            if [[ "$which" != postgres ]]; then redis_stop; fi
            ;;
        status)
            local rc=0
            if [[ "$which" != redis ]]; then pg_status || rc=1; fi
            if [[ "$which" != postgres ]]; then redis_status || rc=1; fi
            return "$rc"
            ;;
        env)
            [[ "$which" == all ]] || usage
            if ! pg_running || ! redis_running; then
                log "note: not all services are running; start them with: $0 start"
            fi
            print_env
            ;;
    esac
}

main "$@"
