# syntax=docker/dockerfile:1
# One image for every Steadfast service: `docker run <image> workflow` (or gateway, auth, config,
# events). What it holds is decided by infrastructure/image/image.sh alone (the packages list),
# which e2e/src/image.test.ts runs the same way without a Docker engine.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json lerna.json tsconfig.base.json tsconfig.json ./
COPY infrastructure/image infrastructure/image
# Fixes to dependencies, applied by npm ci's postinstall (patch-package; each patch says why).
COPY patches patches
# Every workspace the lock file names must be present for `npm ci`; .dockerignore drops
# node_modules, dist and build info, so the build starts clean.
COPY packages packages
COPY e2e e2e
RUN --mount=type=cache,target=/root/.npm \
    bash infrastructure/image/image.sh build \
 && bash infrastructure/image/image.sh stage /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
# Production dependencies only, from the same lock file.
RUN --mount=type=cache,target=/root/.npm bash infrastructure/image/image.sh install
USER node
ENTRYPOINT ["bash", "infrastructure/image/start.sh"]
CMD ["gateway"]
