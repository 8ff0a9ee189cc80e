//go:build unix

package cli

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCheckpointDirLock: a job on a checkpoint directory that another job
// holds fails at once, whatever its --control-socket (the audit's two
// 'nexmark run's on one directory with two sockets took each other's
// checkpoint ids), with an error naming the directory, the holder's pid and
// what to do; it leaves the directory as it was. Once the holder lets go,
// the job runs.
func TestCheckpointDirLock(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	release, err := lockCheckpointDir(ck)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"nexmark", "run", "--query", "q1", "--events", "2000", "--checkpoint-dir", ck, "--checkpoint-interval", "10ms",
		"--control-socket", filepath.Join(dir, "s2.sock"), "--out", filepath.Join(dir, "out.jsonl")}
	code, _, stderr := nxRun(t, args...)
	for _, want := range []string{"checkpoint directory " + ck + " is in use", "another strom job is running",
		fmt.Sprintf("pid %d", os.Getpid()), "strom savepoint --checkpoint-dir " + ck, "another --checkpoint-dir"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Fatalf("second job on a locked directory: exit %d, %q; want exit 1 and %q", code, stderr, want)
		}
	}
	if ents, _ := os.ReadDir(ck); len(ents) != 1 || ents[0].Name() != checkpointLockFile {
		t.Fatalf("the refused job touched the directory: %v", ents)
	}
	release()
	if code, _, stderr := nxRun(t, args...); code != 0 {
		t.Fatalf("after the holder let go: exit %d: %s", code, stderr)
	}
}

// TestCheckpointDirLockGoesWithKilledHolder: the lock of a process killed
// with SIGKILL is gone with it (a restart after a crash must not be
// refused), although its lock file still names it.
func TestCheckpointDirLockGoesWithKilledHolder(t *testing.T) {
	if dir := os.Getenv("STROM_TEST_LOCK_HOLDER"); dir != "" {
		// The child: hold the lock, say so, wait to be killed.
		if _, err := lockCheckpointDir(dir); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		select {}
	}
	ck := filepath.Join(t.TempDir(), "ck")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointDirLockGoesWithKilledHolder$")
	cmd.Env = append(os.Environ(), "STROM_TEST_LOCK_HOLDER="+ck)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the holder process said %q", line)
	}
	if _, err := lockCheckpointDir(ck); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("while the child holds it: %v, want the child's pid %d named", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	release, err := lockCheckpointDir(ck)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	release()
}
