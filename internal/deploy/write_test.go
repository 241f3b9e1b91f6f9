package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRefusesHandEdits(t *testing.T) {
	dir := t.TempDir()
	tree := generate(t, nil)
	rep, err := Write(dir, tree, WriteOptions{Owns: K8sOwns})
	if err != nil || len(rep.Written) != len(tree) {
		t.Fatalf("first write: %+v, %v", rep, err)
	}
	// Regenerating over untouched output is fine.
	if rep, err := Write(dir, tree, WriteOptions{Owns: K8sOwns}); err != nil || len(rep.Unchanged) != len(tree) {
		t.Fatalf("second write: %+v, %v", rep, err)
	}
	svc := filepath.Join(dir, "base", "service.yaml")
	edited := strings.Replace(string(tree["base/service.yaml"]), "port: 80", "port: 8081", 1)
	if err := os.WriteFile(svc, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	next := generate(t, func(o *Options) { o.AppPort = 9000 })
	_, err = Write(dir, next, WriteOptions{Owns: K8sOwns})
	var he *HandEditError
	if !errors.As(err, &he) {
		t.Fatalf("hand edit overwritten: err = %v", err)
	}
	if len(he.Diffs) != 1 || !strings.Contains(he.Diffs["base/service.yaml"], "8081") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("the error shows no useful diff: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "base", "deployment.yaml")); string(b) != string(tree["base/deployment.yaml"]) {
		t.Errorf("a refused write still changed deployment.yaml")
	}
	if _, err := Write(dir, next, WriteOptions{Force: true, Owns: K8sOwns}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if b, _ := os.ReadFile(svc); string(b) != string(next["base/service.yaml"]) {
		t.Errorf("--force did not overwrite")
	}
}

func TestWriteRefusesHandWrittenFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "base", "deployment.yaml"), []byte("kind: Deployment # mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var he *HandEditError
	if _, err := Write(dir, generate(t, nil), WriteOptions{}); !errors.As(err, &he) {
		t.Fatalf("a hand-written deploy/ (no manifest) was overwritten: %v", err)
	}
}

func TestWriteRemovesStaleGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	tree := generate(t, nil)
	if _, err := Write(dir, tree, WriteOptions{Owns: K8sOwns}); err != nil {
		t.Fatal(err)
	}
	smaller := Tree{}
	for p, b := range tree {
		if p != "overlays/dev/kustomization.yaml" {
			smaller[p] = b
		}
	}
	rep, err := Write(dir, smaller, WriteOptions{Owns: K8sOwns})
	if err != nil || len(rep.Removed) != 1 {
		t.Fatalf("rep %+v, %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "overlays", "dev", "kustomization.yaml")); !os.IsNotExist(err) {
		t.Errorf("stale file left: %v", err)
	}
}

func TestBadManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, Tree{"a.yaml": []byte("x")}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "not a golocal deploy manifest") {
		t.Errorf("err = %v", err)
	}
}
