#!/usr/bin/env bash
# Reproduces the stall of Spin 4.1's Redis client (redis-rs 0.32.7) under many concurrent reads, on real
# Spin: a private redis-server, `spin up` on it, 480 posts, then READERS clients pulling pages of the
# submissions feed (100 records each: about 200 single GETs, 4 at a time per page) for SECONDS. Prints the
# pages answered every 5 s with the client socket's queues (`ss -tn`: Recv-Q Send-Q), then Redis's view of
# the connection (CLIENT LIST), the health probes, and the probes of a fresh Spin process on the same Redis.
#
#   tests/redis-stall.sh SPIN_BINARY [READERS=64] [SECONDS=40]
#
# Seen with Spin 4.1.0-pre0 (README, "Storage"): 8 readers run through; 64 stall for good within seconds.
set -u
cd "$(dirname "$0")/.."
spin=${1:?usage: tests/redis-stall.sh SPIN_BINARY [READERS] [SECONDS]}
readers=${2:-64}
seconds=${3:-40}
port=3077
redis_port=6391
base="http://127.0.0.1:$port"
tmp=$(mktemp -d)
admin=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
"${REDIS_SERVER:-redis-server}" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --loglevel warning >"$tmp/redis.log" 2>&1 &
redis_pid=$!
printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s"\n' "$redis_port" >"$tmp/rc.toml"
launch() {
  SPIN_VARIABLE_ADMIN_API_KEY=$admin SPIN_VARIABLE_SIGNING_KEY=$admin SPIN_VARIABLE_SUPPRESSION_KEY=$admin \
    SPIN_VARIABLE_TRUSTED_PROXIES=127.0.0.1/32 \
    "$spin" up --listen "127.0.0.1:$port" --state-dir "$tmp/state" --runtime-config-file "$tmp/rc.toml" >>"$tmp/spin.log" 2>&1 &
  spin_pid=$!
  for _ in $(seq 1 120); do curl -s -o /dev/null "$base/health/live" && break; sleep 0.5; done
}
stop_spin() { kill $(pgrep -P "$spin_pid") "$spin_pid" 2>/dev/null; wait "$spin_pid" 2>/dev/null; }
trap 'stop_spin; kill $redis_pid 2>/dev/null; rm -rf "$tmp"' EXIT
launch
token=$(curl -s "$base/api/forms/contact/token" | sed -E 's/.*"token":"([^"]+)".*/\1/')
seq 1 480 | xargs -P 16 -I{} curl -s -o /dev/null -H 'content-type: application/json' -H "x-forwarded-for: 10.4.1.{}" \
  -d "{\"name\":\"S\",\"email\":\"s{}@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
  "$base/api/forms/contact"
key=$(curl -s -H "authorization: Bearer $admin" -H 'content-type: application/json' \
  -d '{"name":"stall","scopes":["leads:read"]}' "$base/api/v1/keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')
end=$((SECONDS + seconds))
pids=""
for r in $(seq 1 "$readers"); do
  ( while [ $SECONDS -lt $end ]; do
      curl -s -m 15 -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $key" "$base/api/v1/submissions?limit=100"
    done >"$tmp/pages.$r" ) &
  pids="$pids $!"
done
echo "$readers readers of feed pages on Spin + Redis for $seconds s"
for i in $(seq 5 5 "$seconds"); do
  sleep 5
  echo "${i}s: $(cat "$tmp"/pages.* | grep -c 200) pages answered, $(cat "$tmp"/pages.* | grep -vc 200) not; client socket Recv-Q Send-Q: $(ss -tn state established "( dport = :$redis_port )" | tail -n +2 | awk '{print $1" "$2}' | tr '\n' ' ')"
done
# shellcheck disable=SC2086
wait $pids
echo "Redis's view of Spin's connection: $(redis-cli -p "$redis_port" CLIENT LIST | grep -v 'cmd=client' | grep -oE '(idle|qbuf|omem|cmd)=[^ ]+' | tr '\n' ' ')"
echo "this process: live $(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/health/live"), ready $(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/health/ready")"
stop_spin
launch
echo "a fresh process on the same Redis: live $(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/health/live"), ready $(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/health/ready"), a feed page $(curl -s -m 15 -o /dev/null -w '%{http_code}' -H "authorization: Bearer $key" "$base/api/v1/submissions?limit=100")"
