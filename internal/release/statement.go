package release

import (
	"encoding/json"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Predicate types of the attestations a release attaches.
const (
	SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
	CycloneDXBOM     = "https://cyclonedx.org/bom"
	SPDXDocument     = "https://spdx.dev/Document"
	statementTypeV1  = "https://in-toto.io/Statement/v1"
	// BuildType names how golocal builds, for provenance readers.
	BuildType = "https://github.com/golocal/golocal/blob/main/docs/release.md#build-type-v1"
)

// Statement is an in-toto v1 statement.
//
// [in-toto statement]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is an artefact a statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

func subject(name string, d v1.Hash) Subject {
	return Subject{Name: name, Digest: map[string]string{d.Algorithm: d.Hex}}
}

// NewStatement marshals a statement about subjects.
func NewStatement(subjects []Subject, predicateType string, predicate any) ([]byte, error) {
	p, ok := predicate.(json.RawMessage)
	if !ok {
		var err error
		if p, err = json.Marshal(predicate); err != nil {
			return nil, err
		}
	}
	return json.Marshal(Statement{Type: statementTypeV1, Subject: subjects, PredicateType: predicateType, Predicate: p})
}

// Provenance is a SLSA v1 provenance predicate.
//
// [SLSA v1 provenance]: https://slsa.dev/spec/v1.0/provenance
type Provenance struct {
	BuildDefinition struct {
		BuildType            string               `json:"buildType"`
		ExternalParameters   map[string]any       `json:"externalParameters"`
		InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
		ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID      string            `json:"id"`
			Version map[string]string `json:"version,omitempty"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string `json:"invocationId,omitempty"`
			StartedOn    string `json:"startedOn,omitempty"`
			FinishedOn   string `json:"finishedOn,omitempty"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// ResourceDescriptor names an input of the build.
type ResourceDescriptor struct {
	URI    string            `json:"uri,omitempty"`
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// provenanceInput is what a provenance statement records.
type provenanceInput struct {
	src        *Source
	image      string
	platforms  []v1.Platform
	goVersion  string
	modules    []ResourceDescriptor
	tool       string
	start, end time.Time
}

func newProvenance(in provenanceInput) *Provenance {
	var p Provenance
	bd := &p.BuildDefinition
	bd.BuildType = BuildType
	plats := make([]string, len(in.platforms))
	for i, pl := range in.platforms {
		plats[i] = pl.String()
	}
	bd.ExternalParameters = map[string]any{
		"source":    sourceURI(in.src),
		"package":   in.src.ImportPath,
		"image":     in.image,
		"platforms": plats,
	}
	bd.InternalParameters = map[string]any{
		"goVersion": in.goVersion,
		"flags":     BuildFlags,
		"env":       map[string]string{"CGO_ENABLED": "0"},
		"dirty":     in.src.Dirty,
	}
	bd.ResolvedDependencies = append([]ResourceDescriptor{{URI: sourceURI(in.src), Digest: map[string]string{"gitCommit": in.src.Revision}}}, in.modules...)
	rd := &p.RunDetails
	rd.Builder.ID = "https://github.com/golocal/golocal/cmd/golocal"
	rd.Builder.Version = map[string]string{"golocal": in.tool}
	rd.Metadata.StartedOn = in.start.UTC().Format(time.RFC3339)
	rd.Metadata.FinishedOn = in.end.UTC().Format(time.RFC3339)
	return &p
}

// sourceURI is the SPDX-style VCS locator git+URL@REVISION.
func sourceURI(src *Source) string {
	repo := src.Repository
	if repo == "" {
		repo = src.ModulePath
	}
	return "git+" + repo + "@" + src.Revision
}

func rawJSON(b []byte) json.RawMessage { return json.RawMessage(b) }
