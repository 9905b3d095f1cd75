# A sourceable bash library that runs Azurite's blob service on the loopback for tests.
#   source tests/integration/azurite.sh
#   azurite_start    # exports AZURITE_PORT, AZURITE_ENDPOINT; stopped on exit
#   azurite_stop
# Telemetry is always off: tests must reach nothing but 127.0.0.1.

AZURITE_SOURCE_DIR="${LUISY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
AZURITE_BIN="${AZURITE_BIN:-$AZURITE_SOURCE_DIR/tests/node_modules/.bin/azurite-blob}"
AZURITE_PID=""
AZURITE_DIR=""

azurite_stop() {
  if [[ -n "$AZURITE_PID" ]]; then
    kill "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
    AZURITE_PID=""
  fi
  if [[ -n "$AZURITE_DIR" ]]; then
    rm -rf "$AZURITE_DIR"
    AZURITE_DIR=""
  fi
}

azurite_start() {
  if [[ ! -x "$AZURITE_BIN" ]]; then
    echo "azurite.sh: $AZURITE_BIN not found (run scripts/setup)" >&2
    return 1
  fi
  AZURITE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/luisy-azurite.XXXXXX")"
  AZURITE_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  trap azurite_stop EXIT
  "$AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" --location "$AZURITE_DIR" \
    --disableTelemetry --silent >"$AZURITE_DIR/azurite.log" 2>&1 &
  AZURITE_PID=$!
  # Poll every 0.1 s until the port answers, bounded by AZURITE_START_TIMEOUT seconds (node
  # starts in about 1 s on an idle machine, much slower on a loaded one). bash's /dev/tcp
  # costs no process per poll.
  local deadline=$((SECONDS + ${AZURITE_START_TIMEOUT:-60}))
  until (exec 3<>"/dev/tcp/127.0.0.1/$AZURITE_PORT") 2>/dev/null; do
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then
      echo "azurite.sh: Azurite exited early:" >&2
      cat "$AZURITE_DIR/azurite.log" >&2
      AZURITE_PID=""
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "azurite.sh: Azurite did not answer on 127.0.0.1:$AZURITE_PORT within ${AZURITE_START_TIMEOUT:-60} s" >&2
      azurite_stop
      return 1
    fi
    sleep 0.1
  done
  export AZURITE_PORT
  export AZURITE_ENDPOINT="http://127.0.0.1:$AZURITE_PORT/devstoreaccount1"
}

# For the luisy tests that run against Azurite (after lib.sh is sourced): nothing may leave
# the loopback, retries stay short, Azurite runs for the whole test and is stopped with
# lib.sh's cleanup, and ACCOUNT/KEY name the emulator's well-known development account.
azurite_test_setup() {
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
  export LUISY_AZURE_RETRY_BASE_MS=20
  azurite_start || { echo "FAIL: ${TEST_NAME}: Azurite did not start" >&2; exit 1; }
  # azurite_start replaced lib.sh's exit trap: keep both.
  trap 'azurite_stop; _lib_cleanup' EXIT
  export LUISY_LOCAL_CACHE=on
  ACCOUNT=devstoreaccount1
  KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
}
