package cli

import (
	"io"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/connector/file"
	jconn "github.com/stromio/strom/connector/journal"
	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/journal"
)

// sqlFactories are the connectors SQL tables may name in WITH ('connector'
// = ...) under `strom run` and `strom sql`: file (and its Flink name
// filesystem), kafka, nexmark, datagen, print (to out), blackhole, and journal when
// a journal is open (--journal-dir).
func sqlFactories(out io.Writer, j *journal.Journal) []connector.TableFactory {
	fs := []connector.TableFactory{
		file.TableFactory(), file.FilesystemTableFactory(), kafka.TableFactory(), nexmark.TableFactory(), datagen.TableFactory(),
		builtin.PrintFactory(out), builtin.BlackholeFactory(),
	}
	if j != nil {
		fs = append(fs, jconn.TableFactory(j))
	}
	return fs
}
