package procnet_test

import (
	"fmt"
	"strings"

	"github.com/golocal/golocal/internal/procnet"
)

func ExampleParseStatPPID() {
	ppid, err := procnet.ParseStatPPID("4242 (my app) S 17 4242 4242 0 -1")
	fmt.Println(ppid, err)
	// Output: 17 <nil>
}

func ExampleParseTCP() {
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1
`
	entries, _ := procnet.ParseTCP(strings.NewReader(tcp))
	for _, e := range entries {
		fmt.Println(e.Local, e.Listening(), e.UID, e.Inode)
	}
	// Output: 0.0.0.0:8080 true 1000 12345
}
