package deploy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/golocal/golocal/internal/verify"
)

// The inputs of examples/orders/deploy, kept beside it: the facts verify
// discovered and the public key of the image policy.
const (
	ordersFacts = ordersDir + "/facts.json"
	ordersKey   = ordersDir + "/cosign.pub"
	updateEnv   = "GOLOCAL_UPDATE_DEPLOY"
)

// ordersCanary is what `golocal deploy canary ./examples/orders
// --header X-Env-Version=v2-canary --weight 5` asks for.
var ordersCanary = Canary{Header: "X-Env-Version", Value: "v2-canary", Weight: 5, Overlay: "prod"}

func ordersOptions(t *testing.T) Options {
	t.Helper()
	facts, err := ReadFacts(ordersFacts)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(ordersKey)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Name: "orders", Facts: facts, Policy: &ImagePolicy{ImageGlob: "registry.example/golocal/orders**", PublicKeyPEM: string(key)}}
}

// ordersTrees is examples/orders/deploy as generated now from its inputs.
func ordersTrees(t *testing.T) (k8s, canary Tree) {
	t.Helper()
	k8s, err := Generate(ordersOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	canary, err = GenerateCanary(ordersOptions(t), ordersCanary)
	if err != nil {
		t.Fatal(err)
	}
	return k8s, canary
}

// TestOrdersTreeIsFresh fails when examples/orders/deploy is not what the
// generator writes from its facts. GOLOCAL_UPDATE_DEPLOY=1 rediscovers
// the facts from the orders binary and rewrites the tree.
func TestOrdersTreeIsFresh(t *testing.T) {
	if os.Getenv(updateEnv) == "1" {
		updateOrdersInputs(t)
	}
	k8s, canary := ordersTrees(t)
	if os.Getenv(updateEnv) == "1" {
		for _, w := range []struct {
			tree Tree
			owns []string
		}{{k8s, K8sOwns}, {canary, CanaryOwns}} {
			if _, err := Write(ordersDir, w.tree, WriteOptions{Force: true, Owns: w.owns}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tree := range []Tree{k8s, canary} {
		for _, p := range tree.Paths() {
			got, err := os.ReadFile(filepath.Join(ordersDir, filepath.FromSlash(p)))
			if err != nil || string(got) != string(tree[p]) {
				t.Errorf("examples/orders/deploy/%s is stale (%v); regenerate with %s=1 go test ./internal/deploy -run TestOrdersTreeIsFresh", p, err, updateEnv)
			}
		}
	}
	m, err := readManifest(ordersDir)
	if err != nil {
		t.Fatal(err)
	}
	for p := range m.Files {
		if _, ok := k8s[p]; !ok {
			if _, ok := canary[p]; !ok {
				t.Errorf("examples/orders/deploy/%s is no longer generated", p)
			}
		}
	}
}

func updateOrdersInputs(t *testing.T) {
	bin := buildOrders(t)
	facts, err := Discover(context.Background(), verify.Options{Binary: bin, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// What varies from run to run and is not used goes.
	facts.URL, facts.Port, facts.ListenAddrs = "", 0, nil
	b, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ordersDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ordersFacts, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ordersKey); err == nil {
		return
	}
	// An example key: its private half is thrown away.
	if err := os.WriteFile(ordersKey, []byte(testPolicy(t).PublicKeyPEM), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOrdersTreeBuilds runs kubectl kustomize on every overlay of the
// checked-in tree, the canary's included.
func TestOrdersTreeBuilds(t *testing.T) {
	kubectl := requireTool(t, "kubectl", "KUBECTL")
	for _, ov := range []string{"dev", "staging", "prod", "canary"} {
		objs := decodeStrict(t, "examples/orders/deploy/overlays/"+ov, kustomize(t, kubectl, filepath.Join(ordersDir, "overlays", ov)))
		if len(objs["Deployment"]) == 0 {
			t.Errorf("overlay %s builds no Deployment: %s", ov, kinds(objs))
		}
	}
}
