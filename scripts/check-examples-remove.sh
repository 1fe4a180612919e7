#!/usr/bin/env bash
# CI: on a scratch copy of the repository with a context of the user's own generated into
# it, `npm run examples:remove` must keep that context and leave a template that lints,
# typechecks, builds, starts (GET /health 200, the API docs served) and passes its tests,
# the user's context's included, with no document pointing at a removed file. With DATABASE_URL set, the app and the tests use that server (the app on a
# database of its own, dropped afterwards); without it, embedded PostgreSQL.
# KEEP_SCRATCH=1 keeps the copy for a look afterwards.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d /tmp/chronicle-examples-remove.XXXXXX)"
app_pid=""
app_database=""

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Runs SQL on the DATABASE_URL server with the project's own pg client: no psql needed.
sql() {
  node --input-type=module -e "
    import pg from 'pg';
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try { await client.query(process.argv[1]); } finally { await client.end(); }
  " "$1"
}

cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid"
    wait "$app_pid" 2>/dev/null || true
  fi
  if [ -n "$app_database" ]; then (cd "$scratch" && sql "DROP DATABASE IF EXISTS $app_database WITH (FORCE)") || true; fi
  if [ "${KEEP_SCRATCH:-}" = 1 ]; then echo "scratch copy kept in $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT

echo "== copying the repository's files to $scratch"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
  while IFS= read -r -d '' file; do
    if [ -e "$repo/$file" ]; then
      mkdir -p "$scratch/$(dirname "$file")"
      cp -p "$repo/$file" "$scratch/$file"
    fi
  done
ln -s "$repo/node_modules" "$scratch/node_modules"
cd "$scratch"

# A user's own work, which the removal must keep working: a generated context with a
# projection, its tests and its migration.
echo "== npm run generate: a context of the user's own"
npm run -s generate -- context inventory
npm run -s generate -- projection inventory stock-levels

echo "== npm run examples:remove"
npm run examples:remove
echo "== the user's context is still there"
for kept in src/contexts/inventory test/inventory; do
  [ -d "$kept" ] || { echo "examples:remove deleted $kept"; exit 1; }
done
grep -q "inventory" src/contexts/index.ts || { echo "examples:remove dropped the inventory context from src/contexts/index.ts"; exit 1; }
echo "== package-lock.json matches package.json (npm ci takes it): npm has nothing to change in it"
cp package-lock.json "$scratch/package-lock.before.json"
npm install --package-lock-only --offline --ignore-scripts --no-audit --no-fund --loglevel=error
cmp package-lock.json "$scratch/package-lock.before.json" || { echo "package-lock.json was out of date after examples:remove"; exit 1; }
rm "$scratch/package-lock.before.json"
echo "== no document points at a removed file"
node "$repo/scripts/examples/doc-references.mjs" "$repo" "$scratch"
echo "== npm run lint"
npm run lint
echo "== npm run typecheck"
npm run typecheck
echo "== npm run build"
npm run build

port="$(free_port)"
log="$scratch/app.log"
if [ -n "${DATABASE_URL:-}" ]; then
  app_database="chronicle_examples_check_$$"
  sql "CREATE DATABASE $app_database"
  app_url="$(node -e "const u=new URL(process.env.DATABASE_URL);u.pathname='/$app_database';console.log(u.href)")"
  echo "== starting the built app on port $port, database $app_database"
  DATABASE_URL="$app_url" PORT="$port" node dist/src/main.js >"$log" 2>&1 &
else
  echo "== starting the built app on port $port, embedded PostgreSQL"
  EMBEDDED_POSTGRES_PORT="$(free_port)" PORT="$port" node dist/src/main.js >"$log" 2>&1 &
fi
app_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 1
done
if ! curl -fsS "http://127.0.0.1:$port/health"; then
  echo "the app did not answer GET /health with 200:"
  cat "$log"
  exit 1
fi
echo
curl -fsSL "http://127.0.0.1:$port/docs" | grep -q 'swagger-ui' || { echo "GET /docs is not the Swagger UI"; exit 1; }
curl -fsS "http://127.0.0.1:$port/docs-json" | node -e "
  const doc = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const paths = Object.keys(doc.paths);
  if (!paths.includes('/notifications')) throw new Error('no /notifications in the OpenAPI document');
  console.log('OpenAPI paths: ' + paths.join(' '));
"
kill -TERM "$app_pid"
wait "$app_pid" || { echo "the app did not stop cleanly on SIGTERM:"; cat "$log"; exit 1; }
app_pid=""

echo "== npm test"
npm test
echo "== the template without the examples passes"
