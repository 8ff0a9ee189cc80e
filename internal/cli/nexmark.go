package cli

import "github.com/spf13/cobra"

// nexmarkSubcommands are the constructors of the `strom nexmark`
// subcommands; each subcommand's file adds itself in an init function.
var nexmarkSubcommands []func() *cobra.Command

func newNexmarkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nexmark",
		Short: "Generate Nexmark events, run Nexmark queries, benchmark them",
		Long: `Nexmark models an online auction site (people, auctions, bids) and is the
standard benchmark of streaming engines. These subcommands generate its
events, run one query over a file or the built-in generator, and benchmark
queries (see ../shared/nexmark/SPEC.md of the project).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, f := range nexmarkSubcommands {
		cmd.AddCommand(f())
	}
	return cmd
}
