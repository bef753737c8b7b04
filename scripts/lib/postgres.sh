# Functions that start a private PostgreSQL cluster for development and tests.
# Source this file; it defines jq_postgres_start and jq_postgres_stop.

jq_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Prints the bin directory of the newest installed PostgreSQL, installing it with apt when
# none is installed.
jq_postgres_bindir() {
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
        echo "PostgreSQL is not installed; installing it with apt-get." >&2
        local sudo=""
        [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
        bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    fi
    [[ -x "$bindir/initdb" ]] || { echo "initdb not found after installing PostgreSQL." >&2; return 1; }
    echo "$bindir"
}

# Runs a command as the cluster's owner: the current user, or 'postgres' when running as
# root, because PostgreSQL refuses to run as root.
jq_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Prints the data directory for cluster NAME: under .data/ in the repository, unless the
# 'postgres' user cannot reach that folder (a checkout under /root, say), then under /tmp.
jq_postgres_datadir() {
    local name="$1"; local dir="$jq_root/.data/$name"
    mkdir -p "$jq_root/.data"
    if [[ "$(id -u)" -eq 0 ]] && ! runuser -u postgres -- test -x "$jq_root/.data"; then
        dir="/tmp/jobqueue-$(echo -n "$jq_root" | md5sum | cut -c1-8)/$name"
    fi
    echo "$dir"
}

# jq_postgres_start NAME PORT [SETTING...]: initialises cluster NAME on first use, starts it
# on 127.0.0.1:PORT unless it already runs, and creates the database 'jobqueue'. Extra
# arguments are server settings such as "fsync=off".
jq_postgres_start() {
    local name="$1" port="$2"
    shift 2
    local bindir datadir
    bindir="$(jq_postgres_bindir)" || return 1
    datadir="$(jq_postgres_datadir "$name")"

    if [[ ! -f "$datadir/PG_VERSION" ]]; then
        mkdir -p "$datadir"
        [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$datadir" "$(dirname "$datadir")"
        chmod 700 "$datadir"
        echo "Creating PostgreSQL cluster in $datadir" >&2
        jq_as_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null || return 1
    fi

    if ! jq_as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
        local options="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$datadir -c max_connections=300"
        local setting
        for setting in "$@"; do
            options+=" -c $setting"
        done
        echo "Starting PostgreSQL on 127.0.0.1:$port" >&2
        jq_as_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -o "$options" -w -t 60 start >/dev/null \
            || { tail -n 20 "$datadir/server.log" >&2; return 1; }
    fi

    if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'jobqueue'" | grep -q 1; then
        "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE jobqueue" >/dev/null
    fi
}

# jq_postgres_running NAME: succeeds when cluster NAME exists and its server runs.
jq_postgres_running() {
    local name="$1"
    local bindir datadir
    bindir="$(jq_postgres_bindir)" || return 1
    datadir="$(jq_postgres_datadir "$name")"
    [[ -f "$datadir/PG_VERSION" ]] && jq_as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

# jq_postgres_stop NAME: stops cluster NAME if it runs.
jq_postgres_stop() {
    local name="$1" bindir datadir
    bindir="$(jq_postgres_bindir)" || return 1
    datadir="$(jq_postgres_datadir "$name")"
    if [[ -f "$datadir/PG_VERSION" ]]; then
        jq_as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
