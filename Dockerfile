# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run in a slim Debian as a non-root user.
#
#   docker build -t network-directory .
#   docker run -p 8080:8080 -v directory-data:/var/lib/network-directory network-directory
#
# The seed data (seed/network.toml) is compiled into the binary with include_str!, so the binary
# is all the runtime image needs. For PostgreSQL, set DATABASE_URL=postgres://USER:PASSWORD@HOST/DB.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migration ./migration
COPY src ./src
COPY seed ./seed
COPY schema.graphql ./
# The registry and target directories are BuildKit cache mounts (kept between builds, not part of
# the layer), so the binary is copied out of the cache mount to /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin network-directory \
    && install -D -m 0755 target/release/network-directory /out/network-directory

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 directory \
    && useradd --system --uid 10001 --gid directory --no-create-home \
        --home-dir /var/lib/network-directory --shell /usr/sbin/nologin directory \
    && install -d -o directory -g directory -m 0750 /var/lib/network-directory
COPY --from=build /out/network-directory /usr/local/bin/network-directory
WORKDIR /var/lib/network-directory
VOLUME ["/var/lib/network-directory"]
ENV BIND_ADDRESS=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/network-directory/directory.db?mode=rwc \
    DATA_DIR=/var/lib/network-directory \
    LOG_FORMAT=json
EXPOSE 8080
# Numeric, so that Kubernetes' runAsNonRoot can verify it: the directory user and group.
USER 10001:10001
# No HEALTHCHECK: the image has no curl or wget. Orchestrators should probe GET /healthz
# (liveness: 200 while the process runs) and GET /readyz (readiness: 200 when the database
# answers, 503 when it does not).
ENTRYPOINT ["/usr/local/bin/network-directory"]
CMD ["serve"]
