#!/usr/bin/env bash
# Runs musicbot_bench_redis and redis-benchmark against one throwaway
# redis-server (loopback, free port, no persistence) and prints the ratios.
#
#   bench/redis/run_redis_bench.sh [path/to/musicbot_bench_redis]
#
# Default binary: ${MUSICBOT_BUILD_DIR:-build}/bench/redis/musicbot_bench_redis
# (use a Release build). Needs redis-server, redis-cli and redis-benchmark
# (redis-tools).
#
# How the comparison is kept fair:
# - one server, started here, for both sides; the two sides run one after
#   the other, never at the same time, depth by depth (so machine load
#   drifts as little as possible between the two numbers of a ratio), in
#   REDIS_BENCH_ROUNDS (3) interleaved rounds whose medians are printed;
# - the same pipeline depth N and one connection on both sides:
#   musicbot keeps N decisions (or INCRs) in flight on its one connection,
#   `redis-benchmark -P N -c 1` keeps N INCRs in flight on its one;
# - redis-benchmark's INCR hits one key ("counter:__rand_int__" unexpanded).
#   BM_redis_limiter_decisions_one_key decides for one key too;
#   BM_redis_limiter_decisions spreads over 10,000 users (a realistic bot),
#   compared with `-r 10000` INCR over 10,000 keys;
# - Redis' own cost is read from INFO commandstats (usec_per_call, reset
#   before each run): server time per decision vs per INCR, which the load
#   of the machine affects much less than wall-clock rates.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-${MUSICBOT_BUILD_DIR:-$root/build}/bench/redis/musicbot_bench_redis}
requests=${REDIS_BENCH_REQUESTS:-200000}
min_time=${REDIS_BENCH_MIN_TIME:-0.5}
rounds=${REDIS_BENCH_ROUNDS:-3}

[ -x "$bench" ] || { echo "run_redis_bench: no benchmark binary at $bench" >&2; exit 1; }

. "$here/throwaway_redis.sh"
start_throwaway_redis run_redis_bench --maxclients 2000
cli() { redis-cli -p "$port" "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port, $(nproc) CPUs, load $(load)"
echo "(a shared, noisy machine: compare the ratios of one row, not absolutes)"

# Runs one of our benchmarks; prints items_per_second.
ours() {
  "$bench" --benchmark_filter="^$1/real_time\$" --benchmark_min_time="$min_time" --benchmark_format=csv \
    2>"$dir/ours.err" | awk -F, -v n="\"$1/real_time\"" '$1 == n { gsub(/"/, "", $7); print $7 }' ||
    { cat "$dir/ours.err" >&2; exit 1; }
}
# usec_per_call of a command from INFO commandstats.
usec() { cli info commandstats | tr -d '\r' | awk -F'[=,]' -v c="cmdstat_$1:calls" '$1 == c { print $6 }'; }
# redis-benchmark requests per second (column 2 of its CSV line).
# Requests scale with the depth (a depth-1 run is round-trip bound: fewer).
rb() {
  local n=$((requests * depth / 64))
  [ "$n" -ge 20000 ] || n=20000
  redis-benchmark -p "$port" -n "$n" --csv "$@" 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"'
}

# The limiter's one-scope script (the first in the source), for
# redis-benchmark (one decision per EVALSHA).
gcra=$(awk '/R"lua\(/ { on = 1; next } on && /\)lua"/ { exit } on' "$root/src/redis/rate_limiter.cpp")
gcra_sha=$(cli script load "$gcra")
noop_sha=$(cli script load "return 1")

printf '\n%-5s %10s %10s %10s | %10s %10s %10s %10s | %8s %8s %8s | %9s %9s %6s\n' \
  depth lim/s lim1key/s incr/s rb-incr/s rb-incr-r/s rb-noop/s rb-gcra/s \
  lim/rb 1key/rb incr/rb srv-us/dec srv-us/incr load1
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for depth in 1 16 64; do
  # `rounds` interleaved rounds of every measurement; the medians are printed.
  lim=() one=() inc=() c1=() r1=() noop=() g=() lim_us=() inc_us=()
  for _ in $(seq 1 "$rounds"); do
    cli config resetstat >/dev/null
    lim+=("$(ours "BM_redis_limiter_decisions/pipeline:$depth")")
    lim_us+=("$(usec evalsha)")
    c1+=("$(rb -t incr -P "$depth" -c 1)")
    one+=("$(ours "BM_redis_limiter_decisions_one_key/pipeline:$depth")")
    r1+=("$(rb -P "$depth" -c 1 -r 10000 incr "counter:__rand_int__")")
    cli config resetstat >/dev/null
    inc+=("$(ours "BM_redis_incr/pipeline:$depth")")
    inc_us+=("$(usec incr)")
    noop+=("$(rb -P "$depth" -c 1 evalsha "$noop_sha" 0)")
    g+=("$(rb -P "$depth" -c 1 -r 10000 evalsha "$gcra_sha" 1 "rb:user:1000000" 1 1 1000000 "42:__rand_int__:play")")
  done
  lim=$(median "${lim[@]}") one=$(median "${one[@]}") inc=$(median "${inc[@]}") c1=$(median "${c1[@]}")
  r1=$(median "${r1[@]}") noop=$(median "${noop[@]}") g=$(median "${g[@]}")
  lim_us=$(median "${lim_us[@]}") inc_us=$(median "${inc_us[@]}")
  # Our limiter sends the `depth` decisions of one iteration as one EVALSHA:
  # server time per decision = usec_per_call / depth.
  awk -v d="$depth" -v l="$lim" -v o="$one" -v i="$inc" -v a="$c1" -v r="$r1" -v n="$noop" -v g="$g" \
      -v lu="$lim_us" -v iu="$inc_us" -v ld="$(load | cut -d' ' -f1)" 'BEGIN {
    printf "%-5s %10.0f %10.0f %10.0f | %10.0f %10.0f %10.0f %10.0f | %7.0f%% %7.0f%% %7.0f%% | %9.2f %9.2f %6s\n",
      d, l, o, i, a, r, n, g, 100*l/a, 100*o/a, 100*i/a, lu/d, iu, ld }'
done
cat <<'LEGEND'
lim = BM_redis_limiter_decisions (10,000 users), lim1key = ..._one_key, incr = BM_redis_incr
(all through musicbot::redis, one connection, N in flight); rb-* = redis-benchmark -P N -c 1:
INCR on one key, INCR over 10,000 keys (-r), EVALSHA "return 1", and the limiter's own script
with one decision per call. srv-us = Redis' time per decision (EVALSHA usec_per_call / N) and
per INCR, from INFO commandstats. Medians of the interleaved rounds.
LEGEND

echo
echo "Decision latency, 1,000 concurrent callers (load $(load)):"
"$bench" --benchmark_filter='latency' 2>&1 | grep -E '^BM_'
echo "Baseline on the same server: redis-benchmark INCR latency (ms: avg, min, p50, p95, p99, max)"
for c in 1 1000; do
  printf '  -c %-5s %s\n' "$c" "$(redis-benchmark -p "$port" -t incr -c "$c" -n 100000 --csv 2>/dev/null | tail -1 | cut -d, -f3- | tr -d '"')"
done
echo "load at the end: $(load)"
