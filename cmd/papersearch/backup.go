package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// backup copies an index to a new directory, consistently, while it may
// be in use. Only one process can open an index, so an index that a
// server holds is copied by that server (POST /api/admin/backup, with the
// admin key) and streamed here; an index nobody holds is opened and
// copied directly. Either way the copy is checked by opening it before it
// is moved into place.
func (e *env) backup(ctx context.Context, args []string) error {
	fs := newFlagSet("backup", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	to := fs.String("to", "", "directory to write the copy to; it must not exist")
	via := fs.String("via", "", "base URL of the papersearch serve that holds the index (default: the one the index records)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("backup takes no arguments, got %q", rest)}
	}
	if *to == "" {
		return usageError{"backup needs --to DIR, a directory that does not exist yet"}
	}
	if _, err := os.Lstat(*to); err == nil {
		return usageError{fmt.Sprintf("--to %s already exists; name a new directory", *to)}
	}
	if *via != "" {
		return e.backupVia(ctx, strings.TrimSuffix(*via, "/"), *to)
	}
	if !indexExists(*dir) {
		return usageError{fmt.Sprintf("no index at %s", *dir)}
	}
	// A server recorded in the index is asked first; if none answers
	// there, the record is stale and the index is opened directly.
	if o, ok := search.ReadOwner(*dir); ok && o.Kind == "serve" && o.URL != "" {
		err := e.backupVia(ctx, o.URL, *to)
		if !isConnError(err) {
			return err
		}
		e.log.Info("no server answers where the index says; opening it directly", "url", o.URL, "err", err)
	}
	idx, err := search.Open(*dir, e.log)
	if le, ok := errors.AsType[*search.LockedError](err); ok && le.Owner.Kind == "serve" && le.Owner.URL != "" {
		return e.backupVia(ctx, le.Owner.URL, *to)
	}
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.SetOwner("backup", ""); err != nil {
		e.log.Warn("cannot record this process as the index's owner", "err", err)
	}
	if err := idx.Backup(*to); err != nil {
		return err
	}
	n, gen, err := checkBackup(*to, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "papersearch: backed up %d papers (generation %d) from %s to %s\n", n, gen, *dir, *to)
	return nil
}

// checkBackup opens a copy and counts its papers.
func checkBackup(dir string, e *env) (uint64, uint64, error) {
	cp, err := search.OpenReadOnly(dir, e.log)
	if err != nil {
		return 0, 0, fmt.Errorf("check the copy: %w", err)
	}
	defer cp.Close()
	n, err := cp.Count()
	if err != nil {
		return 0, 0, fmt.Errorf("check the copy: %w", err)
	}
	return n, cp.Generation(), nil
}

// connError marks a failure to reach a server at all.
type connError struct{ err error }

func (c connError) Error() string { return c.err.Error() }
func (c connError) Unwrap() error { return c.err }

func isConnError(err error) bool {
	_, ok := errors.AsType[connError](err)
	return ok
}

// backupVia asks the server at base for a snapshot and unpacks it to to.
func (e *env) backupVia(ctx context.Context, base, to string) error {
	key := e.getenv("PAPERSEARCH_ADMIN_KEY")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/admin/backup", nil)
	if err != nil {
		return usageError{fmt.Sprintf("--via %s: %v", base, err)}
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if _, ok := errors.AsType[*net.OpError](err); ok {
			return connError{fmt.Errorf("back up through %s: %w", base, err)}
		}
		return fmt.Errorf("back up through %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		msg := resp.Status
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e) == nil && e.Error.Message != "" {
			msg = fmt.Sprintf("%s: %s", resp.Status, e.Error.Message)
		}
		switch {
		case e.Error.Code == "writes_disabled":
			// The server runs without a key: no key of ours can help.
			msg += "; or stop serve, and backup copies the index itself"
		case key == "" && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
			msg += "; set PAPERSEARCH_ADMIN_KEY to the key the server runs with"
		}
		return fmt.Errorf("back up through %s: the server answered %s", base, msg)
	}
	want, _ := strconv.ParseUint(resp.Header.Get(api.HeaderBackupPapers), 10, 64)

	parent := filepath.Dir(to)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(to)+".backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "index")
	if err := untar(resp.Body, dir); err != nil {
		return fmt.Errorf("back up through %s: %w", base, err)
	}
	n, gen, err := checkBackup(dir, e)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("back up through %s: the copy has %d papers, the server said %d", base, n, want)
	}
	if err := os.Rename(dir, to); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "papersearch: backed up %d papers (generation %d) through %s to %s\n", n, gen, base, to)
	return nil
}

// untar unpacks a backup stream into dir: directories and regular files
// only, each inside dir, each synced.
func untar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the backup stream: %w", err)
		}
		name := filepath.FromSlash(strings.TrimSuffix(hdr.Name, "/"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("the backup stream names %q, outside the copy", hdr.Name)
		}
		path := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
		default:
			return fmt.Errorf("the backup stream holds %q, which is not a file or directory", hdr.Name)
		}
	}
}
