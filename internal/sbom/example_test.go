package sbom_test

import (
	"fmt"
	"os"

	"github.com/golocal/golocal/internal/sbom"
)

// Describe a Go binary in CycloneDX 1.6 JSON.
func Example() {
	info, err := sbom.ReadBinary("./orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := sbom.EncodeCycloneDX(sbom.CycloneDX(info, "golocal", "v1.0.0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(b)
}
