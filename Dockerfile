# syntax=docker/dockerfile:1
# One image for every long-running component; the command selects it:
#   docker run --init IMAGE broadcaster | aggregator | ingest | reconcile --file /data/payments.jsonl
# docs/deploy.md explains the build, the ports and the health checks. test/container-build.test.ts performs these same
# steps (it reads this file) without a Docker engine: keep every instruction on the forms that test understands.

# Node 22 LTS (Node 20 reached end of life on 2026-04-30) on Debian 13 trixie, not bookworm: the only uWebSockets.js
# binaries for Node >= 22 (@btc-vision/uwebsockets.js 20.57, core/uws-loader.ts) need glibc >= 2.38, and bookworm has 2.36,
# so there the broadcaster would lose WebSockets and the check below refuses the image. Trixie has glibc 2.41.
# Both are build arguments (--build-arg NODE_VERSION=24, --build-arg DEBIAN_RELEASE=bookworm); docs/deploy.md has the table.
ARG NODE_VERSION=22
ARG DEBIAN_RELEASE=trixie

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY core ./core
COPY ingest ./ingest
COPY aggregator ./aggregator
COPY broadcaster ./broadcaster
COPY reconcile ./reconcile
COPY scripts ./scripts
RUN npm run build

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps HOST=0.0.0.0 AGGREGATOR_PORT=8081
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; no install scripts (the only ones are the optional native helpers of the ws fallback).
# The npm cache lives in a BuildKit cache mount, not in the layer.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Refuse an image whose broadcaster would silently lose WebSockets: no uWS binary loads on this Node and glibc
# (see scripts/check-uws-native.ts, docs/deploy.md). It prints the package it loaded.
ARG ALLOW_UWS_FALLBACK=0
RUN node dist/check-uws-native.js
# The node image's unprivileged user (uid 1000); /app stays owned by root, so the process cannot change its own code.
USER node
# ingest gateway, Lambda Invoke API, broadcaster, aggregator health and metrics
EXPOSE 3000 3002 8080 8081
# Docker cannot tell which component a container runs: the check passes when the component's /healthz answers.
# ECS ignores it and uses the task definition's own check, which names the component (infra/).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "dist/run.js", "healthcheck"]
# Exec form: node is the process that receives SIGTERM (docker stop, ECS) and runs the graceful shutdown.
# Run with --init (ECS: initProcessEnabled) so a signal that arrives before the component's handlers exist still ends it.
ENTRYPOINT ["node", "dist/run.js"]
CMD ["broadcaster"]
