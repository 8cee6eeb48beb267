// Package api serves papersearch over HTTP with Gin: the JSON API under
// /api, the server-rendered search page and paper pages, and /healthz.
//
// Handlers return an error; one adapter (errors.go) turns it into the JSON
// error shape {"error":{"code","message"}} with a 4xx status for the
// caller's mistakes and a bare 500 for ours, whose detail goes to the log
// only. The package talks to the index through package search's plain
// request and result types and never touches Bleve.
//
// Tests start the real router with httptest on a real index in t.TempDir().
package api
