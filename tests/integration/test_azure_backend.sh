#!/usr/bin/env bash
# The Azure backend against a local Azurite: runs the unit tests of the "azure" suite with
# LUISY_TEST_AZURE_ENDPOINT set, so the ones that need a server run too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${LUISY:?LUISY must name the luisy binary}"
unit="${LUISY_UNIT:-$(dirname "$LUISY")/luisy_unit}"
[[ -x "$unit" ]] || { echo "test_azure_backend: $unit not found" >&2; exit 1; }

# Nothing may leave the loopback: no proxies.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
# Credentials from the environment must not leak into the test.
unset AZURE_STORAGE_CONNECTION_STRING LUISY_AZURE_SAS_TOKEN LUISY_AZURE_ACCOUNT_NAME \
  LUISY_AZURE_STORAGE_KEY LUISY_AZURE_CONTAINER_NAME LUISY_AZURE_ENDPOINT

source "$here/azurite.sh"
azurite_start
export LUISY_TEST_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
export LUISY_AZURE_RETRY_BASE_MS=20

output="$("$unit" -ts=azure 2>&1)" || { echo "$output"; exit 1; }
echo "$output" | tail -n 3
# The server tests skip themselves without an endpoint; here they must have run.
if grep -q "skipping the tests that need Azurite" <<<"$output"; then
  echo "test_azure_backend: the Azurite tests were skipped" >&2
  exit 1
fi
echo "test_azure_backend: ok"
