#!/usr/bin/env bash
# The docker-compose.yml topology as local processes on 127.0.0.1: a private PostgreSQL server (initdb in the state
# directory, a free port) and three broker silos in cluster mode, each with its own ports and data directory.
#
#   scripts/cluster.sh up        start everything, wait until healthy, print the endpoints
#   scripts/cluster.sh status    report what runs (exit 0 all healthy, 1 degraded, 3 not running)
#   scripts/cluster.sh down      stop exactly what `up` started (pid files) and delete its files
#
# Environment:
#   ORLEANSMQ_CLUSTER_DIR    state directory (default ${TMPDIR:-/tmp}/orleansmq-cluster)
#   ORLEANSMQ_SILOS          number of brokers (default 3)
#   ORLEANSMQ_SILO_DLL       a built OrleansMq.Silo.dll to run instead of publishing Silo/ once (Release) on `up`
#   ORLEANSMQ_PG_BIN         directory of initdb/postgres (default: pg_config --bindir, else /usr/lib/postgresql/*/bin)
#   ORLEANSMQ_START_TIMEOUT  seconds to wait for PostgreSQL and for the brokers to be healthy (default 120)
#
# PostgreSQL refuses to run as root; when run as root, the server runs as the `postgres` OS user (setpriv), which the
# Debian package `postgresql` creates. See docs/cluster.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${ORLEANSMQ_CLUSTER_DIR:-${TMPDIR:-/tmp}/orleansmq-cluster}
silos=${ORLEANSMQ_SILOS:-3}
start_timeout=${ORLEANSMQ_START_TIMEOUT:-120}
cluster_id=orleansmq
used_ports=" "

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a PostgreSQL program as the right user: itself, or `postgres` when root (setpriv execs, keeping the pid).
as_pg() {
    if is_root; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

pg_bin() {
    local dir
    if [ -n "${ORLEANSMQ_PG_BIN:-}" ]; then
        [ -x "$ORLEANSMQ_PG_BIN/initdb" ] || die "ORLEANSMQ_PG_BIN=$ORLEANSMQ_PG_BIN has no initdb"
        echo "$ORLEANSMQ_PG_BIN"; return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
    die "PostgreSQL server programs (initdb, postgres) not found; install them: apt-get install postgresql (or set ORLEANSMQ_PG_BIN)"
}

# A port on 127.0.0.1 with nothing listening, below the ephemeral range, not handed out before in this run.
free_port() {
    local port
    for _ in $(seq 1 500); do
        port=$((15000 + RANDOM % 17000))
        case "$used_ports" in *" $port "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            used_ports="$used_ports$port "
            echo "$port"; return
        fi
    done
    die "no free TCP port found on 127.0.0.1"
}

# Starts a program detached from this shell (own session, output to a log) and records its pid.
launch() {
    local log=$1 pidfile=$2
    shift 2
    setsid "$@" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

# True when the pid in $1 runs and its command line mentions $2 (so a reused pid is never mistaken for ours).
ours() {
    local pid cmdline
    [ -f "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$2"* ]]
}

# Prints the HTTP status of GET /health on a local port, or nothing.
health_status() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
        printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        head -n 1 <&3 | awk '{print $2}'
    ) 2>/dev/null || true
}

stop_process() { # pidfile marker signal
    local pidfile=$1 marker=$2 signal=$3 name pid
    name=$(basename "$pidfile" .pid)
    if ! ours "$pidfile" "$marker"; then
        [ -f "$pidfile" ] && echo "  $name: not running"
        rm -f "$pidfile"
        return 0
    fi
    pid=$(cat "$pidfile")
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { echo "  $name: stopped (pid $pid)"; rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "  $name: killed after 30 s (pid $pid)"
    rm -f "$pidfile"
}

cmd_down() {
    local keep=${1:-}
    if [ ! -f "$state/cluster.env" ] && ! ls "$state"/*.pid >/dev/null 2>&1; then
        echo "cluster.sh: nothing to stop in $state"
        return 0
    fi
    echo "Stopping the OrleansMq cluster in $state"
    local pidfile
    for pidfile in "$state"/broker-*.pid; do
        [ -e "$pidfile" ] || continue
        stop_process "$pidfile" "$state/$(basename "$pidfile" .pid)" TERM
    done
    [ -e "$state/postgres.pid" ] && stop_process "$state/postgres.pid" "$state/pg/data" INT # fast shutdown
    if [ "$keep" != "--keep" ]; then
        rm -rf "$state/pg" "$state/logs" "$state/silo" "$state"/broker-* "$state/cluster.env"
        rmdir "$state" 2>/dev/null || true
    fi
}

wait_until() { # seconds command...
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.25
    done
}

# For a process this script has just launched: false while it is still between fork and exec (its command line is
# not yet the program's), fails the start once it has exited.
launched() { # pidfile marker what log lines
    kill -0 "$(cat "$1")" 2>/dev/null || {
        echo "cluster.sh: $3 exited while starting; last output:" >&2
        tail -n "$5" "$4" >&2
        exit 1
    }
    ours "$1" "$2"
}

postgres_ready() {
    launched "$state/postgres.pid" "$state/pg/data" PostgreSQL "$state/logs/postgres.log" 20 || return 1
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
}

broker_healthy() {
    local name=$1 port=$2
    launched "$state/$name.pid" "$state/$name" "$name" "$state/logs/$name.log" 30 || return 1
    [ "$(health_status "$port")" = 200 ]
}

cmd_up() {
    if [ -f "$state/cluster.env" ]; then
        for pidfile in "$state"/postgres.pid "$state"/broker-*.pid; do
            [ -e "$pidfile" ] || continue
            name=$(basename "$pidfile" .pid)
            marker="$state/$name"; [ "$name" = postgres ] && marker="$state/pg/data"
            ours "$pidfile" "$marker" && die "a cluster is already running in $state (pid $(cat "$pidfile") is $name); run: $0 down"
        done
        cmd_down >/dev/null
    fi
    case "$silos" in ''|*[!0-9]*|0) die "ORLEANSMQ_SILOS must be a positive number, not '$silos'" ;; esac

    bin=$(pg_bin)
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root, PostgreSQL must run as the 'postgres' OS user, which does not exist; apt-get install postgresql creates it"
        command -v setpriv >/dev/null || die "running as root needs setpriv (apt-get install util-linux)"
    fi
    mkdir -p "$state/pg" "$state/logs"
    trap 'rc=$?; if [ $rc -ne 0 ]; then echo "cluster.sh: start failed; stopping what was started" >&2; cmd_down >&2; fi' EXIT

    # PostgreSQL: a fresh cluster, password authentication over TCP, trust on its private Unix socket.
    local superuser app_password
    superuser=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    app_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$superuser" >"$state/pg/superuser.password"
    is_root && chown -R postgres: "$state/pg"
    as_pg test -w "$state/pg" || die "the postgres user cannot write $state/pg; choose a state directory it can reach (ORLEANSMQ_CLUSTER_DIR)"
    as_pg "$bin/initdb" -D "$state/pg/data" -U postgres -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$state/pg/superuser.password" >"$state/logs/initdb.log" 2>&1 || { cat "$state/logs/initdb.log" >&2; die "initdb failed"; }
    pg_port=$(free_port)
    local as_user=()
    is_root && as_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    (cd "$state/pg" && launch "$state/logs/postgres.log" "$state/postgres.pid" \
        ${as_user[@]+"${as_user[@]}"} "$bin/postgres" -D "$state/pg/data" -h 127.0.0.1 -p "$pg_port" -k "$state/pg")
    wait_until "$start_timeout" postgres_ready || die "PostgreSQL did not accept connections within $start_timeout s"
    as_pg "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$state/pg" -p "$pg_port" -U postgres -d postgres \
        -c "CREATE ROLE orleansmq LOGIN PASSWORD '$app_password'" -c "CREATE DATABASE orleansmq OWNER orleansmq" >/dev/null
    local connection="Host=127.0.0.1;Port=$pg_port;Database=orleansmq;Username=orleansmq;Password=$app_password"

    # The silo, built once.
    local dll=${ORLEANSMQ_SILO_DLL:-}
    if [ -z "$dll" ]; then
        echo "Publishing the silo (Release) to $state/silo"
        dotnet publish "$repo/Silo/OrleansMq.Silo.csproj" --configuration Release --output "$state/silo" --nologo -v quiet >"$state/logs/publish.log" 2>&1 \
            || { tail -n 30 "$state/logs/publish.log" >&2; die "dotnet publish failed"; }
        dll="$state/silo/OrleansMq.Silo.dll"
    fi
    [ -f "$dll" ] || die "silo assembly $dll not found"

    local gateways="" i name silo_port gateway_port http_port
    {
        echo "# Written by scripts/cluster.sh up; source it to use the cluster."
        echo "ORLEANSMQ_CONNECTION_STRING='$connection'"
        echo "ORLEANSMQ_CLUSTER_ID=$cluster_id"
        echo "ORLEANSMQ_POSTGRES_PORT=$pg_port"
        echo "ORLEANSMQ_SILOS_STARTED=$silos"
    } >"$state/cluster.env"
    for i in $(seq 1 "$silos"); do
        name="broker-$i"
        silo_port=$(free_port); gateway_port=$(free_port); http_port=$(free_port)
        mkdir -p "$state/$name"
        # The connection string goes through the environment, not the command line, so `ps` does not show the password.
        # DOTNET_TC_CallCountingDelayMs=0 as in the Dockerfile (docs/operations.md, "Runtime settings").
        launch "$state/logs/$name.log" "$state/$name.pid" env "OrleansMq__Host__ConnectionString=$connection" DOTNET_TC_CallCountingDelayMs=0 dotnet "$dll" --cluster postgres \
            --cluster-id "$cluster_id" --name "$name" --data "$state/$name" --address 127.0.0.1 \
            --silo-port "$silo_port" --gateway-port "$gateway_port" --http-port "$http_port"
        echo "BROKER_${i}_PORTS='$silo_port $gateway_port $http_port'" >>"$state/cluster.env"
        gateways="$gateways${gateways:+,}127.0.0.1:$gateway_port"
    done
    echo "ORLEANSMQ_GATEWAYS=$gateways" >>"$state/cluster.env"

    for i in $(seq 1 "$silos"); do
        read -r silo_port gateway_port http_port < <(grep "^BROKER_${i}_PORTS=" "$state/cluster.env" | cut -d"'" -f2)
        wait_until "$start_timeout" broker_healthy "broker-$i" "$http_port" \
            || { tail -n 30 "$state/logs/broker-$i.log" >&2; die "broker-$i was not healthy within $start_timeout s"; }
    done
    trap - EXIT

    echo "OrleansMq cluster is up (state in $state)"
    cmd_status
    echo "Stop it with: $0 down"
}

cmd_status() {
    if [ ! -f "$state/cluster.env" ]; then
        echo "cluster.sh: not running (no cluster in $state)"
        return 3
    fi
    # shellcheck disable=SC1091
    . "$state/cluster.env"
    local healthy=0 total=0 i name silo_port gateway_port http_port code
    if ours "$state/postgres.pid" "$state/pg/data"; then
        echo "  postgres   127.0.0.1:$ORLEANSMQ_POSTGRES_PORT  running (pid $(cat "$state/postgres.pid"))  database orleansmq, user orleansmq"
    else
        echo "  postgres   127.0.0.1:$ORLEANSMQ_POSTGRES_PORT  NOT RUNNING"
    fi
    for i in $(seq 1 "$ORLEANSMQ_SILOS_STARTED"); do
        name="broker-$i"
        total=$((total + 1))
        read -r silo_port gateway_port http_port < <(grep "^BROKER_${i}_PORTS=" "$state/cluster.env" | cut -d"'" -f2)
        if ours "$state/$name.pid" "$state/$name"; then
            code=$(health_status "$http_port")
            [ "$code" = 200 ] && healthy=$((healthy + 1))
            echo "  $name   gateway 127.0.0.1:$gateway_port  silo $silo_port  http://127.0.0.1:$http_port/dashboard/  health ${code:-none} (pid $(cat "$state/$name.pid"))"
        else
            echo "  $name   gateway 127.0.0.1:$gateway_port  NOT RUNNING (log $state/logs/$name.log)"
        fi
    done
    echo "Clients: MqClientOptions.ConnectionString = \"$ORLEANSMQ_CONNECTION_STRING\", ClusterId = \"$ORLEANSMQ_CLUSTER_ID\""
    echo "     or: MqClientOptions.Gateways = $ORLEANSMQ_GATEWAYS"
    ours "$state/postgres.pid" "$state/pg/data" && [ "$healthy" = "$total" ] && return 0
    return 1
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down "${2:-}" ;;
    status) cmd_status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
