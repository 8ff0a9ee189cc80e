package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/server"
)

// 'strom job --server URL' without --token or STROM_TOKEN sends the data
// directory's token only to the server that directory's server.json names;
// any other URL gets an error asking for --token, and no token.
func TestJobTokenOnlyForOwnServer(t *testing.T) {
	t.Setenv("STROM_TOKEN", "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, server.TokenFile), []byte("local-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(server.ServerInfo{Address: "127.0.0.1:8081", URL: "http://127.0.0.1:8081"})
	if err := os.WriteFile(filepath.Join(dir, server.ServerInfoFile), info, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"", "http://127.0.0.1:8081", "http://127.0.0.1:8081/"} {
		c := &jobClient{DataDir: dir, Server: u}
		if err := c.resolve(); err != nil {
			t.Fatalf("--server %q: %v", u, err)
		}
		if c.token != "local-secret" {
			t.Fatalf("--server %q: token %q", u, c.token)
		}
	}
	for _, u := range []string{"http://evil.example:8081", "http://127.0.0.1:9999", "https://127.0.0.1:8081"} {
		c := &jobClient{DataDir: dir, Server: u}
		err := c.resolve()
		if err == nil || !strings.Contains(err.Error(), "--token") || !strings.Contains(err.Error(), "STROM_TOKEN") {
			t.Fatalf("--server %q: err %v", u, err)
		}
		if c.token != "" {
			t.Fatalf("--server %q: the data directory's token was picked up", u)
		}
		c = &jobClient{DataDir: dir, Server: u, Token: "given"}
		if err := c.resolve(); err != nil || c.token != "given" {
			t.Fatalf("--server %q --token: %v %q", u, err, c.token)
		}
	}
	// No server.json at all: --server needs a token of its own.
	_ = os.Remove(filepath.Join(dir, server.ServerInfoFile))
	c := &jobClient{DataDir: dir, Server: "http://127.0.0.1:8081"}
	if err := c.resolve(); err == nil || c.token != "" {
		t.Fatalf("no server.json: err %v token %q", err, c.token)
	}
}
