package devloop

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/tail"
)

// recorder is the machine's effects as a log: each request the machine
// makes becomes one line, so a test reads what the loop did in order.
type recorder struct {
	log       []string
	events    []Event
	starts    []upRequest
	skipPaths map[string]bool
}

func (r *recorder) add(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf(format, args...))
}

func (r *recorder) startBuild(gen int, paths []string) {
	r.add("build %d %s", gen, strings.Join(paths, ","))
}
func (r *recorder) cancelBuild()              { r.add("cancel build") }
func (r *recorder) buildFinished(b buildDone) {}
func (r *recorder) startApp(req upRequest) {
	r.starts = append(r.starts, req)
	s := fmt.Sprintf("start %d %s", req.gen, req.binary)
	if req.stopFirst != nil {
		s += " after stopping " + req.stopFirst.binary
	}
	if req.restoring {
		s += " (restoring)"
	}
	r.add("%s", s)
}
func (r *recorder) cancelStart() { r.add("cancel start") }
func (r *recorder) retire(c *child, delay time.Duration) {
	r.add("retire %s after %s", c.binary, delay)
}
func (r *recorder) removeBinary(path string)      { r.add("remove %s", path) }
func (r *recorder) resetSettle()                  { r.add("settle") }
func (r *recorder) stopSettle()                   { r.add("stop settle") }
func (r *recorder) unrelated(paths []string) bool { return len(paths) > 0 && r.skipPaths[paths[0]] }
func (r *recorder) emit(e Event) {
	r.events = append(r.events, e)
	r.add("emit %s", e.Kind)
}

// take returns the log since the last take.
func (r *recorder) take() []string {
	l := r.log
	r.log = nil
	return l
}

// fakeChild is a version of the app as the machine sees it; no process.
func fakeChild(binary string, mode readyMode, output string) *child {
	c := &child{binary: binary, mode: mode, exited: make(chan struct{}), output: tail.New(1<<16, nil), root: "/src/app"}
	c.output.Write([]byte(output))
	c.upstream = &url.URL{Scheme: "http", Host: "127.0.0.1:4" + fmt.Sprint(len(binary))}
	return c
}

func built(gen int, binary string) evBuilt {
	return evBuilt{buildDone{gen: gen, res: BuildResult{Binary: binary, Took: 100 * time.Millisecond}}}
}

func up(req upRequest, c *child, err error) evUp {
	return evUp{upDone{upRequest: req, c: c, err: err, took: 20 * time.Millisecond}}
}

type machineStep struct {
	name  string
	event any            // nil: the machine's own first build
	do    func(*machine) // instead of event, for events built from the log
	want  []string       // the effects, in order
	state string
}

func runSteps(t *testing.T, m *machine, rec *recorder, steps []machineStep) {
	t.Helper()
	for _, s := range steps {
		switch {
		case s.do != nil:
			s.do(m)
		case s.event == nil:
			m.startBuild()
		default:
			m.step(s.event)
		}
		got := rec.take()
		if strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Fatalf("%s: effects\n got: %q\nwant: %q", s.name, got, s.want)
		}
		if st := m.State(); st != s.state {
			t.Fatalf("%s: state %s, want %s", s.name, st, s.state)
		}
	}
}

func TestMachineChangeDuringBuild(t *testing.T) {
	rec := &recorder{}
	m := newMachine(rec, ".", 250*time.Millisecond)
	c1 := fakeChild("app-2", modePort, "")
	runSteps(t, m, rec, []machineStep{
		{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
		{name: "a save cancels it", event: evChange{Change{Rebuild: true, Paths: []string{"a.go"}}},
			want: []string{"cancel build", "emit build-canceled", "settle"}, state: "settling/none"},
		{name: "another save settles longer", event: evChange{Change{Rebuild: true, Paths: []string{"b.go"}}},
			want: []string{"settle"}, state: "settling/none"},
		{name: "the canceled build reports", event: evBuilt{buildDone{gen: 1, err: ErrBuildCanceled}},
			want: nil, state: "settling/none"},
		{name: "quiet: one build for both saves", event: evSettled{},
			want: []string{"emit build-started", "build 2 a.go,b.go"}, state: "building/none"},
		{name: "it succeeds", event: built(2, "app-2"),
			want: []string{"start 1 app-2"}, state: "idle/starting"},
		{name: "the app serves", event: up(upRequest{gen: 1, binary: "app-2"}, c1, nil),
			want: []string{"emit swapped"}, state: "idle/serving"},
		{name: "a file outside the program", do: func(m *machine) {
			rec.skipPaths = map[string]bool{"tools/gen.go": true}
			m.step(evChange{Change{Rebuild: true, Paths: []string{"tools/gen.go"}}})
		},
			want: []string{"emit skipped"}, state: "idle/serving"},
	})
	if !rec.events[len(rec.events)-2].First {
		t.Error("the first swap is not marked First")
	}
}

func TestMachineBuildFailsThenFixed(t *testing.T) {
	rec := &recorder{}
	m := newMachine(rec, ".", 250*time.Millisecond)
	c1, c3 := fakeChild("app-1", modePort, ""), fakeChild("app-3", modePort, "")
	runSteps(t, m, rec, []machineStep{
		{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
		{name: "built", event: built(1, "app-1"), want: []string{"start 1 app-1"}, state: "idle/starting"},
		{name: "serving", event: up(upRequest{gen: 1, binary: "app-1"}, c1, nil), want: []string{"emit swapped"}, state: "idle/serving"},
		{name: "an edit", event: evChange{Change{Rebuild: true, Paths: []string{"main.go"}}},
			want: []string{"emit build-started", "build 2 main.go"}, state: "building/serving"},
		{name: "it does not compile: the old app keeps serving",
			event: evBuilt{buildDone{gen: 2, err: errors.New("exit status 1"), res: BuildResult{Diagnostics: []Diagnostic{{File: "main.go", Line: 3, Message: "undefined: x"}}}}},
			want:  []string{"emit build-failed"}, state: "idle/serving"},
		{name: "the fix", event: evChange{Change{Rebuild: true, Paths: []string{"main.go"}}},
			want: []string{"emit build-started", "build 3 main.go"}, state: "building/serving"},
		{name: "built: the new version starts beside the old one", event: built(3, "app-3"),
			want: []string{"start 2 app-3"}, state: "idle/starting"},
		{name: "swapped: the old one drains", event: up(upRequest{gen: 2, binary: "app-3"}, c3, nil),
			want: []string{"emit swapped", "retire app-1 after 250ms"}, state: "idle/serving"},
	})
	if m.serving != c3 {
		t.Error("the fixed version does not serve")
	}
}

func TestMachineAppCrashesOnStart(t *testing.T) {
	const trace = "panic: runtime error: index out of range [3] with length 2\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:14 +0x1d\nexit status 2\n"
	t.Run("overlapping: the old version keeps serving", func(t *testing.T) {
		rec := &recorder{}
		m := newMachine(rec, ".", 250*time.Millisecond)
		c1, c2 := fakeChild("app-1", modePort, ""), fakeChild("app-2", modePort, trace)
		runSteps(t, m, rec, []machineStep{
			{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
			{name: "built", event: built(1, "app-1"), want: []string{"start 1 app-1"}, state: "idle/starting"},
			{name: "serving", event: up(upRequest{gen: 1, binary: "app-1"}, c1, nil), want: []string{"emit swapped"}, state: "idle/serving"},
			{name: "edit", event: evRebuild{}, want: []string{"emit build-started", "build 2 "}, state: "building/serving"},
			{name: "built", event: built(2, "app-2"), want: []string{"start 2 app-2"}, state: "idle/starting"},
			{name: "it panics at start", event: up(upRequest{gen: 2, binary: "app-2"}, c2, errExitedAtStart),
				want: []string{"emit app-failed"}, state: "idle/serving"},
		})
		e := rec.events[len(rec.events)-1]
		if !e.Panic || len(e.Diagnostics) != 1 || e.Diagnostics[0].File != "main.go" || e.Diagnostics[0].Line != 14 {
			t.Fatalf("crash event = %+v, want a panic at main.go:14", e)
		}
		if !strings.Contains(e.Message, "index out of range") || !strings.Contains(e.Message, "previous version keeps serving") {
			t.Errorf("message %q", e.Message)
		}
		if m.serving != c1 {
			t.Error("the old version no longer serves")
		}
	})
	t.Run("fixed port: the previous binary is started again", func(t *testing.T) {
		rec := &recorder{}
		m := newMachine(rec, ".", 250*time.Millisecond)
		c1, c2, c1again := fakeChild("app-1", modeFixed, ""), fakeChild("app-2", modeFixed, "listen tcp :8081: bind: address already in use\n"), fakeChild("app-1", modeFixed, "")
		c2.exitErr = errors.New("exit status 1")
		runSteps(t, m, rec, []machineStep{
			{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
			{name: "built", event: built(1, "app-1"), want: []string{"start 1 app-1"}, state: "idle/starting"},
			{name: "serving on its port", event: up(upRequest{gen: 1, binary: "app-1"}, c1, nil), want: []string{"emit swapped"}, state: "idle/serving"},
			{name: "edit", event: evRebuild{}, want: []string{"emit build-started", "build 2 "}, state: "building/serving"},
			{name: "built: the old one must free the port first", event: built(2, "app-2"),
				want: []string{"emit hold", "start 2 app-2 after stopping app-1"}, state: "idle/starting"},
			{name: "the new one exits at start: the previous one comes back",
				event: up(m2req(2, "app-2", c1), c2, errExitedAtStart),
				want:  []string{"emit app-failed", "start 3 app-1 (restoring)"}, state: "idle/starting"},
			{name: "restored", event: up(upRequest{gen: 3, binary: "app-1", restoring: true}, c1again, nil),
				want: []string{"emit swapped"}, state: "idle/serving"},
		})
		failed := rec.events[len(rec.events)-2]
		if !strings.Contains(failed.Message, "fixed port") || !strings.Contains(failed.Message, "started again") || strings.Contains(failed.Message, "keeps serving") {
			t.Errorf("failure message %q does not say what happened", failed.Message)
		}
		if last := rec.events[len(rec.events)-1]; !last.Restored {
			t.Error("the swap back is not marked Restored (the page must keep showing the failure)")
		}
	})
}

func m2req(gen int, binary string, stopped *child) upRequest {
	return upRequest{gen: gen, binary: binary, stopFirst: stopped}
}

func TestMachineStopDuringSwap(t *testing.T) {
	rec := &recorder{}
	m := newMachine(rec, ".", 250*time.Millisecond)
	c1, c2 := fakeChild("app-1", modePort, ""), fakeChild("app-2", modePort, "")
	runSteps(t, m, rec, []machineStep{
		{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
		{name: "built", event: built(1, "app-1"), want: []string{"start 1 app-1"}, state: "idle/starting"},
		{name: "serving", event: up(upRequest{gen: 1, binary: "app-1"}, c1, nil), want: []string{"emit swapped"}, state: "idle/serving"},
		{name: "edit", event: evRebuild{}, want: []string{"emit build-started", "build 2 "}, state: "building/serving"},
		{name: "built", event: built(2, "app-2"), want: []string{"start 2 app-2"}, state: "idle/starting"},
		{name: "stop while the new version comes up", event: evStop{},
			want: []string{"stop settle", "cancel start", "retire app-1 after 0s"}, state: "stopping"},
		{name: "changes after stop do nothing", event: evChange{Change{Rebuild: true, Paths: []string{"x.go"}}}, want: nil, state: "stopping"},
		{name: "the new version came up anyway: it is stopped too", event: up(upRequest{gen: 2, binary: "app-2"}, c2, nil),
			want: []string{"retire app-2 after 0s"}, state: "stopped"},
	})
}

func TestMachineStopDuringBuildAndExit(t *testing.T) {
	rec := &recorder{}
	m := newMachine(rec, ".", 250*time.Millisecond)
	c1 := fakeChild("app-1", modePort, "")
	c1.exitErr = errors.New("exit status 3")
	runSteps(t, m, rec, []machineStep{
		{name: "first build", want: []string{"emit build-started", "build 1 "}, state: "building/none"},
		{name: "built", event: built(1, "app-1"), want: []string{"start 1 app-1"}, state: "idle/starting"},
		{name: "serving", event: up(upRequest{gen: 1, binary: "app-1"}, c1, nil), want: []string{"emit swapped"}, state: "idle/serving"},
		{name: "it exits while serving", event: evAppExited{c1}, want: []string{"emit hold", "emit app-failed"}, state: "idle/none"},
		{name: "a template changes: r restarts the last good binary", event: evChange{Change{Restart: true, Paths: []string{"web/page.html"}}},
			want: []string{"start 2 app-1"}, state: "idle/starting"},
		{name: "an edit while it starts", event: evChange{Change{Rebuild: true, Paths: []string{"main.go"}}},
			want: []string{"emit build-started", "build 2 main.go"}, state: "building/starting"},
		{name: "stop", event: evStop{}, want: []string{"stop settle", "cancel build", "cancel start"}, state: "stopping"},
		{name: "the start reports canceled", event: up(upRequest{gen: 2, binary: "app-1"}, nil, errors.New("context canceled")), want: nil, state: "stopping"},
		{name: "the build reports canceled", event: evBuilt{buildDone{gen: 2, err: ErrBuildCanceled}}, want: nil, state: "stopped"},
	})
}
