package cli

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/internal/server"
	"github.com/stromio/strom/internal/web"
)

// jobClient are the flags that find the server: --data-dir (server.json
// and the token there), or --server and --token (or STROM_TOKEN).
type jobClient struct {
	DataDir string
	Server  string
	Token   string
	CAFile  string
	// CertFile and KeyFile are the client certificate of a server with
	// mutual TLS (--client-ca).
	CertFile, KeyFile string

	url   string
	token string
	http  *http.Client
}

func (c *jobClient) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&c.DataDir, "data-dir", "./strom-data", "the data `DIR`ectory of the server (its server.json and token)")
	f.StringVar(&c.Server, "server", "", "the server's `URL` (default: from --data-dir)")
	f.StringVar(&c.Token, "token", "", "the `TOKEN` (default: $STROM_TOKEN, else the token file of --data-dir)")
	f.StringVar(&c.CAFile, "ca-cert", "", "verify an HTTPS server with the CA certificate in `FILE`")
	f.StringVar(&c.CertFile, "client-cert", "", "present this client certificate `FILE` to a server with mutual TLS")
	f.StringVar(&c.KeyFile, "client-key", "", "the private key `FILE` of --client-cert")
}

// resolve finds the server's address and token. The data directory's
// token is only sent to the server its server.json names: a --server URL
// elsewhere needs --token or STROM_TOKEN (the token must not leak to
// whatever host --server names, maybe over plain http).
func (c *jobClient) resolve() error {
	c.url = strings.TrimSuffix(c.Server, "/")
	name := filepath.Join(c.DataDir, server.ServerInfoFile)
	var local string // the URL of the data directory's server, if any
	b, err := os.ReadFile(name)
	switch {
	case err == nil:
		var info server.ServerInfo
		if jerr := json.Unmarshal(b, &info); jerr != nil || info.URL == "" {
			if c.url == "" {
				return fmt.Errorf("%s is not a server description (%v); restart the server to rewrite it", name, jerr)
			}
		} else {
			local = strings.TrimSuffix(info.URL, "/")
		}
	case c.url != "":
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no strom server is running on the data directory %s (no %s): start one with 'strom server --data-dir %s', or give --server URL",
			c.DataDir, name, c.DataDir)
	default:
		return fmt.Errorf("read %s: %w", name, err)
	}
	if c.url == "" {
		c.url = local
	}
	c.token = c.Token
	if c.token == "" {
		c.token = os.Getenv("STROM_TOKEN")
	}
	if c.token == "" {
		if local == "" || c.url != local {
			return fmt.Errorf("no token for %s: give --token or set STROM_TOKEN (the token of the data directory %s is only sent to the server its %s names)",
				c.url, c.DataDir, server.ServerInfoFile)
		}
		name := filepath.Join(c.DataDir, server.TokenFile)
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("no token: give --token or set STROM_TOKEN, or run where the data directory is (%v)", err)
		}
		c.token = strings.TrimSpace(string(b))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return fmt.Errorf("read --ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--ca-cert %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return fmt.Errorf("load --client-cert %s and --client-key %s: %w", c.CertFile, c.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	c.http = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{TLSClientConfig: tc}}
	return nil
}

// call sends a request and decodes the JSON answer into out.
func (c *jobClient) call(method, path string, body, out any) error {
	if err := c.resolve(); err != nil {
		return err
	}
	defer c.http.CloseIdleConnections()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", c.url, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the strom server at %s: %v (is 'strom server' running? check --server or --data-dir)", c.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", c.url, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error, Code string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("the server at %s refused %s %s (%d %s): %s", c.url, method, path, resp.StatusCode, e.Code, e.Error)
		}
		return fmt.Errorf("the server at %s answered %s to %s %s", c.url, resp.Status, method, path)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("the answer of %s to %s %s is not the expected JSON: %w", c.url, method, path, err)
		}
	}
	return nil
}

func newJobCmd() *cobra.Command {
	c := &jobClient{}
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Manage the jobs of a running strom server (list, show, submit, cancel, savepoint)",
		Long: `Talk to a running 'strom server' over its REST API. The server is found
through --data-dir (its server.json and token files), or --server and
--token (or the STROM_TOKEN environment variable).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	c.register(cmd)
	cmd.AddCommand(newJobListCmd(c), newJobShowCmd(c), newJobSubmitCmd(c), newJobCancelCmd(c), newJobSavepointCmd(c),
		newJobSavepointsCmd(c), newJobResultsCmd(c))
	return cmd
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func newJobListCmd(c *jobClient) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the jobs, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct{ Jobs []web.JobSummary }
			if err := c.call("GET", "/api/v1/jobs", nil, &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tKIND\tSTATE\tSTARTED\tRESTARTS\tERROR")
			for _, j := range out.Jobs {
				kind := "insert"
				if j.Query {
					kind = "query"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", j.ID, j.Name, kind, j.State, fmtTime(j.StartedAt), j.Restarts, firstLine(j.Error))
			}
			return tw.Flush()
		},
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func newJobShowCmd(c *jobClient) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a job: state, graph, checkpoints and metrics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if !web.ValidName(id) {
				return usagef(cmd, "invalid job id %q", id)
			}
			var j web.JobDoc
			if err := c.call("GET", "/api/v1/jobs/"+id, nil, &j); err != nil {
				return err
			}
			var ck web.CheckpointsDoc
			if err := c.call("GET", "/api/v1/jobs/"+id+"/checkpoints", nil, &ck); err != nil {
				return err
			}
			var m web.MetricsDoc
			if err := c.call("GET", "/api/v1/jobs/"+id+"/metrics", nil, &m); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "job %s (%s): %s, started %s, %d restarts\n", j.ID, j.Name, j.State, fmtTime(j.StartedAt), j.Restarts)
			if j.Error != "" {
				fmt.Fprintf(w, "error: %s\n", j.Error)
			}
			if b := j.Builtin; b != nil {
				fmt.Fprintf(w, "builtin %s: %s\n", b.Name, b.Description)
			}
			for _, v := range j.Graph.Vertices {
				var ops, ins []string
				for _, o := range v.Operators {
					ops = append(ops, o.Name)
				}
				for _, in := range v.Inputs {
					ins = append(ins, fmt.Sprintf("%d (%s)", in.From, in.Partitioning))
				}
				fmt.Fprintf(w, "  vertex %d x%d: %s", v.ID, v.Parallelism, strings.Join(ops, " -> "))
				if len(ins) > 0 {
					fmt.Fprintf(w, " <- %s", strings.Join(ins, ", "))
				}
				fmt.Fprintln(w)
			}
			if ck.Enabled {
				fmt.Fprintf(w, "checkpoints: %d completed, %d failed, latest %d (%d bytes), restored from %d\n",
					ck.Counts.Completed, ck.Counts.Failed, ck.LatestID, ck.LatestBytes, ck.Restored)
			}
			for _, v := range m.Vertices {
				for _, o := range v.Operators {
					fmt.Fprintf(w, "  %s: %d in, %d out (%.0f/s)\n", o.Name, o.RecordsIn, o.RecordsOut, o.RecordsOutPerSecond)
				}
			}
			return nil
		},
	}
}

func newJobSubmitCmd(c *jobClient) *cobra.Command {
	var req web.SubmitRequest
	cmd := &cobra.Command{
		Use:   "submit FILE.sql | --builtin NAME",
		Short: "Submit a SQL script as a job (INSERT INTO, or a SELECT whose rows the server streams), or a compiled-in job",
		Long: `Submit a SQL script as a job (INSERT INTO, or a SELECT whose rows the
server streams), or with --builtin a compiled-in DataStream job by name:
nexmark-q0 .. nexmark-q22 (the Nexmark queries over a rate-limited
generator into a discarding sink, with checkpoints like SQL jobs).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if req.Builtin != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Builtin != "" {
				var js web.JobSummary
				if err := c.call("POST", "/api/v1/jobs", req, &js); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "submitted job %s (%s): %s\n", js.ID, js.Name, js.State)
				return nil
			}
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			req.SQL = string(src)
			if req.Name == "" {
				req.Name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			var js web.JobSummary
			if err := c.call("POST", "/api/v1/jobs", req, &js); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "submitted job %s (%s): %s\n", js.ID, js.Name, js.State)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "the job's name (default: the file name)")
	f.IntVar(&req.Parallelism, "parallelism", 1, "subtasks of every operator")
	f.StringVar(&req.CheckpointInterval, "checkpoint-interval", "", "checkpoint interval (default: the server's)")
	f.StringVar(&req.CheckpointMinPause, "checkpoint-min-pause", "", "least time from the completion of a checkpoint to the start of the next, e.g. 5s (default: the server's)")
	f.IntVar(&req.CheckpointMaxConcurrent, "checkpoint-max-concurrent", 0, "checkpoints in flight at once, at most `N` (default: the server's)")
	f.StringVar(&req.FromSavepoint, "from-savepoint", "", "start from the savepoint of this `NAME`")
	f.StringVar(&req.Builtin, "builtin", "", "submit the compiled-in job `NAME` (e.g. nexmark-q5) instead of a SQL file")
	return cmd
}

func newJobCancelCmd(c *jobClient) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a job",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !web.ValidName(args[0]) {
				return usagef(cmd, "invalid job id %q", args[0])
			}
			var js web.JobSummary
			if err := c.call("POST", "/api/v1/jobs/"+args[0]+"/cancel", nil, &js); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cancelling job %s\n", js.ID)
			return nil
		},
	}
}

func newJobSavepointCmd(c *jobClient) *cobra.Command {
	var req web.SavepointRequest
	cmd := &cobra.Command{
		Use:   "savepoint ID",
		Short: "Take a savepoint of a job (with --stop, then stop it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !web.ValidName(args[0]) {
				return usagef(cmd, "invalid job id %q", args[0])
			}
			if req.Name == "" {
				req.Name = args[0] + "-" + time.Now().UTC().Format("20060102-150405")
			}
			if !web.ValidName(req.Name) {
				return usagef(cmd, "invalid --name %q: use letters, digits, '.', '_' and '-' (1 to 64)", req.Name)
			}
			var sp web.SavepointInfo
			if err := c.call("POST", "/api/v1/jobs/"+args[0]+"/savepoint", req, &sp); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "savepoint %s of job %s: checkpoint %d, %d bytes", sp.Name, sp.Job, sp.CheckpointID, sp.Bytes)
			if sp.Stopped {
				fmt.Fprint(cmd.OutOrStdout(), "; the job stops")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nresume with: strom job submit FILE.sql --from-savepoint %s\n", sp.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Name, "name", "", "the savepoint's `NAME` (default: ID-<time>)")
	cmd.Flags().BoolVar(&req.Stop, "stop", false, "stop the job after the savepoint")
	return cmd
}

func newJobSavepointsCmd(c *jobClient) *cobra.Command {
	return &cobra.Command{
		Use:   "savepoints",
		Short: "List the savepoints (by name)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct{ Savepoints []web.SavepointInfo }
			if err := c.call("GET", "/api/v1/savepoints", nil, &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tJOB\tCHECKPOINT\tBYTES\tTIME\tSTOPPED")
			for _, sp := range out.Savepoints {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%v\n", sp.Name, sp.Job, sp.CheckpointID, sp.Bytes, fmtTime(sp.Time), sp.Stopped)
			}
			return tw.Flush()
		},
	}
}

func newJobResultsCmd(c *jobClient) *cobra.Command {
	var after uint64
	cmd := &cobra.Command{
		Use:   "results ID",
		Short: "Follow the live results of a query (SELECT) job: one JSON line per row change",
		Long: `Print the rows of a query job as they change, one JSON object per line
({"seq":N,"op":"+I","row":{...}}), from the oldest the server still holds (or
after --after), until the job ends or the command is interrupted. Rows the
server dropped before they were read are reported as {"gap":{"from","to"}}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !web.ValidName(args[0]) {
				return usagef(cmd, "invalid job id %q", args[0])
			}
			if err := c.resolve(); err != nil {
				return err
			}
			path := fmt.Sprintf("/api/v1/jobs/%s/results?after=%d", args[0], after)
			req, err := http.NewRequestWithContext(cmd.Context(), "GET", c.url+path, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+c.token)
			hc := &http.Client{Transport: c.http.Transport} // no timeout: a stream
			resp, err := hc.Do(req)
			if err != nil {
				if cmd.Context().Err() != nil {
					return nil
				}
				return fmt.Errorf("cannot reach the strom server at %s: %v (is 'strom server' running?)", c.url, err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				var e struct{ Error, Code string }
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				if json.Unmarshal(b, &e) == nil && e.Error != "" {
					return fmt.Errorf("the server at %s refused GET %s (%d %s): %s", c.url, path, resp.StatusCode, e.Code, e.Error)
				}
				return fmt.Errorf("the server at %s answered %s to GET %s", c.url, resp.Status, path)
			}
			w := cmd.OutOrStdout()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			event := ""
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					event = line[7:]
				case strings.HasPrefix(line, "data: "):
					if event == "end" {
						fmt.Fprintf(w, "%s\n", line[6:])
						return nil
					}
					fmt.Fprintf(w, "%s\n", line[6:])
				case line == "":
					event = ""
				}
			}
			if cmd.Context().Err() != nil {
				return nil
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("reading the results from %s: %w", c.url, err)
			}
			return fmt.Errorf("the server at %s closed the results stream before the job ended (it may be shutting down)", c.url)
		},
	}
	cmd.Flags().Uint64Var(&after, "after", 0, "start after this sequence number")
	return cmd
}
