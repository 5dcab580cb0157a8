# Sourced by the Redis benchmark scripts: one throwaway redis-server on
# loopback (random free port, no persistence), stopped and removed on exit.
#
#   . bench/redis/throwaway_redis.sh
#   start_throwaway_redis <script name> [extra redis-server arguments...]
#
# Sets `port` and `dir` (the server's directory) and exports
# MUSICBOT_REDIS_URL; exits with a message when no server starts.

port=""
dir=""

stop_throwaway_redis() {
  if [ -n "$port" ]; then redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -n "$dir" ] && [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
}

start_throwaway_redis() {
  local name=$1
  shift
  local tool candidate
  for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "$name: $tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
  done
  dir=$(mktemp -d "/tmp/musicbot-$name-XXXXXX")
  trap stop_throwaway_redis EXIT
  # A free port: try a few random ones.
  for _ in $(seq 1 20); do
    candidate=$((20000 + RANDOM % 30000))
    if ! redis-cli -p "$candidate" ping >/dev/null 2>&1 &&
       redis-server --port "$candidate" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
         --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "$@"; then
      for _ in $(seq 1 100); do
        if redis-cli -p "$candidate" ping 2>/dev/null | grep -q PONG; then port=$candidate; break; fi
        sleep 0.05
      done
      [ -n "$port" ] && break
    fi
  done
  [ -n "$port" ] || { echo "$name: could not start redis-server" >&2; exit 1; }
  export MUSICBOT_REDIS_URL="redis://127.0.0.1:$port/0"
}
