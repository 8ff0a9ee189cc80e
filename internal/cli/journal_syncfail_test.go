package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeSyncFailMarker writes a sync-failed marker (docs/format/journal.md
// §4 and §5.1: an envelope STRMJSYF, version 1) by the documented layout.
func writeSyncFailMarker(t *testing.T, pdir, boot string, at time.Time) string {
	t.Helper()
	var pl []byte
	pl = binary.BigEndian.AppendUint32(pl, uint32(len(boot)))
	pl = append(pl, boot...)
	pl = binary.BigEndian.AppendUint64(pl, uint64(at.UnixMilli()))
	pl = binary.BigEndian.AppendUint64(pl, 0)  // segment
	pl = binary.BigEndian.AppendUint64(pl, 10) // synced
	pl = binary.BigEndian.AppendUint64(pl, 20) // end
	reason := "sync: input/output error"
	pl = binary.BigEndian.AppendUint32(pl, uint32(len(reason)))
	pl = append(pl, reason...)
	b := []byte("STRMJSYF")
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(pl)))
	b = append(b, pl...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	name := filepath.Join(pdir, "sync-failed")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// thisBoot is the current boot id, or "" where there is none (then every
// marker counts as this boot's).
func thisBoot() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// A partition whose sync failed in this boot: topics, consume and produce
// refuse it, saying what happened and what to do; verify reports it with
// exit 4; --accept-failed-sync-risk opens it and topics says so; after a
// reboot (another boot id) the journal opens and the marker goes.
func TestJournalSyncFailedThisBoot(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runJ(t, "{\"a\":1}\n{\"a\":2}\n", "produce", "--dir", dir, "--topic", "t"); code != 0 {
		t.Fatal(errs)
	}
	pdir := filepath.Join(dir, "topics", "t", "0")
	at := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	marker := writeSyncFailMarker(t, pdir, thisBoot(), at)
	for _, args := range [][]string{
		{"topics", "--dir", dir},
		{"consume", "--dir", dir, "--topic", "t", "--from-beginning"},
	} {
		code, _, errs := runJ(t, "", args...)
		for _, want := range []string{"needs a reboot after a failed sync", marker, "2026-12-05T21:00:00Z", "Reboot, then open", "--accept-failed-sync-risk"} {
			if code != 1 || !strings.Contains(errs, want) {
				t.Errorf("%v: exit %d, want 1 and %q: %s", args, code, want, errs)
			}
		}
	}
	if code, _, errs := runJ(t, "{}\n", "produce", "--dir", dir, "--topic", "t"); code != 1 || !strings.Contains(errs, "needs a reboot") {
		t.Errorf("produce: exit %d: %s", code, errs)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 4 || !strings.Contains(out, "NOT CONCLUSIVE (a sync failed in this boot)") || !strings.Contains(out, marker) ||
		!strings.Contains(out, "reboot, then verify again") || !strings.Contains(errs, "not conclusive before a reboot") {
		t.Errorf("verify: exit %d, want 4: %s%s", code, out, errs)
	}
	code, out, errs = runJ(t, "", "topics", "--dir", dir, "--accept-failed-sync-risk")
	if code != 0 || !strings.Contains(out, "OPENED AT RISK") || !strings.Contains(errs, "opening a partition whose sync failed in this boot") {
		t.Errorf("topics --accept-failed-sync-risk: exit %d: %s%s", code, out, errs)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("an accepted open in the same boot removed the marker: %v", err)
	}
	if thisBoot() == "" {
		t.Skip("no boot id here: a reboot cannot be told")
	}
	writeSyncFailMarker(t, pdir, "an-earlier-boot", at)
	code, out, errs = runJ(t, "", "verify", "--dir", dir)
	if code != 0 || !strings.Contains(out, "in an earlier boot") {
		t.Errorf("verify after a reboot: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning")
	if code != 0 || len(parseConsumed(t, out)) != 2 || !strings.Contains(errs, "a sync failed in an earlier boot") {
		t.Errorf("consume after a reboot: exit %d: %s%s", code, out, errs)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("marker after a recovery in a later boot: %v", err)
	}
}

// verify tells a read that fails from damage: "I/O error reading", exit 3.
func TestJournalVerifyReadError(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runJ(t, "{\"a\":1}\n", "produce", "--dir", dir, "--topic", "t", "--partitions", "2"); code != 0 {
		t.Fatal(errs)
	}
	// A segment that cannot be read (EISDIR: a directory in its place;
	// root reads past file permissions, so no chmod).
	seg := filepath.Join(dir, "topics", "t", "1", "00000000000000000000.log")
	if err := os.Remove(seg); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(seg, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 3 || !strings.Contains(out, "I/O error reading "+seg) || strings.Contains(out, "CORRUPT") ||
		!strings.Contains(out, "I/O ERROR (not fully checked)") || !strings.Contains(errs, "I/O error reading 1 files") {
		t.Fatalf("exit %d, want 3: %s%s", code, out, errs)
	}
	if code, out, _ := runJ(t, "", "verify", "--help"); code != 0 || !strings.Contains(out, "3  no damage found, but a read failed") {
		t.Errorf("verify --help does not list exit 3: %s", out)
	}
}

// verify of a journal whose topics directory cannot be listed: an I/O
// problem with a report (exit 3), not "damaged" (exit 1) without one.
func TestJournalVerifyTopicsDirUnlistable(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runJ(t, "{\"a\":1}\n", "produce", "--dir", dir, "--topic", "t"); code != 0 {
		t.Fatal(errs)
	}
	// A listing that fails (ENOTDIR: a file in its place; root lists
	// past directory permissions, so no chmod).
	tdir := filepath.Join(dir, "topics")
	if err := os.RemoveAll(tdir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tdir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 3 || !strings.Contains(out, "journal: "+tdir+": I/O error reading "+tdir) || strings.Contains(out, "damaged") ||
		!strings.Contains(out, "reads failed with an I/O error") || !strings.Contains(errs, "I/O error reading 1 files") {
		t.Fatalf("exit %d, want 3 and a report: %s%s", code, out, errs)
	}
}

// strom sql, strom run and strom server open a journal too: they refuse a
// partition whose sync failed in this boot with advice that names their
// own flag, and --accept-failed-sync-risk opens it.
func TestSyncFailedAcceptRiskSQLRunServer(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	jdir := filepath.Join(data, "journal")
	if code, _, errs := runJ(t, "{\"a\":1}\n", "produce", "--dir", jdir, "--topic", "t"); code != 0 {
		t.Fatal(errs)
	}
	writeSyncFailMarker(t, filepath.Join(jdir, "topics", "t", "0"), thisBoot(), time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC))
	script := filepath.Join(t.TempDir(), "show.sql")
	if err := os.WriteFile(script, []byte("SHOW TABLES;"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmds := [][]string{
		{"sql", "--journal-dir", jdir, "-e", "SHOW TABLES"},
		{"run", script, "--journal-dir", jdir},
		{"server", "--data-dir", data, "--addr", "127.0.0.1:0"},
	}
	for _, args := range cmds {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		for _, want := range []string{"needs a reboot after a failed sync", "--accept-failed-sync-risk flag of the strom command", "strom " + args[0]} {
			if code != 1 || !strings.Contains(errb.String(), want) {
				t.Errorf("%v: exit %d, want 1 and %q: %s%s", args, code, want, out.String(), errb.String())
			}
		}
	}
	for _, args := range cmds[:2] {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(args, "--accept-failed-sync-risk"), &out, &errb); code != 0 {
			t.Errorf("%v --accept-failed-sync-risk: exit %d: %s%s", args, code, out.String(), errb.String())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append(cmds[2], "--accept-failed-sync-risk"), &sout, &serr) }()
	pollFor(t, "the server with --accept-failed-sync-risk", func() bool {
		select {
		case code := <-done:
			t.Fatalf("server --accept-failed-sync-risk: exit %d: %s%s", code, sout.String(), serr.String())
		default:
		}
		return strings.Contains(sout.String(), "/?token=")
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("server: exit %d after the cancel: %s", code, serr.String())
	}
}

// A marker that records no boot id is refused in every boot, with advice
// to clear it after the reboot with topics --assume-rebooted, which
// rescans the partition and removes it.
func TestJournalTopicsAssumeRebooted(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runJ(t, "{\"a\":1}\n{\"a\":2}\n", "produce", "--dir", dir, "--topic", "t"); code != 0 {
		t.Fatal(errs)
	}
	marker := writeSyncFailMarker(t, filepath.Join(dir, "topics", "t", "0"), "", time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC))
	code, _, errs := runJ(t, "", "topics", "--dir", dir)
	if want := "strom journal topics --dir " + dir + " --assume-rebooted"; code != 1 || !strings.Contains(errs, want) {
		t.Errorf("topics: exit %d, want 1 and %q: %s", code, want, errs)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 4 || !strings.Contains(out, "--assume-rebooted") {
		t.Errorf("verify: exit %d, want 4 and the --assume-rebooted advice: %s%s", code, out, errs)
	}
	code, out, errs = runJ(t, "", "topics", "--dir", dir, "--assume-rebooted")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("topics --assume-rebooted: exit %d: %s%s", code, out, errs)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the marker stayed after topics --assume-rebooted: %v", err)
	}
	if code, out, errs := runJ(t, "", "verify", "--dir", dir); code != 0 {
		t.Errorf("verify after topics --assume-rebooted: exit %d: %s%s", code, out, errs)
	}
}

// Every command that opens a journal, refused by a sync-failed marker that
// no boot id can tell a reboot from: its message names commands that work
// for it. Its own --accept-failed-sync-risk opens the journal, and the
// `strom journal topics --dir D --assume-rebooted` it names (D: the
// journal directory that command opened) clears the marker, after which
// the command runs.
func TestSyncFailedRefusalNamesWorkingCommands(t *testing.T) {
	script := filepath.Join(t.TempDir(), "show.sql")
	if err := os.WriteFile(script, []byte("SHOW TABLES;"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdRe := regexp.MustCompile("`(strom journal topics --dir [^ `]+ --assume-rebooted)`")
	for _, tc := range []struct {
		name  string
		args  func(data, jdir string) []string
		stdin string
		ready string // a command that runs until stopped: what it prints when running
	}{
		{"sql", func(_, jdir string) []string { return []string{"sql", "--journal-dir", jdir, "-e", "SHOW TABLES"} }, "", ""},
		{"run", func(_, jdir string) []string { return []string{"run", script, "--journal-dir", jdir} }, "", ""},
		{"journal produce", func(_, jdir string) []string { return []string{"journal", "produce", "--dir", jdir, "--topic", "t"} }, "{}\n", ""},
		{"journal consume", func(_, jdir string) []string {
			return []string{"journal", "consume", "--dir", jdir, "--topic", "t", "--from-beginning"}
		}, "", ""},
		{"server", func(data, _ string) []string { return []string{"server", "--data-dir", data, "--addr", "127.0.0.1:0"} }, "", "/?token="},
		{"demo", func(data, _ string) []string {
			return []string{"demo", "--data-dir", data, "--addr", "127.0.0.1:0", "--rate", "10"}
		}, "", "dashboard: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := filepath.Abs(filepath.Join(t.TempDir(), "data"))
			if err != nil {
				t.Fatal(err)
			}
			jdir := filepath.Join(data, "journal") // where server and demo keep it
			if code, _, errs := runJ(t, "{\"a\":1}\n", "produce", "--dir", jdir, "--topic", "t"); code != 0 {
				t.Fatal(errs)
			}
			marker := writeSyncFailMarker(t, filepath.Join(jdir, "topics", "t", "0"), "", time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC))
			args := tc.args(data, jdir)
			// runs the command: to its end, or until it is ready.
			runIt := func(args []string) (int, string) {
				if tc.ready == "" || !slices.Contains(args, "--accept-failed-sync-risk") && fileExists(marker) {
					var out, errb bytes.Buffer
					code := runStdin(context.Background(), args, strings.NewReader(tc.stdin), &out, &errb)
					return code, out.String() + errb.String()
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var sout, serr syncBuffer
				done := make(chan int, 1)
				go func() { done <- run(ctx, args, &sout, &serr) }()
				pollFor(t, strings.Join(args, " "), func() bool {
					select {
					case code := <-done:
						t.Fatalf("%v: exit %d: %s%s", args, code, sout.String(), serr.String())
					default:
					}
					return strings.Contains(sout.String(), tc.ready)
				})
				cancel()
				return <-done, sout.String() + serr.String()
			}
			code, msg := runIt(args)
			if code != 1 || !strings.Contains(msg, "needs a reboot after a failed sync") {
				t.Fatalf("%v: exit %d, want the refusal: %s", args, code, msg)
			}
			if !strings.Contains(msg, "--accept-failed-sync-risk flag of the strom command") || !strings.Contains(msg, "strom "+strings.Fields(tc.name)[0]) {
				t.Errorf("the refusal does not name `strom %s` among the commands with --accept-failed-sync-risk: %s", tc.name, msg)
			}
			if code, out := runIt(append(slices.Clone(args), "--accept-failed-sync-risk")); code != 0 {
				t.Errorf("%v --accept-failed-sync-risk: exit %d: %s", args, code, out)
			}
			if !fileExists(marker) {
				t.Fatal("an accepted open removed a marker that no boot id can tell a reboot from")
			}
			m := cmdRe.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("the refusal names no `strom journal topics --dir D --assume-rebooted`: %s", msg)
			}
			named := strings.Fields(m[1])
			if named[4] != jdir {
				t.Errorf("the refusal names --dir %s, want the journal %s", named[4], jdir)
			}
			var out, errb bytes.Buffer
			if code := run(context.Background(), named[1:], &out, &errb); code != 0 {
				t.Fatalf("%s: exit %d: %s%s", m[1], code, out.String(), errb.String())
			}
			if fileExists(marker) {
				t.Fatalf("%s left the marker", m[1])
			}
			if code, out := runIt(args); code != 0 {
				t.Errorf("%v after %s: exit %d: %s", args, m[1], code, out)
			}
		})
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
