// Package chaos holds the crash tests of RELIABILITY.md §6.2 and the
// flow-control tests B1 and B5 of §6.3: the real strom binary runs as a child
// process and is killed with SIGKILL at random times (P1, P5, and P2 with
// injected panics in the child too), in-process jobs get random injected
// panics (P2), a child under a slow sink has its memory read from /proc
// (B1), and a child under sustained load through the journal has its
// output, goroutines, fds, disk and RSS checked (B5, soak_test.go). Every
// child's peak RSS and open fds are bounded. The short tier runs
// under plain `go test`; the long tier needs the build tag chaos
// (`CHAOS=1 scripts/test.sh`). DESIGN.md §5.1 says what they prove.
//
// Every test logs its seed; `go test ./test/chaos -run NAME -seed S` replays
// the same kill times and injected failures.
package chaos

import (
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var seedFlag = flag.Int64("seed", 0, "base random seed of the chaos tests (0: pick one from the clock)")

// stromBin is the strom binary built by TestMain (without -race).
var stromBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if *seedFlag == 0 {
		*seedFlag = time.Now().UnixNano() % 1_000_000_000
	}
	dir, err := os.MkdirTemp("", "strom-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	code := 2
	if err := buildStrom(dir); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: build strom:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildStrom builds ./cmd/strom of the module around the working directory
// into dir.
func buildStrom(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		if gr := os.Getenv("GOROOT"); gr != "" {
			goBin = filepath.Join(gr, "bin", "go")
		} else {
			return err
		}
	}
	stromBin = filepath.Join(dir, "strom")
	cmd := exec.Command(goBin, "build", "-o", stromBin, "./cmd/strom")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// moduleRoot is the nearest directory at or above the working directory
// that holds go.mod.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("no go.mod at or above the working directory")
		}
		d = up
	}
}

// testSeed is the seed of t: the base seed mixed with the test's name, so
// that one test replays alone with the same -seed. It logs how to replay.
func testSeed(t *testing.T) int64 {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	s := *seedFlag ^ int64(h.Sum64()&0x7fffffffffffffff)
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	t.Logf("seed %d (base -seed=%d; replay: go test ./test/chaos -run '%s' -seed=%d)", s, *seedFlag, strings.Join(parts, "/"), *seedFlag)
	return s
}
