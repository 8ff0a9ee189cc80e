package cli

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/internal/server"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
)

// serverConfig are the flags of `strom server`.
type serverConfig struct {
	DataDir            string
	Addr               string
	TLSCert, TLSKey    string
	ClientCA           string
	InsecureBind       bool
	AllowHosts         []string
	CheckpointInterval time.Duration
	CheckpointMinPause time.Duration
	CheckpointDirectIO bool
	CheckpointMaxConc  int
	StreamWriteTimeout time.Duration
	AcceptRisk         bool // journal.Options.AcceptFailedSyncRisk
}

// The bounds of --stream-write-timeout: below the lower one a reader on a
// slow link is dropped for a single delayed write, above the upper one a
// reader that stopped reading holds its stream slot (of 128) that long.
const (
	minStreamWriteTimeout = 100 * time.Millisecond
	maxStreamWriteTimeout = 10 * time.Minute
)

func newServerCmd() *cobra.Command {
	c := &serverConfig{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run strom as a service: a REST API (and dashboard) to submit and manage SQL jobs",
		Long: `Run the engine as a long-lived service. Jobs are submitted as SQL (with
'strom job submit' or POST /api/v1/jobs), listed, inspected, cancelled,
stopped with a savepoint and resumed from one; the embedded journal is open
for tables WITH ('connector' = 'journal'); running jobs are resumed from
their checkpoints when the server starts again.

Everything lives in --data-dir: the tokens (made on first start, mode 0600;
"token" may read and write, "token-readonly" only read), the journal, the
jobs, their checkpoints and the savepoints. Every endpoint but /healthz needs
the token. The server listens on 127.0.0.1 unless told otherwise; another
address needs TLS (--tls-cert, --tls-key), or --insecure-bind. File tables
may only use paths inside the data directory (relative ones are under
files/), and Kafka servers and URLs only the hosts of --allow-host.`,
		Example: `  strom server --data-dir ./strom-data
  strom server --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --client-ca ca.pem`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.CheckpointInterval < 10*time.Millisecond {
				return usagef(cmd, "--checkpoint-interval must be at least 10ms, got %v", c.CheckpointInterval)
			}
			if err := checkServerCheckpointFlags(cmd, c.CheckpointMinPause, c.CheckpointMaxConc); err != nil {
				return err
			}
			if c.StreamWriteTimeout < minStreamWriteTimeout || c.StreamWriteTimeout > maxStreamWriteTimeout {
				return usagef(cmd, "--stream-write-timeout must be between %v and %v, got %v",
					minStreamWriteTimeout, maxStreamWriteTimeout, c.StreamWriteTimeout)
			}
			return runServer(cmd, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data-dir", "./strom-data", "the data `DIR`ectory (created when missing)")
	f.StringVar(&c.Addr, "addr", web.DefaultAddr, "listen `ADDRESS` (host:port)")
	f.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	f.StringVar(&c.TLSKey, "tls-key", "", "the private key `FILE` of --tls-cert (PEM)")
	f.StringVar(&c.ClientCA, "client-ca", "", "require client certificates signed by the CA in `FILE` (mutual TLS)")
	f.BoolVar(&c.InsecureBind, "insecure-bind", false, "allow a non-loopback --addr without TLS (the token travels in clear text)")
	f.StringSliceVar(&c.AllowHosts, "allow-host", nil, "a `HOST` that tables may name in Kafka servers and URLs (repeatable; default: loopback only)")
	f.DurationVar(&c.CheckpointInterval, "checkpoint-interval", 10*time.Second, "checkpoint interval of jobs that give none")
	registerServerCheckpointFlags(f, &c.CheckpointMinPause, &c.CheckpointMaxConc, &c.CheckpointDirectIO)
	f.DurationVar(&c.StreamWriteTimeout, "stream-write-timeout", 10*time.Second,
		"deadline of each write to a live stream (SSE, WebSocket): a client that takes no write for this long is dropped")
	addAcceptRiskFlag(cmd, &c.AcceptRisk)
	return cmd
}

func runServer(cmd *cobra.Command, c *serverConfig) error {
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tlsOn := c.TLSCert != "" || c.TLSKey != ""
	// Check the bind rules before touching the data directory.
	if err := web.CheckBind(c.Addr, tlsOn, c.InsecureBind); err != nil {
		return usagef(cmd, "%s", strings.TrimPrefix(err.Error(), "web: "))
	}
	settings := map[string]string{"addr": c.Addr, "tls": fmt.Sprint(tlsOn), "mutual_tls": fmt.Sprint(c.ClientCA != ""),
		"insecure_bind": fmt.Sprint(c.InsecureBind), "allow_hosts": strings.Join(c.AllowHosts, ","),
		"stream_write_timeout": c.StreamWriteTimeout.String(), "accept_failed_sync_risk": fmt.Sprint(c.AcceptRisk)}
	srv, err := server.Open(server.Config{DataDir: c.DataDir, Version: versionString(), Builtins: builtinJobs(), CheckpointInterval: c.CheckpointInterval,
		CheckpointMinPause: c.CheckpointMinPause, CheckpointMaxConcurrent: c.CheckpointMaxConc,
		BufferedStateWrites: !c.CheckpointDirectIO,
		AllowHosts:          c.AllowHosts, Out: stderr, Logger: logger, Settings: settings, Journal: journal.Options{AcceptFailedSyncRisk: c.AcceptRisk}})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			fmt.Fprintf(stderr, "strom: warning: closing the server: %v\n", err)
		}
	}()
	tok, ro := srv.Tokens()
	ws, err := web.New(web.Config{Addr: c.Addr, Token: tok, ReadOnlyToken: ro, TLSCertFile: c.TLSCert, TLSKeyFile: c.TLSKey,
		ClientCAFile: c.ClientCA, InsecureBind: c.InsecureBind, Logger: logger, Journal: srv.JournalHandler(),
		UI: web.UIHandler(), Metrics: serverMetrics(srv), StreamWriteTimeout: c.StreamWriteTimeout}, srv)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "web: "))
	}
	ln, err := ws.Listen()
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "web: "))
	}
	addr := ln.Addr().String()
	if err := srv.WriteServerInfo(addr, tlsOn); err != nil {
		ln.Close()
		return fmt.Errorf("write %s: %w", filepath.Join(srv.Dir(), server.ServerInfoFile), err)
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "strom server listening on %s://%s (data directory %s)\n", scheme, addr, srv.Dir())
	fmt.Fprintf(stdout, "dashboard: %s://%s/?token=%s\n", scheme, addr, tok)
	fmt.Fprintf(stdout, "tokens: %s (read-write), %s (read-only); 'strom job list --data-dir %s' finds this server\n",
		filepath.Join(srv.Dir(), server.TokenFile), filepath.Join(srv.Dir(), server.ReadOnlyTokenFile), c.DataDir)
	err = ws.Serve(ctx, ln)
	fmt.Fprintln(stdout, "strom server stopped; running jobs resume from their checkpoints at the next start")
	return err
}
