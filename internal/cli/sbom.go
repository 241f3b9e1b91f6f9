package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/sbom"
)

const sbomLong = `Write the software bill of materials of any Go binary, read from the build
information the Go toolchain embeds in it (what 'go version -m BINARY'
prints): the main module, every dependency with its version and go.sum
hash, the Go toolchain and the build settings.

--format cyclonedx (default) writes CycloneDX 1.6 JSON, --format spdx writes
SPDX 2.3 JSON. The output depends only on the binary, so it is reproducible.`

func newSBOMCmd(env *Env) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "sbom BINARY",
		Short: "CycloneDX or SPDX SBOM of a Go binary, from its build information",
		Long:  sbomLong,
		Example: `  golocal sbom ./orders > orders.cdx.json
  golocal sbom --format spdx -o orders.spdx.json ./orders`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "cyclonedx" && format != "cdx" && format != "spdx" {
				return usageErrorf("--format %q: want cyclonedx or spdx", format)
			}
			info, err := sbom.ReadBinary(args[0])
			if err != nil {
				return err
			}
			var b []byte
			switch format {
			case "cyclonedx", "cdx":
				b, err = sbom.EncodeCycloneDX(sbom.CycloneDX(info, "golocal", golocalVersion()))
			default:
				b, err = sbom.EncodeSPDX(sbom.SPDX(info, "golocal", golocalVersion()))
			}
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = env.Stdout.Write(b)
				return err
			}
			if err := os.WriteFile(output, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "wrote %s (%d modules)\n", output, len(info.Deps))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "cyclonedx", "cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
