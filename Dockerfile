# teleops: one image for every role (`teleops bot | scheduler | worker | dashboard | migrate`).
#
# Stage 1 builds the dependencies alone first, so a change to teleops' own code reuses that layer;
# stage 2 is a slim runtime with CA certificates (HTTPS monitors, the Bot API) and a non-root user.
#
# ICMP monitors need raw or datagram ICMP sockets. Datagram ("unprivileged") ping works without
# any capability where the kernel's net.ipv4.ping_group_range includes the container's group
# (Docker's default: it does); otherwise give the worker `cap_add: [NET_RAW]`. Without either,
# ping monitors say "ICMP not permitted here" and everything else works.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config && rm -rf /var/lib/apt/lists/*
# Dependencies: every manifest, with empty sources, built once and cached.
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY bot/Cargo.toml bot/Cargo.toml
COPY dashboard/Cargo.toml dashboard/Cargo.toml
COPY migrations/Cargo.toml migrations/Cargo.toml
COPY scheduler/Cargo.toml scheduler/Cargo.toml
COPY shared/Cargo.toml shared/Cargo.toml
COPY worker/Cargo.toml worker/Cargo.toml
RUN for crate in bot dashboard migrations scheduler shared worker; do \
      mkdir -p $crate/src && echo '' > $crate/src/lib.rs; \
    done \
    && mkdir -p src tests/api && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && echo '' > tests/api/main.rs \
    && cargo build --release --locked --bin teleops || true
# Then teleops itself.
COPY . .
RUN touch src/main.rs src/lib.rs */src/lib.rs && cargo build --release --locked --bin teleops

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/teleops --create-home teleops
COPY --from=build /src/target/release/teleops /usr/local/bin/teleops
USER teleops
WORKDIR /var/lib/teleops
ENV TELEOPS_DATA_DIR=/var/lib/teleops \
    TELEOPS_DASHBOARD_ADDR=0.0.0.0:8080 \
    TELEOPS_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["teleops"]
CMD ["up"]
