package canary

import (
	"strings"
	"testing"
)

func TestParseAccessLog(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Target
		err      string
	}{
		{name: "kit lines", in: `{"time":"t","level":"INFO","msg":"request","method":"GET","route":"/items/{id}","path":"/items/7?x=1","status":200}
{"msg":"serve: serving","addr":"127.0.0.1:1"}
{"method":"POST","path":"/orders","status":201}` + "\r\n", want: []Target{{"GET", "/items/7?x=1"}, {"POST", "/orders"}}},
		{name: "not json", in: "GET /x 200\n", err: "line 1 is not a JSON access log record"},
		{name: "url not path", in: `{"method":"GET","path":"http://evil/x"}`, err: "must start with a single /"},
		{name: "scheme-relative", in: `{"method":"GET","path":"//evil/x"}`, err: "must start with a single /"},
		{name: "bad method", in: `{"method":"G\u0000T","path":"/x"}`, err: "not an HTTP method"},
		{name: "space in path", in: `{"method":"GET","path":"/a b"}`, err: "not a valid request path"},
		{name: "no records", in: `{"msg":"hello"}`, err: "no access log records"},
		{name: "empty", in: "", err: "no access log records"},
		{name: "huge line", in: `{"path":"/` + strings.Repeat("a", 70<<10) + `"}`, err: "longer than 64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAccessLog(strings.NewReader(tc.in))
			checkParse(t, got, err, tc.want, tc.err)
		})
	}
}

func TestParsePaths(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Target
		err      string
	}{
		{name: "forms", in: "# comment\n/\n\nPOST /orders\n  /items/1?q=2  \n", want: []Target{{"GET", "/"}, {"POST", "/orders"}, {"GET", "/items/1?q=2"}}},
		{name: "three fields", in: "GET /x HTTP/1.1\n", err: "line 1"},
		{name: "relative", in: "items/1\n", err: "must start with a single /"},
		{name: "lowercase method", in: "get /x\n", err: "not an HTTP method"},
		{name: "only comments", in: "# nothing\n", err: "lists no request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePaths(strings.NewReader(tc.in))
			checkParse(t, got, err, tc.want, tc.err)
		})
	}
}

func checkParse(t *testing.T, got []Target, err error, want []Target, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want one saying %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// Every target a parser accepts is a request the load generator can send.
func checkTargets(t *testing.T, targets []Target) {
	for _, tg := range targets {
		if !strings.HasPrefix(tg.Path, "/") || strings.HasPrefix(tg.Path, "//") || tg.Method == "" {
			t.Fatalf("accepted an unusable target %+v", tg)
		}
	}
}

func FuzzParseAccessLog(f *testing.F) {
	f.Add(`{"method":"GET","path":"/items/1","status":200}`)
	f.Add("{\"path\":\"/\"}\n{\"path\":\"//x\"}")
	f.Add("not json")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseAccessLog(strings.NewReader(in))
		if err == nil {
			checkTargets(t, got)
		}
	})
}

func FuzzParsePaths(f *testing.F) {
	f.Add("/\nPOST /orders\n# c\n")
	f.Add("GET  /x  y")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParsePaths(strings.NewReader(in))
		if err == nil {
			checkTargets(t, got)
		}
	})
}

func FuzzAdminFromLog(f *testing.F) {
	f.Add(`{"msg":"serve: serving","addr":"127.0.0.1:1","admin":"127.0.0.1:2"}`)
	f.Add(`time=x level=INFO msg="serve: serving" addr=127.0.0.1:1 admin=127.0.0.1:2`)
	f.Fuzz(func(t *testing.T, in string) {
		if a := AdminFromLog(in); strings.ContainsAny(a, " \n\"") {
			t.Fatalf("admin address %q has spaces or quotes", a)
		}
	})
}

func TestAdminFromLog(t *testing.T) {
	for in, want := range map[string]string{
		`{"time":"t","level":"INFO","msg":"serve: serving","addr":"127.0.0.1:1","admin":"127.0.0.1:9090"}`: "127.0.0.1:9090",
		`time=t level=INFO msg="serve: serving" addr=127.0.0.1:1 admin=127.0.0.1:9091 tls=true`:            "127.0.0.1:9091",
		`[baseline] {"msg":"serve: serving","addr":"127.0.0.1:1"}`:                                         "",
		`{"msg":"request","admin":"127.0.0.1:1"}`:                                                          "",
	} {
		if got := AdminFromLog(in); got != want {
			t.Errorf("AdminFromLog(%s) = %q, want %q", in, got, want)
		}
	}
}
