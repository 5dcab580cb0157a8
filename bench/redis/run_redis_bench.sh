#!/usr/bin/env bash
# Runs musicbot_bench_redis and redis-benchmark against one throwaway
# redis-server (loopback, free port, no persistence) and prints the ratios.
#
#   bench/redis/run_redis_bench.sh [path/to/musicbot_bench_redis]
#
# Default binary: ${MUSICBOT_BUILD_DIR:-build}/bench/redis/musicbot_bench_redis
# (use a Release build). Needs redis-server and redis-benchmark (redis-tools).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-${MUSICBOT_BUILD_DIR:-$root/build}/bench/redis/musicbot_bench_redis}
requests=${REDIS_BENCH_REQUESTS:-300000}

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "run_redis_bench: $tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[ -x "$bench" ] || { echo "run_redis_bench: no benchmark binary at $bench" >&2; exit 1; }

dir=$(mktemp -d /tmp/musicbot-redis-bench-XXXXXX)
port=""
cleanup() {
  if [ -n "$port" ]; then redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# A free port: try a few random ones.
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 30000))
  if ! redis-cli -p "$candidate" ping >/dev/null 2>&1; then
    if redis-server --port "$candidate" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
         --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"; then
      for _ in $(seq 1 100); do
        if redis-cli -p "$candidate" ping 2>/dev/null | grep -q PONG; then port=$candidate; break; fi
        sleep 0.05
      done
      [ -n "$port" ] && break
    fi
  fi
done
[ -n "$port" ] || { echo "run_redis_bench: could not start redis-server" >&2; exit 1; }
echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port (machine is shared and noisy: compare ratios, not absolutes)"

export MUSICBOT_REDIS_URL="redis://127.0.0.1:$port/0"
"$bench" --benchmark_filter='pipeline' --benchmark_min_time=1 --benchmark_format=csv \
  >"$dir/ours.csv" 2>"$dir/ours.err" || { cat "$dir/ours.err" >&2; exit 1; }
"$bench" --benchmark_filter='latency' 2>&1 | grep -E 'BM_|Benchmark|---'

# items_per_second of a benchmark name from the CSV (column 7).
ours() { awk -F, -v n="\"$1\"" '$1 == n { gsub(/"/, "", $7); print $7 }' "$dir/ours.csv"; }
# requests per second of redis-benchmark INCR.
rb() {
  redis-benchmark -p "$port" -t incr -P "$1" -c "$2" -n "$requests" --csv 2>/dev/null |
    awk -F, '/INCR/ { gsub(/"/, "", $2); print $2 }'
}

# Redis' own ceiling for scripts: EVALSHA of `return 1`, one connection.
trivial=$(redis-cli -p "$port" script load "return 1")
rb_script() {
  redis-benchmark -p "$port" -P "$1" -c 1 -n "$requests" --csv evalsha "$trivial" 0 2>/dev/null |
    awk -F, 'NR > 1 { gsub(/"/, "", $2); print $2; exit }'
}

echo
echo "limiter = BM_redis_limiter_decisions, incr = BM_redis_incr (both through musicbot::redis, one connection)"
echo "rb-incr-cN = redis-benchmark -t incr -P depth -c N; rb-eval1 = redis-benchmark EVALSHA 'return 1' -P depth -c 1"
printf '%-6s %11s %11s %13s %13s %11s %10s %10s %10s %10s\n' depth limiter/s incr/s rb-incr-c1/s rb-incr-c50/s rb-eval1/s \
  lim/rb-c1 lim/rb-c50 lim/incr incr/rb-c1
for depth in 1 16 64; do
  lim=$(ours "BM_redis_limiter_decisions/pipeline:$depth/real_time")
  inc=$(ours "BM_redis_incr/pipeline:$depth/real_time")
  c1=$(rb "$depth" 1)
  c50=$(rb "$depth" 50)
  ev=$(rb_script "$depth")
  awk -v d="$depth" -v l="$lim" -v i="$inc" -v a="$c1" -v b="$c50" -v e="$ev" 'BEGIN {
    printf "%-6s %11.0f %11.0f %13.0f %13.0f %11.0f %9.0f%% %9.0f%% %9.0f%% %9.0f%%\n",
      d, l, i, a, b, e, 100*l/a, 100*l/b, 100*l/i, 100*i/a }'
done
