// Package api serves papersearch over HTTP with Gin: the JSON API under
// /api, the Atom feeds, the OpenAPI document, /metrics and /healthz, and the
// server-rendered search page and paper pages.
//
// Handlers return an error; one adapter (errors.go) turns it into the JSON
// error shape {"error":{"code","message"}} with a 4xx status for the
// caller's mistakes and a bare 500 for ours, whose detail goes to the log
// only. The package talks to the index through package search's plain
// request and result types and never touches Bleve.
//
// Files by job: routes.go (every route, in one place), handlers.go (JSON
// endpoints, and the search slots and deadline), page.go (HTML pages),
// feed.go (Atom), openapi.go and openapi.json (the contract), middleware.go
// (security headers, CORS, ETags, gzip, request logs), ratelimit.go
// (per-client token buckets), admin.go (writes and backups, behind the
// admin key; posted papers go through an IngestFunc the caller provides, so
// that this package does not depend on the indexer), metrics.go
// (Prometheus text format, by hand), static.go (embedded assets), wire.go
// (JSON types), params.go (query parameters), errors.go (error mapping).
//
// Tests start the real router with httptest on a real index in t.TempDir()
// and assert on the JSON, on the HTML with goquery, and on the OpenAPI
// document, which openapi_test.go holds to the route table. The browser
// tests live in cmd/papersearch, where the demo corpus is; the one here
// checks that hostile paper text stays text.
package api
