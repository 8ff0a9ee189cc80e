package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// openDirect reports whether this process has path open with O_DIRECT
// (/proc/self/fd and fdinfo); ok is false when that cannot be told: no
// /proc, or a filesystem that refuses O_DIRECT.
func openDirect(t *testing.T, path string) (direct, ok bool) {
	t.Helper()
	probe := filepath.Join(filepath.Dir(path), "probe")
	f, err := os.OpenFile(probe, os.O_WRONLY|os.O_CREATE|syscall.O_DIRECT, 0o644)
	if errors.Is(err, syscall.EINVAL) {
		return false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.Remove(probe)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false, false
	}
	for _, e := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || target != path {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			return false, false
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, found := strings.CutPrefix(line, "flags:"); found {
				fl, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err != nil {
					t.Fatalf("fdinfo flags %q: %v", v, err)
				}
				return fl&syscall.O_DIRECT != 0, true
			}
		}
	}
	t.Fatalf("%s is not open", path)
	return false, false
}
