package session_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
	"github.com/golocal/golocal/session"
)

// runShop is a service's main with cookie sessions: the key comes from
// the environment or a secret store (here a flag, for the example), the
// session middleware sits inside the stack, around the mux. A real main
// calls it with os.Args[1:].
func runShop(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	profile := fs.String("profile", "prod", "local, dev, staging or prod (local and dev drop Secure)")
	keys := fs.String("session-keys", "", "base64 session keys, newest first (prefer the environment: flags show in ps)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	parsed, err := session.ParseKeys(*keys)
	if err != nil {
		return err
	}
	sessions, err := session.New(session.Options{Keys: parsed, Profile: *profile, Logger: log})
	if err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		n, _ := strconv.Atoi(s.Get("visits"))
		s.Set("visits", strconv.Itoa(n+1))
		fmt.Fprintf(w, "visit %d", n+1)
	})
	return serve.Run(ctx, res.Listener, stack(sessions.Middleware(mux)), serve.Options{Logger: log, OnReady: ready})
}

// A browser's visits over a real socket: the sealed cookie comes back
// with the attributes a production profile sets, and a tampered cookie is
// refused: a fresh session starts under a new cookie.
func Example_main() {
	svc, err := kittest.Start(runShop, "-session-keys", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	cookie := ""
	for _, tamper := range []bool{false, false, true} {
		header := []string{}
		if cookie != "" {
			if tamper {
				cookie = cookie[:len(cookie)-2] + "AA"
			}
			header = append(header, "Cookie: "+cookie)
		}
		resp, body, err := svc.Get("/", header...)
		if err != nil {
			fmt.Println(err)
			return
		}
		c := resp.Cookies()[0]
		fmt.Println(body, c.Name, "Secure", c.Secure, "HttpOnly", c.HttpOnly, "SameSite=Lax", c.SameSite == http.SameSiteLaxMode)
		cookie = c.Name + "=" + c.Value
	}
	// Output:
	// visit 1 __Host-session Secure true HttpOnly true SameSite=Lax true
	// visit 2 __Host-session Secure true HttpOnly true SameSite=Lax true
	// visit 1 __Host-session Secure true HttpOnly true SameSite=Lax true
}
