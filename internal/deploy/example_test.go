package deploy_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/golocal/golocal/internal/deploy"
)

// A saved `golocal verify --json` report becomes a kustomize tree whose
// grace period is the measured SIGTERM→exit plus a margin.
func Example() {
	facts, err := deploy.ReadFacts(filepath.Join("testdata", "facts.json"))
	if err != nil {
		log.Fatal(err)
	}
	tree, err := deploy.Generate(deploy.Options{Name: "orders", Facts: facts})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "deploy-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if _, err := deploy.Write(dir, tree, deploy.WriteOptions{}); err != nil {
		log.Fatal(err)
	}
	for _, p := range tree.Paths() {
		if filepath.Dir(p) == "base" {
			fmt.Println(p)
		}
	}
	// Output:
	// base/deployment.yaml
	// base/hpa.yaml
	// base/kustomization.yaml
	// base/metrics-service.yaml
	// base/networkpolicy.yaml
	// base/pdb.yaml
	// base/prometheusrule.yaml
	// base/service.yaml
	// base/servicemonitor.yaml
}
