# syntax=docker/dockerfile:1
#
# hugo-pingback in a container: a static binary on distroless, as a non-root
# user, with the binary as the entrypoint so any command runs:
#
#   docker build -t hugo-pingback .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/site" hugo-pingback build
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/site" hugo-pingback send
#   docker run -d -p 8080:8080 -v mentions:/data hugo-pingback serve --data /data/mentions.db --listen :8080
#
# A mounted site keeps its owner: pass --user so the build output and the
# ledger (SITE/.hugo-pingback) are written as you. The image has no shell.

# The builder runs on the build machine's platform and cross-compiles (no
# emulation), with the flags of .goreleaser.yaml.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
# Stamped by the release workflow; empty means a dev build.
ARG VERSION="" COMMIT="" DATE=""
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/hugo-pingback ./cmd/hugo-pingback \
 && mkdir -p /out/site /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot (65532); nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hugo-pingback /usr/local/bin/hugo-pingback
COPY --from=build --chown=65532:65532 /out/site /site
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
# A mounted Hugo site: every command's --site defaults to the working directory.
WORKDIR /site
# The receiver's mention store: serve --data /data/mentions.db.
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/hugo-pingback"]
CMD ["--help"]
