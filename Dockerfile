# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run in a slim Debian as a non-root user.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migration ./migration
COPY src ./src
COPY seed ./seed
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin network-directory \
    && install -D target/release/network-directory /out/network-directory

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/network-directory --create-home directory
COPY --from=build /out/network-directory /usr/local/bin/network-directory
WORKDIR /var/lib/network-directory
VOLUME ["/var/lib/network-directory"]
ENV BIND_ADDRESS=0.0.0.0:8080 \
    DATA_DIR=/var/lib/network-directory \
    LOG_FORMAT=json
EXPOSE 8080
USER directory
# No curl in the image: orchestrators should probe GET /healthz (liveness) and /readyz (readiness).
ENTRYPOINT ["/usr/local/bin/network-directory"]
CMD ["serve"]
