#!/usr/bin/env bash
# Starts PostgreSQL and RabbitMQ when they are down and fails loudly when either stays unreachable.
set -u

wait_for() {  # name, seconds, check command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then echo "$name: up"; return 0; fi
    sleep 1
  done
  echo "ERROR: $name is not reachable; the tests need it running (see README)." >&2
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
wait_for PostgreSQL 30 pg_isready -h 127.0.0.1 -p 5432 || exit 1

if ! port_open 5672; then
  echo "RabbitMQ is down; starting it"
  rabbitmq-server -detached || true
fi
wait_for RabbitMQ 90 port_open 5672 || exit 1
