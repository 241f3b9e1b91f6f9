package devloop_test

import (
	"fmt"

	"github.com/golocal/golocal/internal/devloop"
)

func ExampleParseConfig() {
	cfg, err := devloop.ParseConfig([]byte(`package = "./cmd/web"
[build]
tags = ["dev"]
`))
	fmt.Println(cfg.Package, cfg.Build.Tags, err)
	_, err = devloop.ParseConfig([]byte("[watch]\nroot = [\".\"]\n"))
	fmt.Println(err)
	// Output:
	// ./cmd/web [dev] <nil>
	// line 2: unknown key watch.root (known: package, addr, args, [watch] roots/extensions/exclude, [build] flags/tags/debug, [env])
}

func ExampleBuildOptions_BuildArgs() {
	o := devloop.BuildOptions{Package: "./cmd/web", Tags: []string{"dev"}}
	fmt.Println(o.BuildArgs("/tmp/app-1"))
	o.KeepDebugInfo = true
	fmt.Println(o.BuildArgs("/tmp/app-2"))
	// Output:
	// [build -x -work -o /tmp/app-1 -ldflags=-s -w -tags=dev ./cmd/web]
	// [build -x -work -o /tmp/app-2 -tags=dev ./cmd/web]
}
