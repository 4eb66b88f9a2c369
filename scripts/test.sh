#!/usr/bin/env bash
# Every test, as `npm test` runs it: static checks, then the whole suite on
# Switchboard's embedded PostgreSQL, then the database-backed suites again on an
# external PostgreSQL server (Debian's, a throwaway cluster on loopback), then
# the date-sensitive suites once more with the machine's clock moved a year
# ahead, to 23:30 in Chicago. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

results=.test-results
rm -rf "$results"
mkdir -p "$results"
checks_failed=0

step() { printf '\n=== %s ===\n' "$1"; }

step "system packages"
bash scripts/ensure-debian-packages.sh || exit 1

step "build"
npm run build --silent || checks_failed=$((checks_failed + 1))

step "typecheck (tsc --noEmit)"
if npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p web/tsconfig.json; then echo "typecheck passed"; else echo "typecheck FAILED"; checks_failed=$((checks_failed + 1)); fi

step "lint (biome, zero warnings)"
if npx biome check --error-on-warnings .; then echo "lint passed"; else echo "lint FAILED"; checks_failed=$((checks_failed + 1)); fi

step "all suites on the embedded PostgreSQL server"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/embedded.json"

step "database suites on an external PostgreSQL server"
external_dir=$(mktemp -d /tmp/switchboard-external-pg.XXXXXX)
faked_dir=$(mktemp -d /tmp/switchboard-faked-clock-pg.XXXXXX)
cleanup() {
  bash scripts/external-postgres.sh stop "$external_dir"
  bash scripts/external-postgres.sh stop "$faked_dir"
}
trap cleanup EXIT INT TERM
if url=$(bash scripts/external-postgres.sh start "$external_dir"); then
  SWITCHBOARD_TEST_DATABASE_URL="$url" npx vitest run test/storage test/http \
    --reporter=default --reporter=json --outputFile.json="$results/external.json"
else
  echo "could not start the external PostgreSQL server; see $external_dir" >&2
  checks_failed=$((checks_failed + 1))
fi

step "unit, storage, http and browser suites again, the machine's clock a year ahead at 23:30 in Chicago"
# No test may depend on when it runs (tests use the injected test clock; pages the server's clock). Here every
# process (node, vitest's workers, Chromium, and a throwaway Debian PostgreSQL started for this run) runs under
# libfaketime, one year from today at 23:30 America/Chicago (the hour when Chicago's date and UTC's differ), in that
# time zone. A relative offset (FAKETIME="+seconds") gives every process the same clock, running on in real time.
# Monotonic clocks are faked too: with FAKETIME_DONT_FAKE_MONOTONIC=1 Chromium's timed waits stall (a page load
# takes minutes), and a constant offset changes no elapsed time. LD_PRELOAD directly, not the `faketime` wrapper:
# the wrapper waits for the database server it started, which outlives it. The embedded server starts with a
# minimal environment (no LD_PRELOAD), so this run uses the external cluster, itself started under the preload.
faked_offset=$(($(TZ=America/Chicago date -d "$(TZ=America/Chicago date -d '+1 year' +%F) 23:30" +%s) - $(date +%s)))
# The first process under the preload makes libfaketime's shared memory (/dev/shm) and removes it on a normal exit;
# npx does not exit normally, so a shell that does comes first.
faked() {
  # shellcheck disable=SC2016 # $LIB is the dynamic loader's; "$@" is the inner shell's
  TZ=America/Chicago LD_PRELOAD='/usr/$LIB/faketime/libfaketime.so.1' FAKETIME="+$faked_offset" \
    bash -c '"$@"; status=$?; exit "$status"' faked "$@"
}
echo "the machine's clock for this run starts at: $(faked date)"
if url=$(faked bash scripts/external-postgres.sh start "$faked_dir"); then
  SWITCHBOARD_TEST_DATABASE_URL="$url" faked npx vitest run test/unit test/storage test/http test/browser \
    --reporter=default --reporter=json --outputFile.json="$results/faked-clock.json"
else
  echo "could not start PostgreSQL for the run with the clock moved; see $faked_dir" >&2
  checks_failed=$((checks_failed + 1))
fi

node scripts/summarize-tests.mjs "$results" "$checks_failed"
