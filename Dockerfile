# Production image: the compiled app, run against the PostgreSQL in DATABASE_URL.
# Node 24: the app answered 1.7x to 1.9x the deposits per second on it as on Node 22 and 20, a
# little of it because its AsyncLocalStorage needs no promise hooks (docs/PERFORMANCE.md, "Which Node").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci wants every workspace's package.json (the typed client's: clients/typescript).
COPY clients/typescript/package.json clients/typescript/
# No install scripts: the image talks to the PostgreSQL in DATABASE_URL, so the embedded
# server's binaries need no setup.
RUN npm ci --ignore-scripts
COPY . .
RUN npx nest build && npm prune --omit=dev

FROM node:24-bookworm-slim
# A production start: it refuses to run without AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY (or
# AUTH_DISABLED=true, to run open on purpose). HOST: every interface of the container, whose
# own network decides who reaches it (outside a container the app binds 127.0.0.1).
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# As `npm run start:prod`. V8 lets the old space grow further between full GCs the higher the
# heap limit, which it sets from the host's memory (4 GB on a 24 GB host): a busy app held up to
# 170 MB of heap, nearly all garbage. With a 1 GB limit it peaks near 185 MB RSS instead of ~290 MB,
# at the same throughput (docs/PERFORMANCE.md, "Memory"); raise it if a process needs more heap.
# From that limit Node 24's V8 sizes the young generation 4x Node 22's (64 MB semi-spaces), about
# 95 MB more RSS under load for no throughput measurable here: 16 MB, as on Node 22.
CMD ["node", "--max-old-space-size=1024", "--max-semi-space-size=16", "dist/src/main.js"]
