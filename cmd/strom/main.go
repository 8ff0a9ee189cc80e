// Command strom is the strom stream processor. All of its logic lives in
// internal/cli; see `strom --help`.
package main

import (
	"os"

	"github.com/stromio/strom/internal/cli"
)

func main() { os.Exit(cli.Main()) }
