package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// goVersionM runs `go version -m` on bin and returns its modules.
func goVersionM(t *testing.T, bin string) []Module {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	mods := ParseGoVersionM(out)
	if len(mods) == 0 {
		t.Fatalf("go version -m listed no dependency:\n%s", out)
	}
	return mods
}

var fixture struct {
	sync.Once
	path string
	err  error
}

// thisBinary builds testdata/withdeps once: a Go binary with real
// dependencies (test binaries record none).
func thisBinary(t *testing.T) string {
	t.Helper()
	fixture.Do(func() {
		dir, err := os.MkdirTemp("", "sbom-fixture-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.path = filepath.Join(dir, "withdeps")
		out, err := exec.Command("go", "build", "-o", fixture.path, "./testdata/withdeps").CombinedOutput()
		if err != nil {
			fixture.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.path != "" {
		os.RemoveAll(filepath.Dir(fixture.path))
	}
	os.Exit(code)
}

func TestCycloneDXListsEveryModule(t *testing.T) {
	bin := thisBinary(t)
	info, err := ReadBinary(bin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeCycloneDX(CycloneDX(info, "golocal", "test"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Name, Version string
			Hashes        []struct{ Alg, Content string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SpecVersion != "1.6" {
		t.Errorf("specVersion %q, want 1.6", doc.SpecVersion)
	}
	got := map[string]string{}
	for _, c := range doc.Components {
		h := ""
		if len(c.Hashes) == 1 && c.Hashes[0].Alg == "SHA-256" {
			h = c.Hashes[0].Content
		}
		got[c.Name] = c.Version + " " + h
	}
	for _, m := range goVersionM(t, bin) {
		if want := m.Version + " " + m.SHA256(); got[m.Path] != want || m.SHA256() == "" {
			t.Errorf("%s: SBOM has %q, go version -m has %s %s", m.Path, got[m.Path], m.Version, m.Sum)
		}
	}
	if got["std"] == "" {
		t.Error("the Go toolchain is not listed")
	}
	if err := validate(t, b); err != nil {
		t.Errorf("not valid CycloneDX 1.6: %v", err)
	}
}

func validate(t *testing.T, doc []byte) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		r, err := os.Open(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		s, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, s); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestSchemaRejectsBadBOM(t *testing.T) {
	// The validator must be able to fail: a hash that is not hex.
	bad := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"x","hashes":[{"alg":"SHA-256","content":"zz"}]}]}`
	if validate(t, []byte(bad)) == nil {
		t.Error("an invalid BOM passed the schema")
	}
}

func TestSPDX(t *testing.T) {
	info, err := ReadBinary(thisBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeSPDX(SPDX(info, "golocal", "test"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo", "packages", "relationships"} {
		if doc[k] == nil {
			t.Errorf("SPDX document lacks required %s", k)
		}
	}
	pkgs := doc["packages"].([]any)
	if len(pkgs) != len(info.Deps)+2 {
		t.Errorf("%d packages, want %d modules + main + std", len(pkgs), len(info.Deps))
	}
	ids := map[string]bool{}
	for _, p := range pkgs {
		id := p.(map[string]any)["SPDXID"].(string)
		if ids[id] || strings.ContainsAny(id, "/@_ ") {
			t.Errorf("SPDXID %q duplicated or not [A-Za-z0-9.-]", id)
		}
		ids[id] = true
	}
	again, _ := EncodeSPDX(SPDX(info, "golocal", "test"))
	if !bytes.Equal(b, again) {
		t.Error("SPDX of one binary differs between two runs")
	}
}

func TestReadBinaryBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{text, "Go binary"},
		{"/bin/sh", "Go binary"},
	} {
		_, err := ReadBinary(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
		if tc.want == "Go binary" && !errors.Is(err, ErrNoBuildInfo) {
			t.Errorf("%s: %v is not ErrNoBuildInfo", tc.path, err)
		}
	}
}

func FuzzReadBinary(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("\xff Go buildinf:\x08\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "bin")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if info, err := ReadBinary(p); err == nil {
			CycloneDX(info, "golocal", "fuzz")
			SPDX(info, "golocal", "fuzz")
		}
	})
}

func TestModuleHash(t *testing.T) {
	for _, tc := range []struct{ sum, want string }{
		{"h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"", ""},
		{"h1:notbase64!", ""},
		{"h2:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", ""},
		{"h1:AAAA", ""},
	} {
		if got := (Module{Sum: tc.sum}).SHA256(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.sum, got, tc.want)
		}
	}
}

func TestParseGoVersionM(t *testing.T) {
	out := "bin: go1.26.8\n\tpath\texample.com/app\n\tmod\texample.com/app\t(devel)\t\n" +
		"\tdep\tgolang.org/x/text\tv0.43.0\th1:abc=\n\tdep\texample.com/old\tv1.0.0\n\t=>\texample.com/new\tv1.1.0\th1:def=\n\tbuild\tGOOS=linux\n"
	got := ParseGoVersionM([]byte(out))
	want := []Module{{Path: "golang.org/x/text", Version: "v0.43.0", Sum: "h1:abc="}, {Path: "example.com/new", Version: "v1.1.0", Sum: "h1:def=", ReplacedPath: "example.com/old"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
