package trace

import (
	"errors"
	"strings"
	"testing"
)

const validTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParseTraceparent(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
		want    string // String() of the result when valid
	}{
		{"valid sampled", validTP, "", validTP},
		{"valid not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
		{"unknown flags kept", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"},
		{"future version exact", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", validTP},
		{"future version extra field", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", "", validTP},
		{"future version junk after flags", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what", "separated by '-'", ""},
		{"version 00 with extra field", validTP + "-extra", "exactly 55", ""},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff", ""},
		{"uppercase version", "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version is not", ""},
		{"uppercase trace id", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "trace-id", ""},
		{"uppercase parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", "parent-id", ""},
		{"uppercase flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", "trace-flags", ""},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "trace-id is all zeros", ""},
		{"zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "parent-id is all zeros", ""},
		{"empty", "", "0 characters", ""},
		{"short", validTP[:54], "54 characters", ""},
		{"wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "separated", ""},
		{"control byte", "00-4bf92f3577b34da6a3ce929d0e0e473\x00-00f067aa0ba902b7-01", "trace-id", ""},
		{"newline", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\n", "trace-flags", ""},
		{"non-ascii", "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01", "", ""}, // é is 2 bytes → 56 bytes → length error
		{"overlong", validTP + strings.Repeat("a", 10000), "exactly 55", ""},
		{"spaces inside", "00-4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7-01", "separated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := ParseTraceparent(tt.in)
			if tt.name == "non-ascii" {
				if err == nil {
					t.Fatalf("ParseTraceparent(%q) accepted non-ASCII input", tt.in)
				}
				return
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseTraceparent(%q) = %v, want success", tt.in, err)
				}
				if got := tp.String(); got != tt.want {
					t.Errorf("String() = %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseTraceparent(%q) succeeded, want error containing %q", tt.in, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidTraceparent) {
				t.Errorf("error %v does not wrap ErrInvalidTraceparent", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if len(tt.in) > 60 && strings.Contains(err.Error(), tt.in[:60]) {
				t.Errorf("error echoes the hostile input: %q", err)
			}
		})
	}
}

func TestParseTraceparentFields(t *testing.T) {
	tp, err := ParseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03")
	if err != nil {
		t.Fatal(err)
	}
	if tp.Version != 1 || tp.TraceID.String() != "0af7651916cd43dd8448eb211c80319c" ||
		tp.ParentID.String() != "b7ad6b7169203331" || tp.Flags != FlagSampled|FlagRandom {
		t.Errorf("fields = %+v", tp)
	}
}

func TestNewIDsNotZeroAndDistinct(t *testing.T) {
	seen := map[TraceID]bool{}
	for range 1000 {
		id := NewTraceID()
		if id.IsZero() || seen[id] {
			t.Fatalf("NewTraceID returned zero or duplicate id %s", id)
		}
		seen[id] = true
		if NewSpanID().IsZero() {
			t.Fatal("NewSpanID returned zero")
		}
	}
}

func FuzzParseTraceparent(f *testing.F) {
	for _, s := range []string{
		validTP,
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"", "00", "00-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTraceparent(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidTraceparent) {
				t.Fatalf("error does not wrap ErrInvalidTraceparent: %v", err)
			}
			return
		}
		if tp.TraceID.IsZero() || tp.ParentID.IsZero() || tp.Version == 0xff {
			t.Fatalf("accepted invalid ids or version: %q", s)
		}
		// Whatever was accepted must re-format to a version-00 header that
		// parses back to the same ids: what we propagate is always valid.
		out := tp.String()
		if len(out) != traceparentLen {
			t.Fatalf("String() = %q, length %d", out, len(out))
		}
		back, err := ParseTraceparent(out)
		if err != nil {
			t.Fatalf("re-parse of %q failed: %v", out, err)
		}
		if back.TraceID != tp.TraceID || back.ParentID != tp.ParentID || back.Flags != tp.Flags {
			t.Fatalf("round trip changed %+v into %+v", tp, back)
		}
		if tp.Version == 0 && out != s {
			t.Fatalf("version 00 round trip %q → %q", s, out)
		}
	})
}
