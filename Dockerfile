# Paddock as a Docker Desktop extension: the dashboard (/ui, loaded by Docker Desktop from the
# image) and paddockd as the extension's backend container (see docker-compose.yaml).
#
# BASE_IMAGE defaults to the public Debian image; where no registry answers (air-gapped hosts,
# CI here) pass a locally bootstrapped trixie minbase instead:
#   docker build --build-arg BASE_IMAGE=paddock/bootstrap:trixie -t paddock/desktop-extension .
# Classic-builder compatible on purpose (no RUN --mount): Docker 20.10 without BuildKit builds it.
ARG BASE_IMAGE=debian:trixie-slim

# ---- toolchain: Debian's Node.js and npm ------------------------------------------------------
FROM ${BASE_IMAGE} AS toolchain
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# CAs the host trusts beyond the public ones (TLS-intercepting proxies); staged by extension/build.mjs.
COPY extension/extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null 2>&1 || true
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# Manifests only, so a source edit re-downloads nothing.
COPY package.json package-lock.json tsconfig.base.json ./
COPY backend/package.json backend/
COPY ui/package.json ui/

# ---- runtime dependencies of paddockd only -------------------------------------------------------
FROM toolchain AS prod-deps
RUN npm ci --workspace backend --omit=dev --no-audit --no-fund --loglevel=error

# ---- build: UI (Vite, relative asset URLs) and backend (tsc) -----------------------------------
FROM toolchain AS build
RUN npm ci --workspace backend --workspace ui --include-workspace-root --no-audit --no-fund --loglevel=error
COPY backend/ backend/
COPY ui/ ui/
# Docker Desktop loads the UI from the image's files, so its asset URLs must be relative (Vite base './').
RUN npm run build --workspace ui \
 && (cd backend && npx tsc -p tsconfig.json) \
 && test -f ui/dist/index.html && test -f backend/dist/daemon/main.js \
 && grep -q '"./assets/' ui/dist/index.html

# ---- the extension image -------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# nodejs runs paddockd; tini reaps what it spawns; setpriv (util-linux) drops root at start.
# The same extra CAs: paddockd hands /usr/local/share/ca-certificates on to the agent images it builds.
COPY extension/extra-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/local/share/ca-certificates/README \
 && (update-ca-certificates >/dev/null 2>&1 || true) \
 && groupadd --system --gid 1000 paddock \
 && useradd --system --uid 1000 --gid 1000 --home-dir /home/paddock --create-home --shell /usr/sbin/nologin paddock \
 && mkdir -p /var/lib/paddock /run/guest-services \
 && chown paddock:paddock /var/lib/paddock

# Layout mirrors the repository, so paddockd finds images/ and scripts/ relative to itself.
WORKDIR /opt/paddock
COPY --from=prod-deps /src/package.json ./
COPY --from=prod-deps /src/node_modules/ node_modules/
COPY --from=build /src/backend/package.json backend/
COPY --from=build /src/backend/bin/ backend/bin/
COPY --from=build /src/backend/dist/ backend/dist/
COPY images/ images/
COPY scripts/bootstrap-base.sh scripts/
COPY --from=build /src/ui/dist/ /ui/
COPY metadata.json docker.svg docker-compose.yaml /
COPY extension/entrypoint.sh /usr/local/bin/paddock-extension-entrypoint
RUN chmod 0755 /usr/local/bin/paddock-extension-entrypoint \
 && find /opt/paddock/backend/dist -name '*.map' -delete

ENV NODE_ENV=production \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    HOME=/home/paddock \
    PADDOCK_UI_DIR=/ui \
    PADDOCK_IMAGES_DIR=/opt/paddock/images \
    PADDOCK_STATE_DIR=/var/lib/paddock \
    PADDOCK_CONFIG_DIR=/var/lib/paddock/config \
    PADDOCK_SOCKET=/run/guest-services/paddock.sock

# Starts as root only to hand the unprivileged `paddock` user the engine socket's group and the
# socket directory, then drops to it (see extension/entrypoint.sh).
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/paddock-extension-entrypoint"]
CMD ["node", "/opt/paddock/backend/bin/paddockd.js"]

ARG PUBLISHER_URL=https://github.com/paddock-dev/paddock
ARG RAW_URL=https://raw.githubusercontent.com/paddock-dev/paddock/main
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Paddock" \
      org.opencontainers.image.description="Run AI coding agents (Claude Code, Gemini CLI, Codex, OpenCode, a shell) in isolated sandboxes that mirror your workspace." \
      org.opencontainers.image.vendor="Paddock" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      com.docker.desktop.extension.api.version=">= 0.3.4" \
      com.docker.desktop.extension.icon="${RAW_URL}/docker.svg" \
      com.docker.extension.screenshots="[{\"alt\":\"Workspaces: add a project folder, then launch agents in it\",\"url\":\"${RAW_URL}/assets/dashboard-empty.png\"},{\"alt\":\"Launching an agent: name, isolation, resources and network mode\",\"url\":\"${RAW_URL}/assets/launch-form.png\"},{\"alt\":\"Two agents working side by side in live terminals\",\"url\":\"${RAW_URL}/assets/terminals-split.png\"},{\"alt\":\"Per-sandbox settings: network allowlist, resources, autonomy\",\"url\":\"${RAW_URL}/assets/settings-drawer.png\"},{\"alt\":\"Agent catalog with image state\",\"url\":\"${RAW_URL}/assets/agents.png\"}]" \
      com.docker.extension.detailed-description="<p>Paddock runs AI coding agents (Claude Code, Gemini CLI, Codex, OpenCode, a plain shell, or your own) inside hardened local sandboxes. Each sandbox sees exactly one workspace folder, at the same path as on your machine; agents run in their autonomous mode while your host, its secrets and its network stay fenced off.</p><ul><li>Launch agents from the Paddock tab and watch several work side by side in live terminals that survive reloads.</li><li>Network per sandbox: none, an allowlist enforced by an egress proxy, or open.</li><li>Secrets injected by the proxy, so the sandbox never holds the real key.</li><li>Policy and a tamper-evident audit log.</li></ul><p>The workspace folders you use must be shared with Docker Desktop (Settings → Resources → File sharing).</p>" \
      com.docker.extension.publisher-url="${PUBLISHER_URL}" \
      com.docker.extension.additional-urls="[{\"title\":\"Documentation\",\"url\":\"${PUBLISHER_URL}#readme\"},{\"title\":\"API\",\"url\":\"${PUBLISHER_URL}/blob/main/docs/api.md\"},{\"title\":\"Support\",\"url\":\"${PUBLISHER_URL}/issues\"}]" \
      com.docker.extension.changelog="<p>First release as a Docker Desktop extension:</p><ul><li>Dashboard tab with workspaces, agent launch, side-by-side terminals and settings.</li><li>paddockd runs as the extension's backend; terminals use a port published on 127.0.0.1 with short-lived tokens.</li></ul>" \
      com.docker.extension.categories="security,utility-tools"
