# workmesh: one image for every role (`docker run workmesh api|worker|sysmon|shell ...`).
# Build stage: install everything, compile TypeScript, then drop the dev dependencies.
# Node 24: the LTS line CI runs the suite on (package.json `engines` lists the supported ones).
FROM node:24-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled code and production dependencies only, run as a non-root user.
FROM node:24-alpine AS runtime
ENV NODE_ENV=production \
    WORKMESH_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN chmod +x dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/workmesh
# The `node` user of the official image (uid 1000); nothing here needs root.
USER node
# API, web console, a worker's metrics listener (WORKMESH_METRICS_PORT).
EXPOSE 5983 5984 9464
ENTRYPOINT ["workmesh"]
CMD ["--help"]
