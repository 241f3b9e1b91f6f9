package sbom

import (
	"bytes"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// CycloneDXMediaType is the media type of a CycloneDX JSON document.
const CycloneDXMediaType = "application/vnd.cyclonedx+json"

// CycloneDX builds a CycloneDX 1.6 bill of materials: the main module as
// the described application, each dependency as a library with its go.sum
// hash as SHA-256, the Go toolchain, and the build settings as properties
// (named as cyclonedx-gomod names them).
//
// [CycloneDX 1.6]: https://cyclonedx.org/docs/1.6/json/
func CycloneDX(in *Info, tool, toolVersion string) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = "urn:uuid:" + serial("cyclonedx", in.fingerprint())
	main := component(in.Main, cdx.ComponentTypeApplication)
	main.Properties = settingsProperties(in)
	meta := &cdx.Metadata{
		Component: &main,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: tool, Version: toolVersion,
		}}},
	}
	if t := in.Time(); !t.IsZero() {
		meta.Timestamp = t.Format(time.RFC3339)
	}
	bom.Metadata = meta
	comps := []cdx.Component{toolchain(in)}
	refs := []string{comps[0].BOMRef}
	for _, d := range in.Deps {
		c := component(d, cdx.ComponentTypeLibrary)
		c.Scope = cdx.ScopeRequired
		comps = append(comps, c)
		refs = append(refs, c.BOMRef)
	}
	bom.Components = &comps
	deps := []cdx.Dependency{{Ref: main.BOMRef, Dependencies: &refs}}
	for _, r := range refs {
		deps = append(deps, cdx.Dependency{Ref: r})
	}
	bom.Dependencies = &deps
	return bom
}

func component(m Module, typ cdx.ComponentType) cdx.Component {
	c := cdx.Component{
		BOMRef:     m.PURL(),
		Type:       typ,
		Name:       m.Path,
		Version:    m.Version,
		PackageURL: m.PURL(),
	}
	if h := m.SHA256(); h != "" {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
	}
	if m.ReplacedPath != "" {
		c.Properties = &[]cdx.Property{{Name: "cdx:gomod:replaces", Value: m.ReplacedPath}}
	}
	return c
}

// toolchain is the Go standard library and runtime the binary embeds.
func toolchain(in *Info) cdx.Component {
	purl := "pkg:golang/std@" + in.GoVersion + "?type=module"
	return cdx.Component{
		BOMRef: purl, Type: cdx.ComponentTypeLibrary, Name: "std", Version: in.GoVersion,
		PackageURL: purl, Scope: cdx.ScopeRequired,
		Description: "Go standard library and runtime (toolchain " + in.GoVersion + ")",
	}
}

func settingsProperties(in *Info) *[]cdx.Property {
	props := []cdx.Property{{Name: "cdx:gomod:build:package", Value: in.Path}}
	for _, s := range in.Settings {
		props = append(props, cdx.Property{Name: "cdx:gomod:build:" + s.Key, Value: s.Value})
	}
	return &props
}

// EncodeCycloneDX renders bom as indented CycloneDX 1.6 JSON.
func EncodeCycloneDX(bom *cdx.BOM) ([]byte, error) {
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
