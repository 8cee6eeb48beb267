// Package api serves papersearch over HTTP with Gin: the JSON API under
// /api, the server-rendered search page and paper pages, and /healthz.
//
// Handlers return an error; one adapter (errors.go) turns it into the JSON
// error shape {"error":{"code","message"}} with a 4xx status for the
// caller's mistakes and a bare 500 for ours, whose detail goes to the log
// only. The package talks to the index through package search's plain
// request and result types and never touches Bleve.
//
// Reads are open to all, within guards: a per-client token bucket
// (ratelimit.go), a bounded number of searches at once with fewer slots for
// expensive ones, and a deadline per search (handlers.go). Writes and
// backups (admin.go) need the admin key; posted papers go through an
// IngestFunc that the caller provides, so that this package does not
// depend on the indexer.
//
// Tests start the real router with httptest on a real index in t.TempDir(),
// and a headless Chromium checks that hostile paper text stays text.
package api
