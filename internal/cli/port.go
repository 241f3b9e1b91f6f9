package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newPortCmd is replaced by the issue that builds "golocal port".
func newPortCmd(_ *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "port",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitFailure, errors.New("golocal port is not built yet"))
		},
	}
}
