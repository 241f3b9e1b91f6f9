package sbom

import (
	"encoding/json"
	"regexp"
	"time"
)

// SPDXMediaType is the media type of an SPDX JSON document.
const SPDXMediaType = "application/spdx+json"

// SPDXDocument is an SPDX 2.3 document with the fields this package fills,
// named as in the SPDX 2.3 JSON schema.
//
// [SPDX 2.3]: https://spdx.github.io/spdx-spec/v2.3/
type SPDXDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      SPDXCreationInfo   `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []SPDXPackage      `json:"packages"`
	Relationships     []SPDXRelationship `json:"relationships"`
}

// SPDXCreationInfo says who made the document and when.
type SPDXCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// SPDXPackage is one module (or the toolchain).
type SPDXPackage struct {
	Name                  string            `json:"name"`
	SPDXID                string            `json:"SPDXID"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	Checksums             []SPDXChecksum    `json:"checksums,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs          []SPDXExternalRef `json:"externalRefs,omitempty"`
	Comment               string            `json:"comment,omitempty"`
}

// SPDXChecksum is a package checksum (algorithm SHA256: the go.sum hash).
type SPDXChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

// SPDXExternalRef is a package URL reference.
type SPDXExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

// SPDXRelationship links two elements (DESCRIBES, DEPENDS_ON).
type SPDXRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func spdxID(m Module) string {
	return "SPDXRef-Package-" + spdxIDUnsafe.ReplaceAllString(m.Path+"-"+m.Version, "-")
}

// SPDX builds an SPDX 2.3 document: the main module DESCRIBED, depending on
// every module and the Go toolchain.
func SPDX(in *Info, tool, toolVersion string) *SPDXDocument {
	created := in.Time()
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	main := spdxPackage(in.Main, "APPLICATION")
	doc := &SPDXDocument{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              in.Path,
		DocumentNamespace: "https://spdx.org/spdxdocs/" + escapePath(in.Path) + "-" + serial("spdx", in.fingerprint()),
		CreationInfo:      SPDXCreationInfo{Created: created.Format(time.RFC3339), Creators: []string{"Tool: " + tool + "-" + toolVersion}},
		DocumentDescribes: []string{main.SPDXID},
		Packages:          []SPDXPackage{main},
		Relationships:     []SPDXRelationship{{"SPDXRef-DOCUMENT", "DESCRIBES", main.SPDXID}},
	}
	std := spdxPackage(Module{Path: "std", Version: in.GoVersion}, "LIBRARY")
	std.Comment = "Go standard library and runtime"
	for _, p := range append([]SPDXPackage{std}, deps(in)...) {
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, SPDXRelationship{main.SPDXID, "DEPENDS_ON", p.SPDXID})
	}
	return doc
}

func deps(in *Info) []SPDXPackage {
	var out []SPDXPackage
	for _, d := range in.Deps {
		out = append(out, spdxPackage(d, "LIBRARY"))
	}
	return out
}

func spdxPackage(m Module, purpose string) SPDXPackage {
	p := SPDXPackage{
		Name: m.Path, SPDXID: spdxID(m), VersionInfo: m.Version,
		DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION",
		CopyrightText: "NOASSERTION", PrimaryPackagePurpose: purpose,
		ExternalRefs: []SPDXExternalRef{{"PACKAGE-MANAGER", "purl", m.PURL()}},
	}
	if h := m.SHA256(); h != "" {
		p.Checksums = []SPDXChecksum{{"SHA256", h}}
	}
	if m.ReplacedPath != "" {
		p.Comment = "replaces " + m.ReplacedPath
	}
	return p
}

// EncodeSPDX renders doc as indented JSON.
func EncodeSPDX(doc *SPDXDocument) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
