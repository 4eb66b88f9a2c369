#!/usr/bin/env bash
# A throwaway PostgreSQL cluster from Debian's packages, on loopback, in a temp
# directory, for running the repository suite against an external server.
#   external-postgres.sh start DIR   → prints the superuser connection URL
#   external-postgres.sh stop DIR    → stops the server and removes DIR
#   external-postgres.sh kill DIR    → SIGKILLs the postmaster (a crash, for outage tests); DIR stays
#   external-postgres.sh restart DIR → starts the server again on the same port (after kill)
set -euo pipefail

action=${1:?start|stop}
dir=${2:?directory}

bindir=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# True while the process runs (a zombie, exited but not yet reaped, does not count).
running() {
  [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"
}

# Waits (up to 30 s) until no process works in the cluster folder: the orphaned backends of a killed postmaster
# exit once they notice, and a new postmaster refuses to start while they hold the old shared memory.
wait_cluster_idle() {
  local target
  target=$(realpath "$dir/data")
  for _ in $(seq 1 300); do
    local busy=0
    for cwd in /proc/[0-9]*/cwd; do
      if [ "$(readlink "$cwd" 2>/dev/null)" = "$target" ]; then busy=1 && break; fi
    done
    [ "$busy" -eq 0 ] && return 0
    sleep 0.1
  done
  echo "processes still work in $target" >&2
  return 1
}

start_server() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $1 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200" start >/dev/null
}

case "$action" in
start)
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pwfile"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
  rm -f "$dir/pwfile"
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "$port" >"$dir/port"
  start_server "$port"
  echo "postgresql://postgres:${password}@127.0.0.1:${port}/postgres"
  ;;
kill)
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  kill -KILL "$pid"
  for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
  ;;
restart)
  wait_cluster_idle
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  # The dead postmaster's lock files: PostgreSQL would take a zombie (not yet reaped) for a live server.
  if [ -n "$pid" ] && ! running "$pid"; then rm -f "$dir/data/postmaster.pid" "$dir/.s.PGSQL.$(cat "$dir/port").lock"; fi
  start_server "$(cat "$dir/port")"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop|kill|restart DIR" >&2
  exit 2
  ;;
esac
