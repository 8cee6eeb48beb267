package api

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
)

// The write and admin routes. They exist only with an admin key, which a
// request must send as "Authorization: Bearer KEY": 401 without it, 403
// with another. A write is answered 2xx only once it is on disk.

// requireAdmin wraps a handler with the admin key check.
func (s *server) requireAdmin(h handlerFunc) handlerFunc {
	return func(c *gin.Context) error {
		if !s.admin {
			return &httpError{http.StatusForbidden, "writes_disabled",
				"writes and admin routes are off: start papersearch serve with PAPERSEARCH_ADMIN_KEY set to enable them"}
		}
		auth := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			c.Header("WWW-Authenticate", `Bearer realm="papersearch"`)
			return &httpError{http.StatusUnauthorized, "unauthorized", "this route needs the admin key: send Authorization: Bearer KEY"}
		}
		// Hashing first makes the comparison constant-time in the key's
		// length too.
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], s.adminKey[:]) != 1 {
			s.log.Warn("wrong admin key", "path", c.Request.URL.Path, "client", c.ClientIP())
			return &httpError{http.StatusForbidden, "forbidden", "wrong admin key"}
		}
		return h(c)
	}
}

// readBody reads a request body of at most s.maxBody bytes.
func (s *server) readBody(c *gin.Context) ([]byte, error) {
	tooLarge := &httpError{http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("the body is larger than %d bytes; send fewer papers per request", s.maxBody)}
	if c.Request.ContentLength > s.maxBody {
		return nil, tooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, tooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}

// decodeBody undoes a gzip or bzip2 body, as index does for a file
// whatever its name: by the magic bytes, with or without a
// Content-Encoding header. The limit on the body holds for what it
// decompresses to as well, so that a small bomb cannot fill memory.
func (s *server) decodeBody(c *gin.Context, body []byte) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding")))
	var zr io.Reader
	var what string
	switch {
	case enc != "" && enc != "identity" && enc != "gzip" && enc != "x-gzip":
		c.Header("Accept-Encoding", "gzip")
		return nil, &httpError{http.StatusUnsupportedMediaType, "unsupported_encoding",
			fmt.Sprintf("Content-Encoding %q is not supported; send the body as it is, or gzipped", clip(enc))}
	case len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b:
		gz, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, badBody("gzip", err)
		}
		zr, what = gz, "gzip"
	case enc != "" && enc != "identity":
		return nil, &httpError{http.StatusBadRequest, "bad_request", "the request says Content-Encoding: gzip, but the body is not gzip"}
	case isBzip2(body):
		zr, what = bzip2.NewReader(bytes.NewReader(body)), "bzip2"
	default:
		return body, nil
	}
	out, err := io.ReadAll(io.LimitReader(zr, s.maxBody+1))
	if err != nil {
		return nil, badBody(what, err)
	}
	if int64(len(out)) > s.maxBody {
		return nil, &httpError{http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the body decompresses to more than %d bytes; send fewer papers per request", s.maxBody)}
	}
	return out, nil
}

// isBzip2 reports whether b starts a bzip2 stream: "BZh", the block size,
// and the magic of the first block.
func isBzip2(b []byte) bool {
	return len(b) >= 10 && string(b[:3]) == "BZh" && b[3] >= '1' && b[3] <= '9' && string(b[4:10]) == "\x31\x41\x59\x26\x53\x59"
}

func badBody(what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf("the %s body ends early: it is truncated", what)}
	}
	return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf("the %s body cannot be decompressed: %v", what, err)}
}

// maxDetails bounds the rejected records listed in an error.
const maxDetails = 20

// postPapers is POST /api/papers: papers in any format the indexer reads,
// one JSON object included; ?format= forces a format, and ?replace=true
// makes each paper replace the stored one instead of merging into it.
func (s *server) postPapers(c *gin.Context) error {
	q, err := queryValues(c)
	if err != nil {
		return err
	}
	if err := givenOnce(q, "format", "replace"); err != nil {
		return err
	}
	opt := IngestOptions{Format: q.Get("format")}
	if v := q.Get("replace"); v != "" {
		if opt.Replace, err = strconv.ParseBool(v); err != nil {
			return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf("replace must be true or false, not %q", clip(v))}
		}
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	if body, err = s.decodeBody(c, body); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &httpError{http.StatusBadRequest, "bad_request", "the body is empty; send papers as JSON (one object, an array, or JSON lines)"}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.ingest(c.Request.Context(), bytes.NewReader(body), opt)
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		details := res.Rejected[:min(len(res.Rejected), maxDetails)]
		writeJSON(c, http.StatusBadRequest, ErrorResponse{Error: ErrorBody{
			Code:    "bad_records",
			Message: fmt.Sprintf("%d of %d records were rejected, so none was written; fix them and send the request again", len(res.Rejected), max(res.Read, len(res.Rejected))),
			Details: details,
		}})
		return nil
	}
	n, err := s.idx.Count()
	if err != nil {
		return err
	}
	s.log.Info("papers written", "read", res.Read, "added", res.Added, "updated", res.Updated, "merged", res.Merged, "superseded", res.Superseded, "client", c.ClientIP())
	writeJSON(c, http.StatusOK, WriteResponse{Read: res.Read, Added: res.Added, Updated: res.Updated, Merged: res.Merged, Superseded: res.Superseded,
		IDs: res.IDs, Papers: n, Generation: s.idx.Generation()})
	return nil
}

// deletePaper is DELETE /api/papers/{id}.
func (s *server) deletePaper(c *gin.Context) error {
	id := s.paperID(c)
	if id == "" {
		return errNotFound("no paper id given; use /api/papers/{id}")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.idx.Get(c.Request.Context(), id); err != nil {
		return err
	}
	if err := s.idx.Delete([]string{id}); err != nil {
		return err
	}
	n, err := s.idx.Count()
	if err != nil {
		return err
	}
	s.log.Info("paper deleted", "id", id, "client", c.ClientIP())
	writeJSON(c, http.StatusOK, WriteResponse{Deleted: []string{id}, Papers: n, Generation: s.idx.Generation()})
	return nil
}

// Backup headers: what the snapshot holds, for the client to check its
// copy against.
const (
	HeaderBackupPapers     = "X-Papersearch-Papers"
	HeaderBackupGeneration = "X-Papersearch-Generation"
)

// backupWriteTimeout replaces the server's write timeout for a backup,
// which streams the whole index.
const backupWriteTimeout = 30 * time.Minute

// backup is POST /api/admin/backup: a consistent snapshot of the index as
// a tar stream, taken while searches and writes go on. The snapshot is
// first copied next to the index (Bleve copies from a pinned snapshot),
// checked by opening it, then streamed and removed.
func (s *server) backup(c *gin.Context) error {
	if !s.backupMu.TryLock() {
		return &httpError{http.StatusConflict, "busy", "a backup is already running; try again when it is done"}
	}
	defer s.backupMu.Unlock()
	tmp, err := os.MkdirTemp(filepath.Dir(s.idx.Path()), ".papersearch-backup-")
	if err != nil {
		if tmp, err = os.MkdirTemp("", "papersearch-backup-"); err != nil {
			return err
		}
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "index")
	start := time.Now()
	if err := s.idx.Backup(dir); err != nil {
		return err
	}
	cp, err := search.OpenReadOnly(dir, s.log)
	if err != nil {
		return fmt.Errorf("check the backup: %w", err)
	}
	n, err := cp.Count()
	gen := cp.Generation()
	cp.Close()
	if err != nil {
		return fmt.Errorf("check the backup: %w", err)
	}
	s.log.Info("backup snapshot taken", "papers", n, "generation", gen, "took", time.Since(start).Round(time.Millisecond), "client", c.ClientIP())

	if err := http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(backupWriteTimeout)); err != nil {
		s.log.Debug("cannot extend the write deadline for a backup", "err", err)
	}
	c.Header("Content-Type", "application/x-tar")
	c.Header("Content-Disposition", `attachment; filename="papersearch-backup.tar"`)
	c.Header(HeaderBackupPapers, strconv.FormatUint(n, 10))
	c.Header(HeaderBackupGeneration, strconv.FormatUint(gen, 10))
	c.Status(http.StatusOK)
	tw := tar.NewWriter(c.Writer)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		// The status is sent; the client finds the stream cut short.
		s.log.Error("backup stream failed", "err", err)
		c.Abort()
	}
	return nil
}
