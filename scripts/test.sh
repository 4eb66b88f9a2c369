#!/usr/bin/env bash
# Every test, as `npm test` runs it: static checks, then the whole suite on
# Switchboard's embedded PostgreSQL, then the database-backed suites again on an
# external PostgreSQL server (Debian's, a throwaway cluster on loopback).
# Ends with one line: "N passed, N failed".
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
cleanup() { bash scripts/external-postgres.sh stop "$external_dir"; }
trap cleanup EXIT INT TERM
if url=$(bash scripts/external-postgres.sh start "$external_dir"); then
  SWITCHBOARD_TEST_DATABASE_URL="$url" npx vitest run test/storage test/http \
    --reporter=default --reporter=json --outputFile.json="$results/external.json"
else
  echo "could not start the external PostgreSQL server; see $external_dir" >&2
  checks_failed=$((checks_failed + 1))
fi

node scripts/summarize-tests.mjs "$results" "$checks_failed"
