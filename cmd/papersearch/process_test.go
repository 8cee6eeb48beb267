package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tests in this file run the real binary in child processes, because what
// they check happens between processes: locks, signals, crashes, a full
// disk. The binary is built once per test run.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary's directory after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds papersearch, once, and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "papersearch-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "papersearch")
		// The go command that runs these tests, else the one on PATH.
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); runtime.GOROOT() == "" || err != nil {
			goBin = "go"
		}
		out, err := exec.Command(goBin, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is papersearch running in a child process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

// startProc starts the binary with args, the environment env (and a
// PATH), and stdin (nil for none).
func startProc(t *testing.T, env map[string]string, stdin io.Reader, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if _, ok := env["HOME"]; !ok {
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir())
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit, at most limit (then kills it and
// fails: a hang), and returns its exit status.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("papersearch %s did not exit within %v (killed)\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), limit, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// runProc runs the binary to completion and returns its exit status.
func runProc(t *testing.T, env map[string]string, stdin io.Reader, args ...string) (*proc, int) {
	t.Helper()
	p := startProc(t, env, stdin, args...)
	code := p.wait(t, 60*time.Second)
	t.Logf("papersearch %s -> exit %d\nstderr:\n%s", strings.Join(args, " "), code, p.stderr)
	return p, code
}

var servingURL = regexp.MustCompile(`at (http://localhost:\d+)/\n`)

// startServeProc starts `papersearch serve` on a free loopback port and
// waits until it says where it listens; it returns the process and the
// base URL to dial.
func startServeProc(t *testing.T, env map[string]string, args ...string) (*proc, string) {
	t.Helper()
	p := startProc(t, env, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingURL.FindStringSubmatch(p.stdout.String()); m != nil {
			return p, strings.Replace(m[1], "localhost", "127.0.0.1", 1)
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited: %v\nstdout: %s\nstderr:\n%s", p.err, p.stdout, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start\nstderr:\n%s", p.stderr)
		}
	}
}

// stopProc sends SIGTERM and returns the exit status.
func stopProc(t *testing.T, p *proc) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t, 20*time.Second)
	t.Logf("papersearch %s stopped: exit %d\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), code, p.stderr)
	return code
}

// waitFor polls cond until it holds, or fails after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// One writer per index: a second index or serve on an index in use fails
// within a few seconds (the 3 s lock wait), names the process that holds
// it, and says what to do.
func TestOneWriterAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := seededIndex(t)
	papers := filepath.Join("testdata", "papers.jsonl")

	t.Run("held by serve", func(t *testing.T) {
		srv, base := startServeProc(t, nil, "--index", dir)
		port := base[strings.LastIndexByte(base, ':')+1:]
		holder := fmt.Sprintf("papersearch serve (pid %d) at http://localhost:%s", srv.pid(), port)
		var wg sync.WaitGroup
		wg.Go(func() {
			start := time.Now()
			p, code := runProc(t, nil, nil, "index", "--index", dir, papers)
			t.Logf("index refused after %v", time.Since(start).Round(time.Millisecond))
			if code != exitUsage {
				t.Errorf("index on a served index: exit %d, want 2", code)
			}
			for _, want := range []string{holder, "post the papers to it instead", "--data-binary @" + papers + " http://localhost:" + port + "/api/papers", "PAPERSEARCH_ADMIN_KEY"} {
				if !strings.Contains(p.stderr.String(), want) {
					t.Errorf("index's error does not say %q:\n%s", want, p.stderr)
				}
			}
		})
		wg.Go(func() {
			p, code := runProc(t, nil, nil, "serve", "--index", dir, "--addr", "127.0.0.1:0")
			if code != exitUsage || !strings.Contains(p.stderr.String(), holder+" holds it; use its HTTP API, stop it, or pass another --index") {
				t.Errorf("second serve: exit %d, stderr %s", code, p.stderr)
			}
		})
		wg.Wait()
		if code := stopProc(t, srv); code != 0 {
			t.Errorf("serve exit %d", code)
		}
	})

	t.Run("held by index", func(t *testing.T) {
		// index reading from a pipe that stays open holds the index until
		// the pipe closes.
		pr, pw := io.Pipe()
		ix := startProc(t, nil, pr, "index", "--index", dir, "-")
		waitFor(t, 10*time.Second, "index to record itself as the owner", func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, "papersearch.pid"))
			return strings.Contains(string(b), fmt.Sprintf(`"pid":%d,"kind":"index"`, ix.pid()))
		})
		holder := fmt.Sprintf("papersearch index (pid %d) holds it; wait for it to finish, stop it, or pass another --index", ix.pid())
		var wg sync.WaitGroup
		for _, args := range [][]string{{"index", "--index", dir, papers}, {"serve", "--index", dir, "--addr", "127.0.0.1:0"}} {
			wg.Go(func() {
				p, code := runProc(t, nil, nil, args...)
				if code != exitUsage || !strings.Contains(p.stderr.String(), holder) {
					t.Errorf("%s while index runs: exit %d, stderr %s", args[0], code, p.stderr)
				}
			})
		}
		wg.Wait()
		f, err := os.Open(papers)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(pw, f)
		f.Close()
		pw.Close()
		if code := ix.wait(t, 30*time.Second); code != 0 {
			t.Errorf("the holding index: exit %d\n%s", code, ix.stderr)
		}
	})
}

// SIGTERM stops serve gracefully: it stops accepting, lets a request in
// flight finish (here a write, which is committed), closes the index
// cleanly (the owner record is removed last) and exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := seededIndex(t)
	env := map[string]string{"PAPERSEARCH_ADMIN_KEY": strings.Repeat("k", 32)}
	srv, base := startServeProc(t, env, "--index", dir)
	addr := strings.TrimPrefix(base, "http://")

	// A POST whose body is held back until after SIGTERM. "Expect:
	// 100-continue" makes the server say when the handler starts reading
	// the body, so the request is known to be in flight.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"id":"2502.99999","title":"Written during shutdown"}` + "\n"
	fmt.Fprintf(conn, "POST /api/papers HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		addr, env["PAPERSEARCH_ADMIN_KEY"], len(body))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	br.ReadString('\n') // the blank line after it

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown has begun.
	waitFor(t, 10*time.Second, "serve to stop accepting", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case <-srv.done:
		t.Fatalf("serve exited with a request in flight\nstderr:\n%s", srv.stderr)
	default:
	}
	io.WriteString(conn, body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read the answer to the request in flight: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"added":1`) {
		t.Errorf("request in flight: %d %s", resp.StatusCode, b)
	}
	if code := srv.wait(t, 20*time.Second); code != 0 {
		t.Errorf("serve exit %d after SIGTERM, want 0\nstderr:\n%s", code, srv.stderr)
	}
	if !strings.Contains(srv.stderr.String(), "stopped; closing the index") {
		t.Errorf("no log of the clean stop:\n%s", srv.stderr)
	}
	// Closed cleanly: the owner record, removed last by Close, is gone,
	// and the index opens at once with the write in it.
	if _, err := os.Stat(filepath.Join(dir, "papersearch.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("owner record left behind (%v): the index was not closed", err)
	}
	idx := openIndex(t, dir)
	if _, err := idx.Get(t.Context(), "2502.99999"); err != nil {
		t.Errorf("the write acknowledged during shutdown is missing: %v", err)
	}
}

// SIGINT (Ctrl-C) stops serve the same way.
func TestServeStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	dir := seededIndex(t)
	srv, _ := startServeProc(t, nil, "--index", dir)
	if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := srv.wait(t, 20*time.Second); code != 0 {
		t.Errorf("serve exit %d after SIGINT, want 0\nstderr:\n%s", code, srv.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "papersearch.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("owner record left behind: %v", err)
	}
}

// serve refuses an admin key too short to be safe, before touching the
// index.
func TestServeShortAdminKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", map[string]string{"HOME": t.TempDir(), "PAPERSEARCH_ADMIN_KEY": "hunter2"}, "serve", "--index", dir, "--addr", "127.0.0.1:0")
	if r.code != exitUsage || r.err == nil || !strings.Contains(r.err.Error(), "PAPERSEARCH_ADMIN_KEY is 7 bytes; it must be at least 32") {
		t.Errorf("serve with a short key: exit %d, %v", r.code, r.err)
	}
	if indexExists(dir) {
		t.Error("serve created the index before refusing the key")
	}
}
