# adoptbot as a container: a static (musl) binary in a distroless image, as a non-root user.
#   docker build -t adoptbot .
#   docker run -p 3000:3000 -e APP_ID=... -e PRIVATE_KEY_PATH=/run/secrets/key.pem ... adoptbot
FROM rust:1-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl \
 && apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
 && cp target/x86_64-unknown-linux-musl/release/adoptbot /adoptbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /adoptbot /adoptbot
USER nonroot:nonroot
EXPOSE 3000
ENV HOST=0.0.0.0 PORT=3000
# distroless has no shell or curl: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/adoptbot", "healthcheck"]
ENTRYPOINT ["/adoptbot"]
CMD ["serve"]
