package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/ui"
)

// staticFile is one embedded asset, ready to send: its type, a strong
// ETag from its content and, when it pays, a gzipped copy made once.
type staticFile struct {
	contentType string
	etag        string
	body, gz    []byte
}

func loadStatic() (map[string]staticFile, error) {
	out := map[string]staticFile{}
	fsys := ui.Static()
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := staticFile{
			contentType: mime.TypeByExtension(path.Ext(name)),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
			body:        b,
		}
		if f.contentType == "" {
			f.contentType = "application/octet-stream"
		}
		if compressible(f.contentType) && len(b) >= gzipMinBytes {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			f.gz = buf.Bytes()
		}
		out["/"+name] = f
		return nil
	})
	return out, err
}

// static serves the embedded assets. They change only with the binary, so
// clients revalidate (no-cache) and get a 304 until then.
func (s *server) static(c *gin.Context) error {
	f, ok := s.assets[c.Param("file")]
	if !ok {
		// Quoted, so that a bare /static/ reads as an empty name.
		return errNotFound("no static file " + strconv.Quote(strings.TrimPrefix(c.Param("file"), "/")))
	}
	if notModified(c, f.etag) {
		return nil
	}
	h := c.Writer.Header()
	body := f.body
	if f.gz != nil && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		body = f.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Data(http.StatusOK, f.contentType, body)
	return nil
}
