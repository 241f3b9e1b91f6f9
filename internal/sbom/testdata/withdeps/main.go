// Command withdeps is a fixture: a main package with real module
// dependencies, built by the sbom tests and compared with go version -m.
package main

import (
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
)

func main() {
	fmt.Println(cdx.SpecVersion1_6, jsonschema.Draft7 != nil, language.English)
}
