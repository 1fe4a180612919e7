#!/usr/bin/env bash
# CI: generates a context (with a route path and a unique key) and one of each
# sub-generator (commands with and without fields) into a scratch copy of the repository,
# renames the context's creation and adds a required field to it by hand, generates again,
# then lints, typechecks and builds the copy and runs the generated tests:
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
# What a user does by hand between two generator runs: renames the creation verb (create ->
# place, PurchaseOrderCreated -> PurchaseOrderPlaced, files too) and adds a required field
# (supplier) to the creation, fixing the tests that create one. Later runs must follow.
rename_creation_by_hand() {
  local root=src/contexts/purchase-orders tests=test/purchase-orders
  for path in $(find "$root" "$tests" -depth -name '*create-purchase-order*' -o -depth -name '*purchase-order-created*'); do
    mv "$path" "$(dirname "$path")/$(basename "$path" | sed 's/create-purchase-order/place-purchase-order/; s/purchase-order-created/purchase-order-placed/')"
  done
  grep -rlZ -e urchaseOrder -e urchase-order "$root" "$tests" | xargs -0 sed -i \
    -e 's/CreatePurchaseOrder/PlacePurchaseOrder/g; s/create-purchase-order/place-purchase-order/g' \
    -e 's/createPurchaseOrder/placePurchaseOrder/g; s/Create purchase order/Place purchase order/g' \
    -e 's/PurchaseOrderCreated/PurchaseOrderPlaced/g; s/purchase-order-created/purchase-order-placed/g'
  sed -i 's/readonly sku: string,/readonly sku: string,\n    readonly supplier: string,/' \
    "$root/domain/events/purchase-order-placed.event.ts" "$root/application/place-purchase-order/place-purchase-order.command.ts"
  sed -i 's/name: string, sku: string)/name: string, sku: string, supplier: string)/; s/(name, sku)/(name, sku, supplier)/' \
    "$root/domain/purchase-order.aggregate.ts"
  sed -i 's/command\.name, command\.sku)/command.name, command.sku, command.supplier)/' \
    "$root/application/place-purchase-order/place-purchase-order.handler.ts"
  sed -i 's/(body\.name, body\.sku, context)/(body.name, body.sku, body.supplier, context)/' "$root/interface/purchase-orders.controller.ts"
  sed -i "s/^}$/\n  @ApiProperty({ minLength: 1, example: 'ACME' })\n  @IsString()\n  @Length(1, 200)\n  supplier!: string;\n}/" \
    "$root/interface/dto/place-purchase-order.dto.ts"
  find "$root" -name '*.spec.ts' ! -name 'sku-reservations.spec.ts' -print0 |
    xargs -0 sed -i "s/'SKU-1')/'SKU-1', 'ACME')/g; s/'SKU-1', context)/'SKU-1', 'ACME', context)/g"
  grep -rlZ "name: '[^']*', sku" "$tests" | xargs -0 sed -i "s/name: '\([^']*\)', sku/name: '\1', supplier: 'ACME', sku/g"
  npx prettier --log-level warn --write "$root" "$tests"
}

# A context under a route path of its choice, whose aggregates have a unique business key.
step npm run -s generate -- context purchase-orders --path procurement/orders --unique sku
step npm run -s generate -- event purchase-orders order-approved
step npm run -s generate -- command purchase-orders approve-order --event order-approved
step npm run -s generate -- command purchase-orders adjust-order --event order-adjusted --fields amount:int,note:string?,urgent:boolean,ratio:number?
step rename_creation_by_hand
step npm run -s generate -- command purchase-orders receive-order --event order-received --fields quantity:int,complete:boolean
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

# The project scripts pass jest's options on, after paths: a name no test has skips every
# unit spec of the context, and only those.
specs=$(find src/contexts/purchase-orders -name '*.spec.ts' | wc -l)
echo "== npm run test:unit -- src/contexts/purchase-orders -t 'a name no test has'"
by_name=$(npm run -s test:unit -- src/contexts/purchase-orders -t 'a name no test has' 2>&1)
grep -q "^Test Suites: $specs skipped, 0 of $specs total" <<<"$by_name" ||
  { echo "$by_name"; echo "check-generators: expected the $specs unit specs of the context, every test skipped" >&2; exit 1; }

awk -v s="$start" -v g="$generated" -v d="$done" 'BEGIN {
  printf "check-generators: generated in %.1f s; from generating to green tests (lint, typecheck, build, tests) %.1f s\n", g - s, d - s
}'
