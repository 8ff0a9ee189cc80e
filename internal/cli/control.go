package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/stream"
)

// The control socket. A job run with --checkpoint-dir DIR listens on a Unix
// socket (default DIR/control.sock, for an s3:// DIR remoteControlPath;
// mode 0600: only the same user can connect) for requests of `strom
// savepoint`. A request and its answer are
// one JSON object on one line each:
//
//	-> {"op":"savepoint","dir":"/abs/target","stop":false}
//	<- {"ok":true,"dir":"/abs/target","checkpoint_id":7,"bytes":12345}
//	<- {"ok":false,"error":"..."}
//
// A job on a local checkpoint directory holds its lock (lockCheckpointDir),
// so that a second job on it fails at once, whatever its control socket;
// a job that finds the socket answering refuses to start too.

// maxSocketPath is the longest path a Unix socket address takes on Linux.
const maxSocketPath = 107

type controlRequest struct {
	Op   string `json:"op"`
	Dir  string `json:"dir"`
	Stop bool   `json:"stop"`
}

type controlReply struct {
	OK           bool   `json:"ok"`
	Error        string `json:"error,omitempty"`
	Dir          string `json:"dir,omitempty"`
	CheckpointID int64  `json:"checkpoint_id,omitempty"`
	Bytes        int64  `json:"bytes,omitempty"`
}

// controlPath is the control socket of c ("" without a checkpoint
// directory and --control-socket): --control-socket, DIR/control.sock for a
// local directory, or remoteControlPath for another location (s3://...).
func (c checkpointFlags) controlPath() string {
	switch {
	case c.ControlSocket != "":
		return c.ControlSocket
	case c.Dir == "":
		return ""
	case isRemoteDir(c.Dir):
		return remoteControlPath(c.Dir)
	}
	return filepath.Join(c.Dir, "control.sock")
}

// isRemoteDir reports whether a --checkpoint-dir is a URL (s3://...), not
// a local directory.
func isRemoteDir(dir string) bool { return strings.Contains(dir, "://") }

// remoteControlPath is the default control socket of a job whose
// checkpoint directory loc is not local (there is no directory to put it
// in): ctl-HASH.sock, HASH from loc, in the per-user directory strom-UID of
// the OS temp directory (mode 0700), so that 'strom savepoint
// --checkpoint-dir loc' on the same machine finds the job as it does for a
// local directory. The job prints it at start.
func remoteControlPath(loc string) string {
	sum := sha256.Sum256([]byte(strings.TrimRight(loc, "/")))
	return filepath.Join(os.TempDir(), fmt.Sprintf("strom-%d", os.Getuid()), "ctl-"+hex.EncodeToString(sum[:8])+".sock")
}

// controlServer answers savepoint requests for the job env runs.
type controlServer struct {
	path string
	ln   net.Listener
	wg   sync.WaitGroup
	env  *stream.Environment
	ctx  context.Context
}

// startControl listens on path for env. It fails when another process
// answers on path (a job already runs on the same checkpoint directory);
// a socket file left by a killed process is replaced.
func startControl(ctx context.Context, path string, env *stream.Environment) (*controlServer, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is %d bytes, longer than the %d a Unix socket allows; give a shorter --control-socket",
			path, len(path), maxSocketPath)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another strom job is running on this checkpoint directory (its control socket %s answers); stop it first", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &controlServer{path: path, ln: ln, env: env, ctx: ctx}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *controlServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.handle(conn)
		}()
	}
}

func (s *controlServer) handle(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadBytes('\n')
	var req controlRequest
	reply := controlReply{}
	switch {
	case err != nil:
		reply.Error = "control: reading the request: " + err.Error()
	case json.Unmarshal(line, &req) != nil:
		reply.Error = "control: the request is not a JSON object"
	case req.Op != "savepoint":
		reply.Error = fmt.Sprintf("control: unknown op %q (known: savepoint)", req.Op)
	case !filepath.IsAbs(req.Dir) && !isRemoteDir(req.Dir):
		reply.Error = fmt.Sprintf("control: savepoint directory %q is not an absolute path", req.Dir)
	default:
		_ = conn.SetReadDeadline(time.Time{})
		res, err := s.env.Savepoint(s.ctx, req.Dir, req.Stop)
		if err != nil {
			reply.Error = err.Error()
		} else {
			reply = controlReply{OK: true, Dir: res.Dir, CheckpointID: res.CheckpointID, Bytes: res.Bytes}
		}
	}
	b, _ := json.Marshal(reply)
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = conn.Write(append(b, '\n'))
}

// Close stops listening, removes the socket file and waits for requests in
// flight.
func (s *controlServer) Close() {
	s.ln.Close()
	os.Remove(s.path)
	s.wg.Wait()
}

// executeWithControl runs env (Execute: restarts as configured) with the
// control socket of cf open while it runs, holding the lock of a local
// checkpoint directory (lockCheckpointDir) meanwhile.
//
// A job on a remote checkpoint directory (s3://...) listens on
// remoteControlPath unless given --control-socket, and says so on logw.
func executeWithControl(ctx context.Context, env *stream.Environment, cf checkpointFlags, logw io.Writer) error {
	if cf.Dir != "" && !isRemoteDir(cf.Dir) {
		release, err := lockCheckpointDir(cf.Dir)
		if err != nil {
			return err
		}
		defer release()
	}
	if path := cf.controlPath(); path != "" {
		remoteDefault := cf.ControlSocket == "" && isRemoteDir(cf.Dir)
		if remoteDefault {
			if err := privateDir(filepath.Dir(path)); err != nil {
				return fmt.Errorf("control socket: %w (give the job a --control-socket PATH)", err)
			}
		}
		// Savepoint requests end with the job: their context is the job's.
		jctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s, err := startControl(jctx, path, env)
		if err != nil {
			return err
		}
		if remoteDefault {
			fmt.Fprintf(logw, "strom: control socket %s: take a savepoint of this job with 'strom savepoint --checkpoint-dir %s SAVEPOINT_DIR' on this machine\n",
				path, cf.Dir)
		}
		defer s.Close()
		defer cancel()
		return env.Execute(jctx)
	}
	return env.Execute(ctx)
}

type savepointConfig struct {
	checkpointDir string
	socket        string
	stop          bool
	timeout       time.Duration
}

func newSavepointCmd() *cobra.Command {
	var cfg savepointConfig
	cmd := &cobra.Command{
		Use:   "savepoint --checkpoint-dir DIR [--stop] SAVEPOINT_DIR",
		Short: "Take a savepoint of a running job (and optionally stop it)",
		Long: `Take a savepoint of the job that runs with --checkpoint-dir DIR on this machine:
the job takes a checkpoint at once and copies it into SAVEPOINT_DIR (a new or
empty directory) as a self-contained savepoint. With --stop the job stops
right after; start it again (also changed, or at another parallelism) with
--from-savepoint SAVEPOINT_DIR.

The request goes to the job's control socket: DIR/control.sock unless the job
was given --control-socket; for an s3:// DIR (no local directory), a socket in
the temporary directory named after DIR, which the job printed at start.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.checkpointDir == "" && cfg.socket == "" {
				return usagef(cmd, "give the --checkpoint-dir of the running job (or its --control-socket)")
			}
			target := args[0]
			if !isRemoteDir(target) {
				var err error
				if target, err = filepath.Abs(target); err != nil {
					return err
				}
			}
			cf := checkpointFlags{Dir: cfg.checkpointDir, ControlSocket: cfg.socket}
			path := cf.controlPath()
			rep, err := requestSavepoint(cmd.Context(), path, controlRequest{Op: "savepoint", Dir: target, Stop: cfg.stop}, cfg.timeout)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "savepoint of checkpoint %d written to %s (%s bytes)\n", rep.CheckpointID, rep.Dir, groupDigits(rep.Bytes))
			if cfg.stop {
				fmt.Fprintln(cmd.OutOrStdout(), "the job stopped; resume it with --from-savepoint "+rep.Dir)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.checkpointDir, "checkpoint-dir", "", "the --checkpoint-dir `DIR` of the running job")
	f.StringVar(&cfg.socket, "control-socket", "", "the job's control socket `PATH` (default DIR/control.sock; for an s3:// DIR the one the job printed at start)")
	f.BoolVar(&cfg.stop, "stop", false, "stop the job once the savepoint is complete")
	f.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up waiting for the savepoint after this long")
	return cmd
}

func requestSavepoint(ctx context.Context, path string, req controlRequest, timeout time.Duration) (controlReply, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return controlReply{}, fmt.Errorf("no running job answers on %s: %w (is the job running with this --checkpoint-dir?)", path, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	b, _ := json.Marshal(req)
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return controlReply{}, fmt.Errorf("control socket %s: %w", path, err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadBytes('\n')
	if err != nil {
		return controlReply{}, fmt.Errorf("control socket %s: no answer: %w", path, err)
	}
	var rep controlReply
	if err := json.Unmarshal(line, &rep); err != nil {
		return controlReply{}, fmt.Errorf("control socket %s: bad answer %q", path, line)
	}
	if !rep.OK {
		return controlReply{}, errors.New(rep.Error)
	}
	return rep, nil
}
