package procnet

import (
	"net/netip"
	"slices"
	"testing"
)

func TestDescendantsIn(t *testing.T) {
	// 1 ─┬─ 10 ── 11 ── 12
	//    └─ 20
	// 30 ─ 31 (another tree); 40 ⇄ 41 (a cycle from pid reuse); 50 is its
	// own parent (pid 0's children on Windows list 0 as parent of 0).
	parent := map[int]int{10: 1, 11: 10, 12: 11, 20: 1, 31: 30, 40: 41, 41: 40, 50: 50}
	tests := []struct {
		pid  int
		want []int
	}{
		{1, []int{10, 11, 12, 20}},
		{10, []int{11, 12}},
		{12, nil},
		{30, []int{31}},
		{40, []int{41}},
		{50, nil},
		{999, nil},
	}
	for _, tt := range tests {
		if got := descendantsIn(parent, tt.pid); !slices.Equal(got, tt.want) {
			t.Errorf("descendantsIn(%d) = %v, want %v", tt.pid, got, tt.want)
		}
	}
}

func TestAddrsHeldBy(t *testing.T) {
	all := []Socket{
		sock("127.0.0.1:9090", 1, 0, 10, "a"),
		sock("127.0.0.1:8080", 2, 0, 10, "a"),
		sock("127.0.0.1:8080", 2, 0, 11, "b"),
		sock("127.0.0.1:7070", 3, 0, 12, "c"),
		sock("127.0.0.1:6060", 4, 0, 0, ""),
	}
	got := addrsHeldBy(all, []int{10, 11})
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("127.0.0.1:9090")}
	if !slices.Equal(got, want) {
		t.Errorf("addrsHeldBy = %v, want %v (sorted, once each)", got, want)
	}
	if got := onPort(all, 8080); len(got) != 2 {
		t.Errorf("onPort(8080) = %v", got)
	}
}
