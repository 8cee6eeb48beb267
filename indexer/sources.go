package indexer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Where papers come from: a command-line argument is a file, a directory
// (walked recursively; the files kept are those whose content a format
// recognises, the others are named in a note), "-" for standard input, or
// an http(s) URL. Compressed sources (gzip, bzip2) are decompressed
// whatever their name.

const (
	// UserAgent is sent with every request, so that a site can tell who
	// is fetching and where to complain.
	UserAgent = "papersearch/0.1 (+https://github.com/papersearch/papersearch)"
	// MaxFetchSize caps what one URL may send.
	MaxFetchSize = 256 << 20
	// FetchTimeout bounds each wait on the network: connecting, the
	// response headers, and any pause while reading the body. A download
	// that keeps making progress is not cut off.
	FetchTimeout = 30 * time.Second
	maxRedirects = 5
)

// ErrTooLarge means a URL sent more than MaxFetchSize bytes.
var ErrTooLarge = errors.New("the source is larger than the size cap")

var errStalled = errors.New("the server stopped sending")

// Source is one input to index.
type Source struct {
	// Name is the path, "-" or URL, as shown in messages and errors.
	Name string
	// Size is the size in bytes as stored (compressed, if it is), or -1
	// when it is not known in advance.
	Size int64

	open func(ctx context.Context) (io.ReadCloser, error)
	read *atomic.Int64
}

// Open starts reading the source, decompressed. Each source can be opened
// once; stdin cannot be read again.
func (s Source) Open(ctx context.Context) (io.ReadCloser, error) {
	if s.open == nil {
		return nil, fmt.Errorf("%s: not a source from ExpandSources", s.Name)
	}
	if s.read == nil {
		s.read = new(atomic.Int64)
	}
	rc, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	return maybeGunzip(countingReader{rc, s.read}, s.Name)
}

// BytesRead returns how many bytes of the source, as stored, have been
// read so far; with Size it gives progress.
func (s Source) BytesRead() int64 {
	if s.read == nil {
		return 0
	}
	return s.read.Load()
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// NewHTTPClient returns the client papersearch fetches with: FetchTimeout
// to connect and for the response headers, and at most five redirects.
// Pauses while reading a body are bounded by the Source, not the client,
// so that a large download is not cut off while it progresses.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: FetchTimeout}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   FetchTimeout,
			ResponseHeaderTimeout: FetchTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects { // via holds the original request too
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
}

// ExpandSources turns command-line arguments into sources, in order. It
// returns every source it could expand, and an error joining the reasons
// for the arguments it could not (a missing path, a directory with nothing
// readable, stdin named twice), so that the caller can report them and go
// on with the rest. The error also joins a *SkippedFiles note for each
// directory holding files that no format recognises; those are not
// failures. URLs are fetched with client, or when client is nil with
// NewGuardedHTTPClient(false), which connects to public addresses only;
// either way only when their source is opened.
func ExpandSources(args []string, stdin io.Reader, client *http.Client) ([]Source, error) {
	if client == nil {
		client = NewGuardedHTTPClient(false)
	}
	var out []Source
	var errs []error
	stdinUsed := false
	for _, arg := range args {
		switch {
		case arg == "-":
			if stdinUsed {
				errs = append(errs, errors.New("-: standard input can be read only once"))
				continue
			}
			stdinUsed = true
			out = append(out, stdinSource(stdin))
		case isURL(arg):
			out = append(out, urlSource(client, arg, MaxFetchSize))
		default:
			st, err := os.Stat(arg)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !st.IsDir() {
				out = append(out, fileSource(arg, st.Size()))
				continue
			}
			found, skipped, err := dirSources(arg)
			if err != nil {
				errs = append(errs, err)
			}
			switch {
			case len(found) == 0 && err == nil:
				errs = append(errs, fmt.Errorf("%s: no file in a format papersearch reads (%s)", arg, strings.Join(FormatNames(), ", ")))
			case len(found) > 0 && len(skipped) > 0:
				errs = append(errs, &SkippedFiles{Dir: arg, Files: skipped})
			}
			out = append(out, found...)
		}
	}
	return out, errors.Join(errs...)
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func stdinSource(stdin io.Reader) Source {
	size := int64(-1)
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return Source{Name: "-", Size: size, read: new(atomic.Int64), open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(stdin), nil
	}}
}

func fileSource(path string, size int64) Source {
	return Source{Name: path, Size: size, read: new(atomic.Int64), open: func(context.Context) (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err // it says "open PATH: reason"
		}
		return f, nil
	}}
}

// SkippedFiles names the files of a directory that no format recognised
// (a README, notes, an empty file): ExpandSources leaves them out and says
// so, and the run goes on. It is a note, not a failure.
type SkippedFiles struct {
	Dir   string
	Files []string // relative to Dir
}

// maxSkippedNamed bounds the names a SkippedFiles note lists.
const maxSkippedNamed = 5

func (s *SkippedFiles) Error() string {
	names := strings.Join(s.Files[:min(len(s.Files), maxSkippedNamed)], ", ")
	if n := len(s.Files) - maxSkippedNamed; n > 0 {
		names += fmt.Sprintf(" and %d more", n)
	}
	files := "files"
	if len(s.Files) == 1 {
		files = "file"
	}
	return fmt.Sprintf("%s: skipped %d %s that no format recognises: %s (to read one anyway, pass it by name with --format)", s.Dir, len(s.Files), files, names)
}

// dirSources walks a directory for files a format recognises, skipping
// hidden files and directories; skipped lists the other files, relative
// to root. Unreadable entries are reported and skipped.
func dirSources(root string) (out []Source, skipped []string, _ error) {
	var errs []error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			if d != nil && d.IsDir() && path != root {
				return fs.SkipDir
			}
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		ok, err := recognised(path)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			out = append(out, fileSource(path, info.Size()))
		default:
			rel, _ := filepath.Rel(root, path)
			skipped = append(skipped, rel)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return out, skipped, errors.Join(errs...)
}

// recognised reports whether a file's content is in a format papersearch
// reads.
func recognised(path string) (bool, error) {
	rc, err := OpenSource(path, nil)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	head := make([]byte, 8<<10)
	n, err := io.ReadFull(decodeUTF16(bufio.NewReader(rc)), head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	_, err = Detect(head[:n])
	return err == nil, nil
}

// urlSource fetches url when opened, sending at most limit bytes on.
func urlSource(client *http.Client, url string, limit int64) Source {
	return Source{Name: url, Size: -1, read: new(atomic.Int64), open: func(ctx context.Context) (io.ReadCloser, error) {
		return fetch(ctx, client, url, limit, FetchTimeout)
	}}
}

// fetch GETs url. The body fails with ErrTooLarge past limit bytes, and the
// request is cancelled when no data arrives for idle.
func fetch(ctx context.Context, client *http.Client, url string, limit int64, idle time.Duration) (io.ReadCloser, error) {
	ctx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil) }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	fail := func(err error) (io.ReadCloser, error) {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("HTTP %s", resp.Status)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			err = fmt.Errorf("HTTP %s: the server asks to retry after %s", resp.Status, clip(ra))
		}
		return fail(err)
	}
	if resp.ContentLength > limit {
		return fail(fmt.Errorf("%w: %d bytes, the cap is %d MiB", ErrTooLarge, resp.ContentLength, limit>>20))
	}
	// A stalled body cancels the request; every byte that arrives buys
	// another idle period.
	timer := time.AfterFunc(idle, func() { cancelCause(fmt.Errorf("%w for %s", errStalled, idle)) })
	return &fetchBody{ctx: ctx, body: resp.Body, limit: limit, idle: idle, timer: timer, cancel: cancel, url: url}, nil
}

type fetchBody struct {
	ctx    context.Context
	body   io.ReadCloser
	limit  int64
	n      int64
	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelFunc
	url    string
}

func (b *fetchBody) Read(p []byte) (int, error) {
	if b.n > b.limit {
		return 0, fmt.Errorf("fetch %s: %w (%d MiB)", b.url, ErrTooLarge, b.limit>>20)
	}
	if int64(len(p)) > b.limit+1-b.n {
		p = p[:b.limit+1-b.n]
	}
	n, err := b.body.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	b.n += int64(n)
	if b.n > b.limit {
		return n - int(b.n-b.limit), fmt.Errorf("fetch %s: %w (%d MiB)", b.url, ErrTooLarge, b.limit>>20)
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); errors.Is(cause, errStalled) {
			err = cause
		}
		err = fmt.Errorf("fetch %s: %w", b.url, err)
	}
	return n, err
}

func (b *fetchBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel()
	return err
}
