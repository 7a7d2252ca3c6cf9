# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with dev dependencies, then drop them.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console (ui/, built by vite into dist/ui).
COPY ui ./ui
COPY scripts/copy-build-assets.mjs ./scripts/copy-build-assets.mjs
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as uid 1000.
FROM node:20-slim
# Every command a tool runs is sandboxed with bubblewrap (docs/DEPLOYMENT.md, "The command sandbox").
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap \
 && rm -rf /var/lib/apt/lists/*
# Every path the server writes is under a directory uid 1000 owns: /app is root's (and read-only
# on Kubernetes), so the default workspace (.orchestrator/workspace under /app) could not be made.
ENV NODE_ENV=production \
    ORCHESTRATOR_STATE_FILE=/var/lib/orchestrator/state.json \
    ORCHESTRATOR_AUDIT_FILE=/var/log/orchestrator/audit.jsonl \
    ORCHESTRATOR_TOOLS_WORKSPACE_ROOT=/var/lib/orchestrator/workspace
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY workflows ./workflows
RUN mkdir -p /var/lib/orchestrator /var/log/orchestrator \
 && chown -R 1000:1000 /var/lib/orchestrator /var/log/orchestrator
USER 1000
EXPOSE 8000
# No curl in the image: Node's fetch probes liveness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: it drains requests and exits within server.shutdown_grace_seconds.
CMD ["node", "dist/cli/main.js", "serve"]
