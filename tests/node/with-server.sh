#!/usr/bin/env bash
# Run a command against a live demo server, then stop the server whatever happened:
#
#   tests/node/with-server.sh node tests/node/audit.mjs
#
# Starts `jinlin serve --demo` (JINLIN_BIN, default .venv/bin/jinlin) on 127.0.0.1:JINLIN_PORT (default 8765, or any
# free port when that one is taken) with a fresh SQLite database in a temporary directory, waits up to 60 s for
# /healthz, and runs the command with JINLIN_GRAPHQL_URL (http://127.0.0.1:PORT/graphql) in its environment. The
# command's exit status is the script's; the server's log is shown when it fails to start or the command fails.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
jinlin="${JINLIN_BIN:-$root/.venv/bin/jinlin}"
port="$(python3 - "${JINLIN_PORT:-8765}" <<'EOF'
import socket, sys
for port in (int(sys.argv[1]), 0):  # the wanted port, else one the system picks
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no owner
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
EOF
)"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
server=""

stop() {
  local status=$?
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$work/server.log" ]]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$work/server.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "with-server: $jinlin serve --demo on $base (database in $work)"
"$jinlin" serve --demo --host 127.0.0.1 --port "$port" --db "sqlite://$work/jinlin.sqlite3" >"$work/server.log" 2>&1 &
server=$!

healthy() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null
}
deadline=$((SECONDS + 60))
until healthy; do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "with-server: the server exited before answering /healthz" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "with-server: no answer from $base/healthz within 60 s" >&2
    exit 1
  fi
  sleep 0.5
done

JINLIN_GRAPHQL_URL="$base/graphql" "$@"
