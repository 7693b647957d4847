# MedVault's container image: built with the Rust toolchain, run on slim Debian with Tesseract
# and poppler (lab reports are read with them) as an unprivileged user. One binary, `medvault`;
# its data (the SQLite database, sealed files, generated keys) under the volume /var/lib/medvault.
#
#   docker build -t medvault .          (podman: add --format docker, for the health check)
#   docker run -p 8080:8080 -v medvault:/var/lib/medvault medvault
#
# Configuration is the environment's (docs/configuration.md); any variable may instead name a
# file that holds its value, as `MEDVAULT_SECRET_FILE=/run/secrets/medvault_secret`.

ARG RUST_VERSION=1.95
ARG DEBIAN=bookworm

FROM docker.io/library/rust:${RUST_VERSION}-slim-${DEBIAN} AS build
WORKDIR /src
COPY . .
# SQLite and libpq are built from source by their crates, libpq with OpenSSL for TLS to the
# database (its headers from libssl-dev); traces over OTLP are built in too.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin medvault --features postgres-tls,otlp \
 && install -m 0755 target/release/medvault /usr/local/bin/medvault

FROM docker.io/library/debian:${DEBIAN}-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng poppler-utils ca-certificates curl util-linux libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 medvault \
 && useradd --system --uid 10001 --gid medvault --home-dir /var/lib/medvault --no-log-init medvault \
 && install -d -o medvault -g medvault -m 0750 /var/lib/medvault
COPY --from=build /usr/local/bin/medvault /usr/local/bin/medvault
USER 10001:10001
ENV MEDVAULT_LISTEN=0.0.0.0:8080 \
    MEDVAULT_DATA_DIR=/var/lib/medvault \
    MEDVAULT_LOG_FORMAT=json
VOLUME ["/var/lib/medvault"]
EXPOSE 8080
# Ready means the database answers: a server that has lost it is taken out of rotation. Asked
# on the port MEDVAULT_LISTEN names, over HTTPS when MedVault serves it (its own certificate
# need not name 127.0.0.1).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD scheme=http; [ -z "$MEDVAULT_TLS_CERT" ] || scheme=https; \
      curl -kfsS -o /dev/null "$scheme://127.0.0.1:${MEDVAULT_LISTEN##*:}/readyz" || exit 1
ENTRYPOINT ["medvault"]
CMD ["serve"]
