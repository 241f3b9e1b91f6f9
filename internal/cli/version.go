package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// BuildInfo is what `golocal version` reports, read from the binary itself.
type BuildInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Revision  string `json:"vcs_revision,omitempty"`
	Time      string `json:"vcs_time,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"`
	GoVersion string `json:"go_version"`
}

// readBuildInfo extracts BuildInfo from debug.ReadBuildInfo. VCS fields are
// empty when the binary was built with -buildvcs=false or outside a checkout.
func readBuildInfo(read func() (*debug.BuildInfo, bool)) BuildInfo {
	bi := BuildInfo{Module: "github.com/golocal/golocal", Version: "(devel)"}
	info, ok := read()
	if !ok {
		return bi
	}
	bi.GoVersion = info.GoVersion
	if info.Main.Path != "" {
		bi.Module = info.Main.Path
	}
	if info.Main.Version != "" {
		bi.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Revision = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return bi
}

func newVersionCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print golocal's version, VCS revision and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi := readBuildInfo(debug.ReadBuildInfo)
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(bi)
			}
			fmt.Fprintf(env.Stdout, "golocal %s (%s)\n", bi.Version, bi.Module)
			if bi.Revision != "" {
				dirty := ""
				if bi.Modified {
					dirty = " (modified)"
				}
				fmt.Fprintf(env.Stdout, "revision %s%s at %s\n", bi.Revision, dirty, bi.Time)
			} else {
				fmt.Fprintln(env.Stdout, "revision unknown (built without VCS stamping; go build -buildvcs=true adds it)")
			}
			fmt.Fprintf(env.Stdout, "built with %s\n", bi.GoVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
