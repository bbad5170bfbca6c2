#!/usr/bin/env bash
# Local scheduled curation in one command: a Prefect server on loopback, the `curation` process work pool,
# the deployments from prefect.yaml, and a worker in the foreground (Ctrl-C stops the worker and the server).
# Then, from another terminal:
#   .venv/bin/prefect deployment run 'build/manual' --param config=sample_data/pipeline.yaml --watch
set -euo pipefail
cd "$(dirname "$0")/.."
PREFECT=".venv/bin/prefect"
PORT="${PREFECT_PORT:-4200}"
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export SFTCURATE_ROOT="$PWD"   # the deployments' pull step runs flows from here
mkdir -p .prefect-local

if ! curl -sf "${PREFECT_API_URL}/health" >/dev/null; then
  echo "starting the Prefect server on 127.0.0.1:${PORT} (log: .prefect-local/server.log)"
  "$PREFECT" server start --host 127.0.0.1 --port "$PORT" >.prefect-local/server.log 2>&1 &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null' EXIT
  for _ in $(seq 90); do curl -sf "${PREFECT_API_URL}/health" >/dev/null && break; sleep 1; done
  curl -sf "${PREFECT_API_URL}/health" >/dev/null || { echo "server did not start; see .prefect-local/server.log"; exit 1; }
fi
"$PREFECT" work-pool inspect curation >/dev/null 2>&1 || "$PREFECT" work-pool create curation --type process
"$PREFECT" --no-prompt deploy --all
echo "UI: http://127.0.0.1:${PORT}   worker starting; Ctrl-C to stop"
"$PREFECT" worker start --pool curation
