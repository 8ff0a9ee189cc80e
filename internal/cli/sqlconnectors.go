package cli

import "github.com/stromio/strom/connector"

// sqlFactories are the connectors SQL tables may name in WITH ('connector'
// = ...) under `strom run` and `strom sql`. The connector packages provide
// their table factories (file, journal, kafka, nexmark, print, blackhole);
// this list is where the binary registers them.
func sqlFactories() []connector.TableFactory {
	return nil
}
