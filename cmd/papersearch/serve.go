package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/papersearch/papersearch/api"
)

func (e *env) serve(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	addr := fs.String("addr", envOr(e.getenv, "PAPERSEARCH_ADDR", "localhost:8080"), "listen address HOST:PORT (env PAPERSEARCH_ADDR)")
	cors := fs.String("cors-origins", e.getenv("PAPERSEARCH_CORS_ORIGINS"),
		`comma-separated origins whose pages may call the GET API, or "*" for any (env PAPERSEARCH_CORS_ORIGINS)`)
	logFormat := fs.String("log-format", envOr(e.getenv, "PAPERSEARCH_LOG_FORMAT", "text"), "log lines as text or json (env PAPERSEARCH_LOG_FORMAT)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	log, err := newLogger(e.stderr, *logFormat, e.logLevel())
	if err != nil {
		return err
	}
	e.log = log
	origins, err := parseOrigins(*cors)
	if err != nil {
		return err
	}
	idx, err := e.openOrDemo(ctx, *dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	h, err := api.New(api.Config{Index: idx, Log: e.log, CORSOrigins: origins})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	n, _ := idx.Count()
	fmt.Fprintf(e.stdout, "papersearch: serving %d papers from %s at http://%s/\n", n, *dir, displayAddr(ln.Addr()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// displayAddr makes a listen address clickable: a wildcard host becomes
// localhost.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// parseOrigins reads --cors-origins: "*", or origins such as
// https://example.org (scheme, host and optional port; nothing more, since
// browsers send exactly that in the Origin header).
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return nil, usageError{fmt.Sprintf("--cors-origins: %q is not an origin like https://example.org", o)}
			}
			o = u.Scheme + "://" + u.Host
		}
		out = append(out, o)
	}
	return out, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
