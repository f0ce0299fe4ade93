# The bot as one container: node runs the compiled JavaScript as PID 1, so `docker stop`'s SIGTERM
# reaches the bot itself and it stops gracefully (see README, "Shutdown").
# Build: docker build -t lead-bot .
# Run:   docker run --env-file .env --stop-timeout 30 -v lead-bot-data:/data -p 8080:8080 lead-bot

# --- build: all dependencies (better-sqlite3 compiles its native part when no prebuilt binary fits), then tsc
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: no compiler, no npm in the way of signals, not root
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Ready: the database answers, Telegram answers and updates are being taken (slim has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets docker stop's SIGTERM. A stop takes at most 25 s, more than Docker's
# default 10 s before SIGKILL: run with --stop-timeout 30 (Compose: stop_grace_period: 30s).
# --heap-growing-percent=50: see README, Performance (a full collection before the heap holds mostly garbage).
CMD ["node", "--heap-growing-percent=50", "dist/main.js"]
