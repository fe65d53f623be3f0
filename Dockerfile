# Switchyard container image.
#   docker build -t switchyard:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/my-config.yaml:/etc/switchyard/switchyard.yaml:ro" switchyard:0.1.0
# The config must listen on 0.0.0.0 (server.host) to be reachable from outside the container.
# NODE_IMAGE: the runtime base, the current Node LTS on Debian slim. Any Debian-based image with
# node, npm and apt-get works (test/integration/container-image.test.ts builds with a local one).
ARG NODE_IMAGE=node:26-slim

# --- build: compile TypeScript, build the console (when ui/ exists), keep production deps only
# (and of the SQLite addon only its compiled binary) ---
FROM ${NODE_IMAGE} AS build
# Native addons (better-sqlite3, ...) compile from source when no prebuilt binary matches this Node.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# node-gyp builds against the headers the Node image ships, instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
# Install without scripts (the root's `prepare` would compile before src/ is here), then run the
# dependencies' own install scripts: every native addon is built.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# The web console is its own package under ui/; its built assets go into the image when it exists.
COPY . /context
RUN mkdir -p ui/dist \
 && if [ -f /context/ui/package.json ]; then \
      cp -r /context/ui/. ui/ && rm -rf ui/node_modules ui/dist \
      && (cd ui && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi && npm run build) \
      && test -d ui/dist; \
    fi \
 && rm -rf /context
RUN npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

# --- runtime: Node LTS slim, production dependencies, non-root, tini as PID 1 ---
FROM ${NODE_IMAGE} AS runtime
# tini forwards SIGTERM to Node and reaps zombies, so the gateway's graceful drain runs on
# `docker stop` and on a Kubernetes pod deletion.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /app/data /etc/switchyard \
 && chown 1000:1000 /app/data
ENV NODE_ENV=production \
    SWITCHYARD_CONFIG=/etc/switchyard/switchyard.yaml \
    SWITCHYARD_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/ui/dist ./ui/dist
# The node user of the official images (uid 1000); the Kubernetes manifests run as this uid.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('node:http').get(process.env.SWITCHYARD_HEALTHCHECK_URL, { timeout: 2000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]
CMD ["start"]
