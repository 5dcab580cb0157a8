#!/usr/bin/env bash
# A/B of two builds of musicbot_bench_redis (e.g. before and after a change
# to the limiter) against one throwaway redis-server, with redis-benchmark's
# INCR as the common baseline, run one after the other at the same moment.
#
#   bench/redis/ab_redis_bench.sh <old musicbot_bench_redis> <new musicbot_bench_redis> [rounds]
#
# An old build: git archive <commit> | tar -x -C /tmp/old, then configure it
# with -DCMAKE_BUILD_TYPE=Release -DMUSICBOT_COMPONENTS="core;redis" and build
# the musicbot_bench_redis target. AB_MIN_TIME (1 s) sets each measurement's
# --benchmark_min_time. Prints, per depth and round, both limiters' decisions
# per second (10,000 users) and their ratios to redis-benchmark's INCR, and
# the same ratios for the one-key variant.
set -euo pipefail

old=${1:?usage: ab_redis_bench.sh <old bench binary> <new bench binary> [rounds]}
new=${2:?usage: ab_redis_bench.sh <old bench binary> <new bench binary> [rounds]}
rounds=${3:-3}
min_time=${AB_MIN_TIME:-1}
for b in "$old" "$new"; do [ -x "$b" ] || { echo "ab_redis_bench: no benchmark binary at $b" >&2; exit 1; }; done

. "$(cd "$(dirname "$0")" && pwd)/throwaway_redis.sh"
start_throwaway_redis ab_redis_bench
echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port, $(nproc) CPUs"

# items_per_second of one benchmark of one binary.
one() {
  "$1" --benchmark_filter="^$2/real_time\$" --benchmark_min_time="$min_time" --benchmark_format=csv 2>/dev/null |
    awk -F, -v n="\"$2/real_time\"" '$1 == n { print $7 }'
}
for d in 1 16 64; do
  for _ in $(seq 1 "$rounds"); do
    redis-cli -p "$port" flushall >/dev/null
    o=$(one "$old" "BM_redis_limiter_decisions/pipeline:$d")
    n=$(one "$new" "BM_redis_limiter_decisions/pipeline:$d")
    rb=$(redis-benchmark -p "$port" -P "$d" -c 1 -n $((d == 1 ? 20000 : 200000)) -t incr --csv 2>/dev/null |
         tail -1 | cut -d, -f2 | tr -d '"')
    o1=$(one "$old" "BM_redis_limiter_decisions_one_key/pipeline:$d")
    n1=$(one "$new" "BM_redis_limiter_decisions_one_key/pipeline:$d")
    awk -v d="$d" -v o="$o" -v n="$n" -v rb="$rb" -v o1="$o1" -v n1="$n1" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      printf "depth %-3s old %8.0f new %8.0f rb-incr %8.0f | old/rb %4.0f%% new/rb %4.0f%% | one key: old/rb %4.0f%% new/rb %4.0f%% | load %s\n",
        d, o, n, rb, 100 * o / rb, 100 * n / rb, 100 * o1 / rb, 100 * n1 / rb, l }'
  done
done
