package nexmark

import (
	"embed"
	"fmt"
	"strings"

	"github.com/stromio/strom/connector/nexmark"
)

// The SQL versions of the queries: the spec's text, the one copy in the
// repository (the parser's golden tests and streamsql's tests read these
// files too), for `strom nexmark bench --sql`.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// SQL returns the SQL text of query name: the DDL of the table it writes
// and its INSERT INTO, over the views of SQLSource; ok is false when the
// query has none.
func SQL(name string) (string, bool) {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil || name == "ddl" {
		return "", false
	}
	return string(b), true
}

// SQLSource returns the DDL of the 'nexmark' table (the generator) and of
// the views person, auction and bid, with the generator options of cfg
// (events, rate, seed, splits, pacing; defaults applied).
func SQLSource(cfg nexmark.GeneratorConfig) (string, error) {
	cfg = cfg.WithDefaults()
	b, err := sqlFiles.ReadFile("sql/ddl.sql")
	if err != nil {
		return "", err
	}
	s := string(b)
	for _, r := range []struct{ old, new string }{
		{"'events.num' = '100000000'", fmt.Sprintf("'events.num' = '%d'", cfg.Events)},
		{"'first-event.rate' = '10000000'", fmt.Sprintf("'first-event.rate' = '%d'", cfg.Rate)},
		{"'next-event.rate' = '10000000'", fmt.Sprintf("'next-event.rate' = '%d'", cfg.Rate)},
		{"'connector' = 'nexmark',", fmt.Sprintf("'connector' = 'nexmark',\n    'seed' = '%d',\n    'splits' = '%d',\n    'rate.limited' = '%t',",
			cfg.Seed, cfg.Splits, cfg.RateLimited)},
	} {
		if strings.Count(s, r.old) != 1 {
			return "", fmt.Errorf("nexmark: the SQL source DDL has no single %s", r.old)
		}
		s = strings.Replace(s, r.old, r.new, 1)
	}
	return s, nil
}
