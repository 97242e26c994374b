# custseg as a container: `custseg serve` on the model mounted or copied under /srv.
# On Vertex AI (a custom container) AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE are
# honoured; elsewhere it listens on 0.0.0.0:8080.
#   docker build -t custseg .
#   docker run -p 8080:8080 -v "$PWD/out:/srv:ro" custseg
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin custseg

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /srv custseg
COPY --from=build /src/target/release/custseg /usr/local/bin/custseg
USER custseg
WORKDIR /srv
EXPOSE 8080
ENTRYPOINT ["custseg", "serve"]
CMD ["--model", "/srv/model/model.json", "--addr", "0.0.0.0:8080"]
