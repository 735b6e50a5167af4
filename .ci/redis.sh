#!/usr/bin/env bash
# Make sure Redis answers on 127.0.0.1:6379 (the shared rate-limit tests use it): start
# Debian's redis-server if nothing listens there, installing it if need be.
set -euo pipefail
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
fi
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && exit 0
  sleep 0.2
done
echo "redis did not start on 127.0.0.1:6379" >&2
exit 1
