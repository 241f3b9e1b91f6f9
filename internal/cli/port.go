package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/procnet"
	"github.com/golocal/golocal/internal/term"
	"github.com/golocal/golocal/listen"
)

// portStatus is one port in the output of `golocal port`.
type portStatus struct {
	Port    int              `json:"port"`
	Free    bool             `json:"free"`
	Holders []procnet.Socket `json:"holders,omitempty"`
	// Unknown is set when /proc could not be read and the port was found
	// taken by trying to bind it: the holder cannot be named.
	Unknown bool `json:"holder_unknown,omitempty"`
}

// portReport is the --json output.
type portReport struct {
	Ports []portStatus `json:"ports,omitempty"`
	// Next is the first free port of --next, 0 when none is free.
	Next *int `json:"next,omitempty"`
}

const portLong = `For each PORT, say whether it is free or taken and by whom (pid, command,
address), read from /proc/net/tcp{,6} and /proc/PID/fd. Processes of other
users are shown by uid only unless run as root.

PORT may also be a range (8080-8089) or a list (8080,8443).
With --next RANGE, print the first free port of RANGE, so that scripts can
write PORT=$(golocal port --next 8080-8099).

Exit status: 0 when every named port is free (and --next found one),
1 when a port is taken or --next found none, 2 on bad input.`

func newPortCmd(env *Env) *cobra.Command {
	var (
		asJSON bool
		next   string
	)
	cmd := &cobra.Command{
		Use:   "port [PORT...]",
		Short: "Who holds a port, and the next free one",
		Long:  portLong,
		Example: `  golocal port 8080
  golocal port 3000 5432 8080-8082 --json
  golocal port --next 8080-8099`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !cmd.Flags().Changed("next") {
				return usageErrorf("name a port (golocal port 8080) or a range to search (golocal port --next 8080-8099)")
			}
			var ports, candidates []int
			var err error
			if len(args) > 0 {
				spec := strings.Join(args, ",")
				if ports, err = listen.ParsePorts(spec); err != nil {
					return usageErrorf("port arguments %q: %v", strings.Join(args, " "), err)
				}
			}
			if cmd.Flags().Changed("next") {
				if candidates, err = listen.ParsePorts(next); err != nil {
					return usageErrorf("--next %q: %v", next, err)
				}
			}
			check, err := newPortChecker()
			if err != nil {
				return err
			}
			var rep portReport
			failed := false
			for _, p := range ports {
				st := check(p)
				failed = failed || !st.Free
				rep.Ports = append(rep.Ports, st)
			}
			if candidates != nil {
				n := 0
				for _, p := range candidates {
					if check(p).Free {
						n = p
						break
					}
				}
				rep.Next = &n
				failed = failed || n == 0
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printPortReport(env, rep, next)
			}
			if failed {
				return failure()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().StringVar(&next, "next", "", "print the first free port of `RANGE` (e.g. 8080-8099 or 8080,9000-9010)")
	return cmd
}

// newPortChecker returns a function that reports on one port. It reads the
// listening sockets once; where the system source is unavailable (no /proc, no lsof) it falls
// back to trying to bind the port on loopback, which tells free from taken
// but cannot name the holder.
func newPortChecker() (func(int) portStatus, error) {
	sockets, err := procnet.Listeners()
	if errors.Is(err, procnet.ErrUnsupported) {
		return func(p int) portStatus {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				return portStatus{Port: p, Unknown: true}
			}
			ln.Close()
			return portStatus{Port: p, Free: true}
		}, nil
	}
	if err != nil {
		return nil, withCode(ExitFailure, fmt.Errorf("reading listening sockets: %w", err))
	}
	return func(p int) portStatus {
		st := portStatus{Port: p, Free: true}
		for _, s := range sockets {
			if int(s.Addr.Port()) == p {
				st.Free = false
				st.Holders = append(st.Holders, s)
			}
		}
		return st
	}, nil
}

func printPortReport(env *Env, rep portReport, nextSpec string) {
	pal := term.Palette{Enabled: env.Color}
	for _, st := range rep.Ports {
		switch {
		case st.Free:
			fmt.Fprintf(env.Stdout, "%-5d  %s\n", st.Port, pal.Green("free"))
		case st.Unknown:
			fmt.Fprintf(env.Stdout, "%-5d  %s  by a process that cannot be named here\n", st.Port, pal.Red("taken"))
		default:
			for i, h := range st.Holders {
				label := fmt.Sprintf("%-5d  %s", st.Port, pal.Red("taken"))
				if i > 0 {
					label = strings.Repeat(" ", 5+2+len("taken"))
				}
				who := fmt.Sprintf("pid %d  %s", h.PID, h.Command)
				if h.PID == 0 {
					who = fmt.Sprintf("uid %d  %s", h.UID, pal.Dim("(process not visible: "+procnet.InvisibleHint()+")"))
				}
				fmt.Fprintf(env.Stdout, "%s  %-21s  %s\n", label, h.Addr, who)
			}
		}
	}
	if rep.Next == nil {
		return
	}
	if *rep.Next == 0 {
		fmt.Fprintf(env.Stderr, "golocal: no free port in %s\n", nextSpec)
		return
	}
	if len(rep.Ports) == 0 {
		// Alone, print only the number so that PORT=$(golocal port --next …) works.
		fmt.Fprintln(env.Stdout, *rep.Next)
		return
	}
	fmt.Fprintf(env.Stdout, "next free port in %s: %d\n", nextSpec, *rep.Next)
}
