package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// The interactive `strom sql` shell, in the manner of Flink's SQL client:
// statements end with ";" and may span lines; DDL, SET, SHOW, DESCRIBE and
// EXPLAIN print their result; a SELECT shows its result as a table that
// updates while the query runs (or, with SET 'sql-client.execution.
// result-mode' = 'changelog', as the stream of changes); INSERT INTO starts
// a job in the background (SHOW JOBS, STOP JOB 'n'). History (up/down
// arrows) is kept in ~/.strom_sql_history.

// shellIO is the shell's terminal: keys come from in, the screen is out. On
// a real terminal (raw mode) lines end in "\r\n".
type shellIO struct {
	in   io.Reader
	out  io.Writer
	raw  bool
	size func() (width, height int)
	// refresh is the interval of the live table's redraw.
	refresh time.Duration
}

// keyReader reads the terminal's input on its own goroutine, so that the
// shell can wait for a key and for query results at once. It ends at the
// input's end (the process ends with the shell otherwise).
type keyReader struct {
	ch   chan []byte
	rest []byte
	err  error
}

func newKeyReader(in io.Reader) *keyReader {
	k := &keyReader{ch: make(chan []byte)}
	go func() {
		defer close(k.ch)
		for {
			buf := make([]byte, 256)
			n, err := in.Read(buf)
			if n > 0 {
				k.ch <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return k
}

// Read is the terminal's input (term.Terminal reads through it).
func (k *keyReader) Read(p []byte) (int, error) {
	if len(k.rest) == 0 {
		b, ok := <-k.ch
		if !ok {
			return 0, io.EOF
		}
		k.rest = b
	}
	n := copy(p, k.rest)
	k.rest = k.rest[n:]
	return n, nil
}

// shellJob is an INSERT job started from the shell.
type shellJob struct {
	id    int
	stmt  string
	job   *streamsql.Job
	mu    sync.Mutex
	state string // running, finished, failed: ..., cancelled
}

func (j *shellJob) getState() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

type shell struct {
	io    shellIO
	keys  *keyReader
	tm    *term.Terminal
	hist  *shellHistory
	sess  *streamsql.Session
	mode  string // table, changelog
	jobs  []*shellJob
	wg    sync.WaitGroup
	ctx   context.Context
	close func()
}

// shellHistory is the terminal's history of whole statements: the lines
// term.Terminal adds one by one are ignored, the shell records each
// statement (its lines joined) itself.
type shellHistory struct{ *fileHistory }

func (shellHistory) Add(string) {}

func (h shellHistory) record(stmt string) {
	if strings.Contains(stmt, "--") {
		return // a line comment would swallow the joined lines
	}
	h.fileHistory.Add(strings.Join(strings.Fields(stmt), " "))
}

// historyPath is the shell's history file ("" when there is no home).
func historyPath() string {
	if p := os.Getenv("STROM_SQL_HISTORY"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".strom_sql_history")
}

// shellNoCheckpoints is why SET of a checkpoint key is an error in the
// shell.
const shellNoCheckpoints = "the interactive shell runs its jobs without checkpoints (a bounded INSERT commits its output at the end of its input); " +
	"run the script with 'strom run FILE.sql' or 'strom sql -e' for a job that takes checkpoints"

// runShell runs the interactive shell until the input ends, QUIT or EXIT.
func runShell(ctx context.Context, c *sqlConfig, sio shellIO) error {
	var factories []connector.TableFactory
	if c.factories != nil {
		factories = c.factories()
	} else {
		var j *journal.Journal
		if c.JournalDir != "" {
			jj, closeJ, err := openJournalWith(c.JournalDir, true, journal.Options{AcceptFailedSyncRisk: c.AcceptRisk}, sio.out)
			if err != nil {
				return err
			}
			defer closeJ()
			j = jj
		}
		factories = sqlFactories(sio.out, j)
	}
	if sio.refresh <= 0 {
		sio.refresh = 200 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	sh := &shell{io: sio, mode: "table", ctx: ctx, close: cancel}
	sh.sess = streamsql.NewSession(streamsql.Options{Factories: factories, Parallelism: c.Parallelism,
		NoCheckpoints: shellNoCheckpoints,
		Warnf:         func(format string, args ...any) { sh.println("WARNING: "+format, args...) }})
	sh.sess.RegisterNexmarkFunctions()
	sh.keys = newKeyReader(sio.in)
	sh.tm = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{sh.keys, sio.out}, "strom> ")
	sh.hist = &shellHistory{loadHistory(historyPath())}
	sh.tm.History = sh.hist
	if sio.size != nil {
		w, h := sio.size()
		_ = sh.tm.SetSize(w, h)
	}
	defer sh.stopAll()
	sh.println("strom SQL shell. Statements end with ';'. HELP; lists the commands, QUIT; or Ctrl-D leaves.")
	var buf strings.Builder
	for {
		if buf.Len() == 0 {
			sh.tm.SetPrompt("strom> ")
		} else {
			sh.tm.SetPrompt("     > ")
		}
		line, err := sh.tm.ReadLine()
		if err != nil && !errors.Is(err, term.ErrPasteIndicator) {
			if buf.Len() > 0 { // Ctrl-C (or Ctrl-D) drops the unfinished statement
				buf.Reset()
				continue
			}
			sh.println("Bye.")
			return nil
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		text := buf.String()
		if strings.TrimSpace(text) == "" {
			buf.Reset()
			continue
		}
		if !statementEnd(text) && !bareCommand(text) {
			continue
		}
		buf.Reset()
		sh.hist.record(text)
		for _, st := range splitStatements(text) {
			if quit := sh.run(st); quit {
				sh.println("Bye.")
				return nil
			}
		}
	}
}

// bareCommand reports whether text is a shell command that may be typed
// without ";" (QUIT, EXIT, HELP).
func bareCommand(text string) bool {
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "QUIT", "EXIT", "HELP":
		return true
	}
	return false
}

// splitStatements splits text at its top-level ";" (dropping empty
// statements).
func splitStatements(text string) []string {
	stmts, _, _, _ := scanSQL(text)
	return stmts
}

// nl is the line end of the shell's screen.
func (sh *shell) nl() string {
	if sh.io.raw {
		return "\r\n"
	}
	return "\n"
}

// println writes a line through the terminal (which keeps a prompt being
// edited intact when a background job reports).
func (sh *shell) println(format string, args ...any) {
	fmt.Fprintf(sh.tm, format+"\n", args...)
}

// writeBlock writes text (lines ended by "\n") to the screen.
func (sh *shell) writeBlock(text string) {
	if text == "" {
		return
	}
	if sh.io.raw {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	io.WriteString(sh.io.out, text)
}

// run executes one statement; it reports whether the shell should end.
func (sh *shell) run(stmt string) (quit bool) {
	w1, w2 := firstWords(stmt)
	switch {
	case w1 == "QUIT" || w1 == "EXIT":
		return true
	case w1 == "HELP":
		sh.writeBlock(shellHelp)
	case w1 == "CLEAR":
		io.WriteString(sh.io.out, "\x1b[H\x1b[2J")
	case w1 == "SHOW" && w2 == "JOBS":
		sh.showJobs()
	case w1 == "STOP" && w2 == "JOB":
		sh.stopJob(stmt)
	case w1 == "SET" && strings.Contains(strings.ToLower(stmt), "sql-client.execution.result-mode"):
		sh.setMode(stmt)
	case w1 == "SELECT" || w1 == "WITH" || w1 == "VALUES":
		sh.query(stmt)
	case w1 == "INSERT" || w1 == "EXECUTE" || (w1 == "BEGIN" && w2 == "STATEMENT"):
		sh.insert(stmt)
	default:
		res, err := sh.sess.Exec(sh.ctx, stmt)
		if err != nil {
			sh.printErr(stmt, err)
			return false
		}
		sh.writeBlock(res.Text)
	}
	return false
}

const shellHelp = `Statements (end each with ";"):
  CREATE TABLE / VIEW, DROP, SHOW TABLES, DESCRIBE t, EXPLAIN ..., SET 'k' = 'v'
  SELECT ...          runs the query and shows its result live; q or Ctrl-C stops it
  INSERT INTO ...     starts a job in the background
  SHOW JOBS           the jobs started here and their state
  STOP JOB 'n'        cancels job n
  SET 'sql-client.execution.result-mode' = 'table' | 'changelog'
  CLEAR               clears the screen
  QUIT, EXIT          leaves (running jobs are cancelled)
`

func (sh *shell) printErr(stmt string, err error) {
	var se *streamsql.Error
	if errors.As(err, &se) {
		sh.writeBlock("[ERROR] " + se.Pretty(stmt) + "\n")
		return
	}
	sh.writeBlock("[ERROR] " + err.Error() + "\n")
}

func (sh *shell) setMode(stmt string) {
	low := strings.ToLower(stmt)
	switch {
	case strings.Contains(low, "'table'"):
		sh.mode = "table"
	case strings.Contains(low, "'changelog'"), strings.Contains(low, "'tableau'"):
		sh.mode = "changelog"
	default:
		sh.writeBlock("[ERROR] sql-client.execution.result-mode is 'table' or 'changelog'\n")
		return
	}
	sh.writeBlock("[INFO] result mode: " + sh.mode + "\n")
}

func (sh *shell) insert(stmt string) {
	job, res, err := sh.sess.Submit(sh.ctx, stmt)
	if err != nil {
		sh.printErr(stmt, err)
		return
	}
	sh.writeBlock(res.Text)
	if job == nil {
		return
	}
	j := &shellJob{id: len(sh.jobs) + 1, stmt: strings.Join(strings.Fields(stmt), " "), job: job, state: "running"}
	sh.jobs = append(sh.jobs, j)
	sh.println("[INFO] Submitted job %d. SHOW JOBS; lists it, STOP JOB '%d'; cancels it.", j.id, j.id)
	sh.wg.Add(1)
	go func() {
		defer sh.wg.Done()
		err := job.Wait()
		j.mu.Lock()
		switch {
		case j.state == "cancelled":
		case err != nil:
			j.state = "failed: " + err.Error()
		default:
			j.state = "finished"
		}
		st := j.state
		j.mu.Unlock()
		if sh.ctx.Err() == nil {
			sh.println("[INFO] Job %d %s.", j.id, st)
		}
	}()
}

func (sh *shell) showJobs() {
	if len(sh.jobs) == 0 {
		sh.writeBlock("No jobs were started in this session.\n")
		return
	}
	var b bytes.Buffer
	rows := make([][]string, 0, len(sh.jobs))
	for _, j := range sh.jobs {
		rows = append(rows, []string{fmt.Sprint(j.id), j.getState(), j.stmt})
	}
	renderTable(&b, []string{"job", "state", "statement"}, rows, 0, "\n")
	sh.writeBlock(b.String())
}

func (sh *shell) stopJob(stmt string) {
	var id int
	arg := strings.TrimSpace(stmt[strings.Index(strings.ToUpper(stmt), "JOB")+3:])
	arg = strings.Trim(arg, "'\" ;")
	if _, err := fmt.Sscan(arg, &id); err != nil || id < 1 || id > len(sh.jobs) {
		sh.writeBlock(fmt.Sprintf("[ERROR] STOP JOB needs the number of a job of SHOW JOBS, got %q\n", arg))
		return
	}
	j := sh.jobs[id-1]
	j.mu.Lock()
	running := j.state == "running"
	if running {
		j.state = "cancelled"
	}
	j.mu.Unlock()
	if !running {
		sh.writeBlock(fmt.Sprintf("[INFO] Job %d is not running (%s).\n", id, j.getState()))
		return
	}
	j.job.Cancel()
	<-j.job.Done()
	sh.writeBlock(fmt.Sprintf("[INFO] Job %d cancelled.\n", id))
}

// stopAll cancels the jobs still running and waits for them.
func (sh *shell) stopAll() {
	for _, j := range sh.jobs {
		j.mu.Lock()
		if j.state == "running" {
			j.state = "cancelled"
			j.job.Cancel()
		}
		j.mu.Unlock()
	}
	sh.close()
	sh.wg.Wait()
}

// query runs a SELECT and shows its result until it ends or the user stops
// it with q or Ctrl-C.
func (sh *shell) query(stmt string) {
	res := newResultTable(nil) // the columns are known once the query is planned
	var mu sync.Mutex
	var pending []string // changelog mode: lines to print
	// The values as `strom sql -e` prints them: a TIMESTAMP_LTZ in the
	// session time zone (the schema comes with each row).
	job, rs, err := sh.sess.QuerySchema(sh.ctx, stmt, func(rs *streamsql.ResultSchema, r table.Row) error {
		f := make([]string, 0, len(r.Fields)+1)
		f = append(f, r.Kind.String())
		for i := range r.Fields {
			f = append(f, string(rs.AppendText(nil, r, i)))
		}
		if sh.mode == "changelog" {
			mu.Lock()
			pending = append(pending, strings.Join(f, " | "))
			mu.Unlock()
			return nil
		}
		res.apply(r.Kind, f[1:])
		return nil
	})
	if err != nil {
		sh.printErr(stmt, err)
		return
	}
	names := make([]string, len(rs.Columns))
	for i, c := range rs.Columns {
		names[i] = c.Name
	}
	res.setCols(names)
	started := time.Now()
	tick := time.NewTicker(sh.io.refresh)
	defer tick.Stop()
	live := sh.mode == "table"
	if live {
		io.WriteString(sh.io.out, "\x1b[?1049h") // the alternate screen
	} else {
		sh.writeBlock(strings.Join(append([]string{"op"}, names...), " | ") + "\n")
	}
	flush := func() {
		mu.Lock()
		lines := pending
		pending = nil
		mu.Unlock()
		if len(lines) > 0 {
			sh.writeBlock(strings.Join(lines, "\n") + "\n")
		}
	}
	state := "running"
loop:
	for {
		select {
		case b, ok := <-sh.keys.ch:
			if !ok || bytes.ContainsAny(b, "qQ\x03") {
				job.Cancel()
				<-job.Done()
				state = "stopped"
				break loop
			}
		case <-job.Done():
			if err := job.Wait(); err != nil {
				state = "failed: " + err.Error()
			} else {
				state = "finished"
			}
			break loop
		case <-tick.C:
			if live {
				sh.drawLive(res, state, started)
			} else {
				flush()
			}
		}
	}
	if live {
		io.WriteString(sh.io.out, "\x1b[?1049l") // back to the main screen
		var b bytes.Buffer
		res.render(&b, 50, 0, "\n")
		sh.writeBlock(b.String())
	} else {
		flush()
	}
	rows, changes := res.counts()
	if sh.mode == "changelog" {
		sh.writeBlock(fmt.Sprintf("Query %s.\n", state))
		return
	}
	sh.writeBlock(fmt.Sprintf("Query %s: %d rows (%d changes) in %s.\n", state, rows, changes, time.Since(started).Round(time.Millisecond)))
}

// drawLive redraws the live table on the alternate screen.
func (sh *shell) drawLive(res *resultTable, state string, started time.Time) {
	w, h := 80, 24
	if sh.io.size != nil {
		w, h = sh.io.size()
	}
	var b bytes.Buffer
	b.WriteString("\x1b[H\x1b[2J")
	nl := sh.nl()
	rows, changes := res.counts()
	fmt.Fprintf(&b, "\x1b[1mstrom SQL result (table)\x1b[0m  %d rows, %d changes, %s, %s%s", rows, changes, state,
		time.Since(started).Round(time.Second), nl)
	res.render(&b, max(h-9, 1), w, nl)
	fmt.Fprintf(&b, "%s\x1b[7m q \x1b[0m stop the query", nl)
	sh.io.out.Write(b.Bytes())
}
