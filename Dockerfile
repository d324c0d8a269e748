# One image per Steadfast service: docker build --build-arg PACKAGE=gateway .
# Built from the lock file; the runtime stage holds production dependencies and compiled code only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json lerna.json tsconfig.base.json tsconfig.json ./
COPY packages/commons/package.json packages/commons/
COPY packages/auth/package.json packages/auth/
COPY packages/config/package.json packages/config/
COPY packages/workflow/package.json packages/workflow/
COPY packages/gateway/package.json packages/gateway/
COPY packages/launcher/package.json packages/launcher/
COPY e2e/package.json e2e/
RUN npm ci --no-audit --no-fund
COPY packages packages
COPY e2e e2e
RUN npx tsc -b packages/commons packages/auth packages/config packages/workflow packages/gateway \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ARG PACKAGE
ENV NODE_ENV=production PACKAGE=${PACKAGE}
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/packages packages
USER node
# `exec` so the service is PID 1 and receives SIGTERM for a graceful stop.
CMD ["sh", "-c", "exec node --enable-source-maps packages/${PACKAGE}/dist/main.js"]
