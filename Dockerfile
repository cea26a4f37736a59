# syntax=docker/dockerfile:1
#
# The Signet collection server (API, admin API and dashboard) for operators.
#
# UNTESTED: written on a machine without a Docker engine, so this file has never been built or
# run. It runs the compiled server: the `signet` CLI at packages/server/dist/cli/main.js, with
# the dashboard the server ships in packages/server/dashboard.
#
#   docker build -t signet .
#   docker run -p 4000:4000 -v signet-data:/data -e SIGNET_ADMIN_TOKEN="$(openssl rand -hex 24)" signet
#
# Every setting of the README's "Configuration" table can be given with -e.

# --- build: install everything, compile, then drop the dev dependencies --------------------------
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
# `npm ci` also builds, through `prepare`; `npm run build` again only checks that nothing is stale.
# It compiles the packages to packages/*/dist and builds the SDK's bundles and the dashboard
# (packages/server/dashboard, served by the server at `/`).
RUN npm ci
RUN npm run build
RUN npm prune --omit=dev

# --- runtime: the built workspace, run as the unprivileged `node` user ---------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    SIGNET_DATABASE_URL=sqlite:/data/signet.db
WORKDIR /app
# Owned by root, so the server cannot change its own code; only /data is writable.
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) closes the server cleanly.
CMD ["node", "packages/server/dist/cli/main.js", "serve"]
