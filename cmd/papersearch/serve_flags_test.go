package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOrigins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"*", []string{"*"}, false},
		{" https://a.example , http://localhost:3000/ ", []string{"https://a.example", "http://localhost:3000"}, false},
		{"a.example", nil, true},
		{"https://a.example/path", nil, true},
		{"ftp://a.example", nil, true},
	} {
		got, err := parseOrigins(tc.in)
		if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("parseOrigins(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestServeFlags starts `papersearch serve` on port 0 with JSON logs and
// CORS from the environment, and checks both on a real request.
func TestServeFlags(t *testing.T) {
	dir := t.TempDir() + "/index"
	if _, stderr, err := runPlain(t, "index", "--index", dir, "../../indexer/testdata/seed-listing.txt"); err != nil {
		t.Fatalf("index: %v\n%s", err, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	env := map[string]string{"PAPERSEARCH_CORS_ORIGINS": "https://a.example"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--index", dir, "--addr", "127.0.0.1:0", "--log-format", "json"},
			strings.NewReader(""), pw, &stderr, func(k string) string { return env[k] })
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner: %v; stderr %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	u := regexp.MustCompile(`http://\S+/`).FindString(line)
	if u == "" {
		t.Fatalf("banner %q has no URL", line)
	}
	req, _ := http.NewRequest("GET", u+"api/topics", nil)
	req.Header.Set("Origin", "https://a.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://a.example" {
		t.Errorf("status %d, ACAO %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("log line is not JSON: %q", l)
			continue
		}
		if m["msg"] == "request" && m["route"] == "/api/topics" && m["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Errorf("no JSON request log line in %s", stderr.String())
	}

	_, _, err = runPlain(t, "serve", "--index", dir, "--log-format", "xml")
	if err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("--log-format xml: %v", err)
	}
}
