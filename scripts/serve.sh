#!/usr/bin/env bash
# Local scheduled curation in one command: a Prefect server on loopback, the `curation` process work pool,
# the deployments from prefect.yaml, and a worker. One Ctrl-C stops the worker first, then the server, and exits.
# Then, from another terminal:
#   .venv/bin/prefect deployment run 'build/manual' --param config=sample_data/pipeline.yaml --watch
#
# With job control on (set -m) the server and the worker run in process groups of their own, so the terminal's
# Ctrl-C reaches only this script, which stops them in order: a worker whose server died first printed ~110 lines
# of connection errors and hung until a second Ctrl-C. (Without job control, bash starts background commands with
# SIGINT ignored, and the worker's own graceful stop on SIGINT then never ends.)
set -euo pipefail
set -m
cd "$(dirname "$0")/.."
PREFECT=".venv/bin/prefect"
PORT="${PREFECT_PORT:-4200}"
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export SFTCURATE_ROOT="$PWD"   # the deployments' pull step runs flows from here
mkdir -p .prefect-local
SERVER_PID=""
WORKER_PID=""

stop() {
  trap - INT TERM EXIT
  if [[ -n "$WORKER_PID" ]] && kill -0 "$WORKER_PID" 2>/dev/null; then
    echo "stopping the worker"
    kill -INT "$WORKER_PID" 2>/dev/null || true
    wait "$WORKER_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "stopping the server"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

if ! curl -sf "${PREFECT_API_URL}/health" >/dev/null; then
  echo "starting the Prefect server on 127.0.0.1:${PORT} (log: .prefect-local/server.log)"
  "$PREFECT" server start --host 127.0.0.1 --port "$PORT" >.prefect-local/server.log 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 90); do curl -sf "${PREFECT_API_URL}/health" >/dev/null && break; sleep 1; done
  curl -sf "${PREFECT_API_URL}/health" >/dev/null || { echo "server did not start; see .prefect-local/server.log"; exit 1; }
fi
"$PREFECT" work-pool inspect curation >/dev/null 2>&1 || "$PREFECT" work-pool create curation --type process
"$PREFECT" --no-prompt deploy --all
echo "UI: http://127.0.0.1:${PORT}   worker starting; Ctrl-C stops worker and server"
"$PREFECT" worker start --pool curation &
WORKER_PID=$!
wait "$WORKER_PID"
