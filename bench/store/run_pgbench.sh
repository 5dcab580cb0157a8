#!/usr/bin/env bash
# Replace-queue TPS of musicbot::store::postgres_store next to pgbench's
# simple-update TPS, on one private PostgreSQL cluster, in one run.
#
#   bench/store/run_pgbench.sh [path/to/musicbot_bench_store] [seconds]
#
# Starts a throwaway cluster (initdb in a temp dir, 127.0.0.1, a free port,
# PostgreSQL's default durability settings), runs `pgbench -N` with 1 and 4
# clients, then the musicbot_bench_store PostgreSQL benchmarks against the
# same server, and prints TPS and the ratio ours / pgbench.
set -euo pipefail

bench=${1:-build-rel/bench/store/musicbot_bench_store}
seconds=${2:-10}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
[[ -x $bench ]] || { echo "no benchmark binary at $bench" >&2; exit 2; }
[[ -x $pgbin/pg_ctl ]] || { echo "PostgreSQL binaries not found in $pgbin" >&2; exit 2; }

dir=$(mktemp -d /tmp/musicbot-pgbench-XXXXXX)
chmod 755 "$dir"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-instructions >/dev/null
as_pg "$pgbin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/log" -w -t 60 start >/dev/null

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
"$pgbin/pgbench" -i -s 4 -q >/dev/null 2>&1

tps() { "$pgbin/pgbench" -N -n -T "$seconds" -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" 2>/dev/null |
          sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n1; }
pg1=$(tps 1)
pg4=$(tps 4)

MUSICBOT_BENCH_PG_DSN="host=127.0.0.1 port=$port user=postgres dbname=postgres" \
  "$bench" --benchmark_filter=postgres --benchmark_min_time="$seconds" \
  --benchmark_out="$dir/ours.json" --benchmark_out_format=json >/dev/null 2>&1

python3 - "$dir/ours.json" "$pg1" "$pg4" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
pg = {1: float(sys.argv[2]), 4: float(sys.argv[3])}
print(f"pgbench -N (simple update)   clients=1: {pg[1]:9.0f} tps   clients=4: {pg[4]:9.0f} tps")
for b in data["benchmarks"]:
    name = b["name"]                       # BM_postgres_replace_queue/<tracks>/<concurrency>/real_time
    parts = name.split("/")
    tracks, conc = int(parts[1]), int(parts[2])
    ours = b.get("items_per_second", 0.0)
    print(f"replace_queue tracks={tracks:<4} concurrency={conc}: {ours:9.0f} tps   "
          f"ratio vs pgbench -N (clients={conc}): {ours / pg[conc]:.2f}")
PY
