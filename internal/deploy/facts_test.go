package deploy

import (
	"strings"
	"testing"
)

func TestParseFacts(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"report", `{"schema_version":1,"facts":{"liveness_path":"/livez","drain_seconds":1.5}}`, "", true},
		{"bare facts", `{"liveness_path":"/livez","drain_seconds":1.5,"new_field":true}`, "", true},
		{"other schema", `{"schema_version":2,"facts":{}}`, "schema_version 2", false},
		{"report without facts", `{"schema_version":1}`, `no "facts"`, false},
		{"not json", `hello`, "not a golocal verify --json report", false},
		{"array", `[1,2]`, "not a golocal verify --json report", false},
		{"wrong type", `{"drain_seconds":"long"}`, "facts:", false},
		{"empty", ``, "not a golocal verify", false},
	}
	for _, c := range cases {
		f, err := ParseFacts([]byte(c.in))
		if c.ok {
			if err != nil || f.LivenessPath != "/livez" || *f.DrainSeconds != 1.5 {
				t.Errorf("%s: %+v, %v", c.name, f, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestCheckFactsHostileAdminURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1", "http://127.0.0.1:0", "http://127.0.0.1:99999", "::", "http://[::1]:x"} {
		f := testFacts(t)
		f.AdminURL = u
		if _, err := checkFacts(f); err == nil || !strings.Contains(err.Error(), "admin_url") {
			t.Errorf("admin_url %q: err = %v", u, err)
		}
	}
}

func FuzzParseFacts(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"facts":{"liveness_path":"/livez","readiness_path":"/readyz","drain_seconds":1.5,"admin_url":"http://127.0.0.1:9090"}}`))
	f.Add([]byte(`{"drain_seconds":-1,"readiness_lead_seconds":1e308}`))
	f.Add([]byte(`{"schema_version":1,"facts":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		facts, err := ParseFacts(b)
		if err != nil {
			return
		}
		// Whatever parses either generates or is refused with an error.
		tree, err := Generate(Options{Name: "fuzz", Facts: facts})
		if err == nil && len(tree) == 0 {
			t.Fatal("no error and no files")
		}
	})
}

func TestNotes(t *testing.T) {
	f := testFacts(t)
	if n := Notes(f); len(n) != 1 || !strings.Contains(n[0], "loopback") {
		t.Errorf("loopback admin: %v", n)
	}
	f.AdminURL = "http://10.0.0.7:9090"
	if n := Notes(f); len(n) != 0 {
		t.Errorf("pod-address admin: %v", n)
	}
	f.AdminURL, f.MetricsPath = "", ""
	if n := Notes(f); len(n) != 1 || !strings.Contains(n[0], "no ServiceMonitor") {
		t.Errorf("no admin: %v", n)
	}
}
