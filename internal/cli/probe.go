package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newProbeCmd is replaced by the issue that builds "golocal probe".
func newProbeCmd(_ *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "probe",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitFailure, errors.New("golocal probe is not built yet"))
		},
	}
}
