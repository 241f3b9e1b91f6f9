package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDevCmd is replaced by the issue that builds "golocal dev".
func newDevCmd(_ *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "dev",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitFailure, errors.New("golocal dev is not built yet"))
		},
	}
}
