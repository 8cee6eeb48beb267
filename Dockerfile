# syntax=docker/dockerfile:1
# Build: docker build -t papersearch .
# Run:   docker run --rm -p 8080:8080 -v papersearch-data:/data papersearch

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go: a static binary that runs on a distroless image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/papersearch ./cmd/papersearch \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/papersearch /usr/local/bin/papersearch
# A volume mounted here takes this directory's owner, so nonroot can write.
COPY --from=build --chown=65532:65532 /out/data /data
ENV PAPERSEARCH_INDEX=/data/index \
    PAPERSEARCH_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/papersearch"]
CMD ["serve"]
