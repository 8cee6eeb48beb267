// Package smalldisk gives tests a disk that fills up: a small tmpfs,
// mounted for one test. Mounting needs root; without it the test is
// skipped, and says so.
package smalldisk

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Mount mounts a tmpfs of size ("3m") for the test and returns its
// directory, unmounted when the test ends; without root it skips the test,
// with why (and, in alt, what covers the same path without it).
func Mount(t testing.TB, size, alt string) string {
	t.Helper()
	mnt := filepath.Join(t.TempDir(), "small-disk")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s; %s", err, out, alt)
	}
	// Registered after TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	return mnt
}

// Fill writes to a new file at path until the disk is full.
func Fill(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	// Whatever is left is smaller than a chunk; take that too.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			return
		}
	}
}
