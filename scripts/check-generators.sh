#!/usr/bin/env bash
# CI: generates a context and one of each sub-generator into a scratch copy of the
# repository, then lints, typechecks and builds the copy and runs the generated tests:
# against DATABASE_URL if set, else an embedded PostgreSQL (test/support/global-setup.mjs).
# Prints how long it took from the first `npm run generate` to green tests.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/chronicle-generators.XXXXXX")"
# A failed run keeps its copy to look at.
trap 'status=$?; if [ "$status" -eq 0 ]; then rm -rf "$scratch"; else echo "check-generators: failed; the copy is in $scratch" >&2; fi' EXIT

# The files git tracks, as they are in the work tree; node_modules is shared, not installed again.
git -C "$repo" ls-files -z | tar -C "$repo" --null -T - -cf - | tar -C "$scratch" -xf -
ln -s "$repo/node_modules" "$scratch/node_modules"
cd "$scratch"

start=$(date +%s.%N)
step() {
  echo "== $*"
  "$@"
}
step npm run -s generate -- context purchase-orders
step npm run -s generate -- event purchase-orders order-approved
step npm run -s generate -- command purchase-orders approve-order --event order-approved
step npm run -s generate -- command purchase-orders cancel-order --event order-cancelled
step npm run -s generate -- projection purchase-orders order-history
generated=$(date +%s.%N)

step npm run -s lint
step npm run -s typecheck
step npm run -s build
# The OpenAPI freshness test too: the generators rewrite openapi.json and the client.
# And the entities still match the migrations: migration:generate would propose nothing.
step npm test -- src/contexts/purchase-orders test/purchase-orders test/client/openapi-document test/database/entities-match-migrations
done=$(date +%s.%N)

awk -v s="$start" -v g="$generated" -v d="$done" 'BEGIN {
  printf "check-generators: generated in %.1f s; from generating to green tests (lint, typecheck, build, tests) %.1f s\n", g - s, d - s
}'
