# syntax=docker/dockerfile:1
# One static binary; the migrations, templates and static files are embedded in it.
#   docker build -t oms .
#   docker run --rm -e DATABASE_URL=postgres://... oms migrate
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://... oms

FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/oms ./cmd/oms

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/oms /usr/local/bin/oms
USER nonroot:nonroot
ENV OMS_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["oms"]
CMD ["serve"]
