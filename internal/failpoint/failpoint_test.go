package failpoint

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		name string
		nth  int64
		bad  bool
	}{
		{spec: "sink-precommit", name: "sink-precommit", nth: 1},
		{spec: "metadata-committed@7", name: "metadata-committed", nth: 7},
		{spec: "nope", bad: true},
		{spec: "sink-precommit@0", bad: true},
		{spec: "sink-precommit@-1", bad: true},
		{spec: "sink-precommit@x", bad: true},
		{spec: "sink-precommit@", bad: true},
	} {
		c, err := parse(tc.spec)
		if tc.bad {
			if err == nil {
				t.Errorf("parse(%q) accepted", tc.spec)
			}
			continue
		}
		if err != nil || c.name != tc.name || c.nth != tc.nth {
			t.Errorf("parse(%q) = %+v, %v; want %s@%d", tc.spec, c, err, tc.name, tc.nth)
		}
	}
}

func TestEnablePanicsAtNthHit(t *testing.T) {
	restore, err := Enable("snapshot-written@3")
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	Hit("snapshot-written")
	Hit("metadata-committed") // another name does not count
	Hit("snapshot-written")
	if Hits() != 2 {
		t.Fatalf("Hits = %d, want 2", Hits())
	}
	defer func() {
		c, ok := recover().(*Crash)
		if !ok || c.Name != "snapshot-written" || c.Hit != 3 {
			t.Fatalf("recovered %v, want the crash of snapshot-written at hit 3", c)
		}
		Hit("snapshot-written") // past the selected hit: nothing
	}()
	Hit("snapshot-written")
	t.Fatal("the third hit did not panic")
}

func TestDisabledHitIsCheap(t *testing.T) {
	restore, _ := Enable("")
	defer restore()
	if n := testing.AllocsPerRun(100, func() { Hit("sink-precommit") }); n != 0 {
		t.Fatalf("Hit allocates %v times", n)
	}
}

// TestKill re-runs this test binary with STROM_FAILPOINT set: the child must
// die by SIGKILL at the second hit, after writing the line, and run no
// deferred function.
func TestKill(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		defer os.Stdout.WriteString("deferred ran\n")
		Hit("retain-before")
		os.Stdout.WriteString("first hit passed\n")
		Hit("retain-before")
		os.Stdout.WriteString("second hit passed\n")
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is Unix")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill$", "-test.v")
	cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvVar+"=retain-before@2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want killed", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", ws)
	}
	if !strings.Contains(stderr.String(), "failpoint retain-before hit\n") {
		t.Fatalf("stderr %q lacks the failpoint line", stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "first hit passed") || strings.Contains(out, "second hit passed") || strings.Contains(out, "deferred ran") {
		t.Fatalf("child stdout %q", out)
	}
}

func TestUnknownNameExits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), EnvVar+"=no-such-point")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "unknown failpoint") {
		t.Fatalf("child: %v, %q; want exit 2 naming the unknown failpoint", err, out)
	}
}
