package devloop

import (
	"errors"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoMainPackage is returned (wrapped) by FindMainPackage when neither the
// folder nor ./cmd/* holds a main package.
var ErrNoMainPackage = errors.New("no main package")

// ErrBadPackage is returned (wrapped) by FindMainPackage when the package
// named on the command line is not a folder holding package main.
var ErrBadPackage = errors.New("bad package argument")

// packageArgError keeps the message of its error and matches both it and
// ErrBadPackage with errors.Is.
type packageArgError struct{ err error }

func (e packageArgError) Error() string   { return e.err.Error() }
func (e packageArgError) Unwrap() []error { return []error{ErrBadPackage, e.err} }

// ErrSeveralMainPackages is returned (wrapped) by FindMainPackage when
// ./cmd holds more than one main package and none was named.
var ErrSeveralMainPackages = errors.New("several main packages")

// FindModuleRoot returns the nearest folder at or above dir holding a go.mod.
func FindModuleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or any parent folder: golocal dev builds Go modules; run \"go mod init NAME\" there first", abs)
		}
		d = parent
	}
}

// FindMainPackage picks the package to build, as a "./" path relative to
// dir. With arg empty it is "." when dir holds package main, else the only
// main package under ./cmd/. An arg must name a folder (relative to dir)
// holding package main. tags are the build tags used to select files.
func FindMainPackage(dir, arg string, tags []string) (string, error) {
	ctx := build.Default
	ctx.BuildTags = append(append([]string(nil), ctx.BuildTags...), tags...)
	if arg != "" {
		pkg, err := checkNamedPackage(&ctx, dir, arg)
		if err != nil {
			return "", packageArgError{err}
		}
		return pkg, nil
	}
	if isMain(&ctx, dir) {
		return ".", nil
	}
	mains := mainsUnder(&ctx, dir, "cmd")
	switch len(mains) {
	case 1:
		return mains[0], nil
	case 0:
		return "", fmt.Errorf("%w in %s or ./cmd/*: golocal dev needs a folder with \"package main\" and \"func main()\"; name it: golocal dev ./path/to/it", ErrNoMainPackage, dir)
	default:
		return "", fmt.Errorf("%w under ./cmd (%s): choose one, for example: golocal dev %s", ErrSeveralMainPackages, strings.Join(mains, ", "), mains[0])
	}
}

func checkNamedPackage(ctx *build.Context, dir, arg string) (string, error) {
	if strings.HasSuffix(arg, "/...") {
		return "", fmt.Errorf("package %q: golocal dev runs one program; name one folder, not a pattern", arg)
	}
	rel := filepath.Clean(filepath.FromSlash(arg))
	path := rel
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, rel)
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		hint := ""
		if mains := mainsUnder(ctx, dir, "cmd"); len(mains) > 0 {
			hint = "; main packages here: " + strings.Join(mains, ", ")
		} else if isMain(ctx, dir) {
			hint = "; the main package here is ."
		}
		return "", fmt.Errorf("package %s: folder %s does not exist (golocal dev takes a folder path such as ./cmd/web)%s", arg, path, hint)
	}
	pkg, err := ctx.ImportDir(path, 0)
	if err != nil {
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return "", fmt.Errorf("package %s: %s has no Go files to build", arg, path)
		}
		return "", fmt.Errorf("package %s: %v", arg, err)
	}
	if len(pkg.GoFiles) == 0 {
		return "", fmt.Errorf("package %s: %s has no Go files to build (only tests, or all excluded by build constraints)", arg, path)
	}
	if pkg.Name != "main" {
		return "", fmt.Errorf("package %s is \"package %s\", not a program: golocal dev needs a folder with \"package main\"", arg, pkg.Name)
	}
	if filepath.IsAbs(rel) {
		return rel, nil
	}
	return "./" + filepath.ToSlash(rel), nil
}

func isMain(ctx *build.Context, dir string) bool {
	pkg, err := ctx.ImportDir(dir, 0)
	return err == nil && pkg.Name == "main" && len(pkg.GoFiles) > 0
}

// mainsUnder lists the main packages in the direct sub-folders of dir/sub.
func mainsUnder(ctx *build.Context, dir, sub string) []string {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		return nil
	}
	var mains []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		if isMain(ctx, filepath.Join(dir, sub, e.Name())) {
			mains = append(mains, "./"+sub+"/"+e.Name())
		}
	}
	sort.Strings(mains)
	return mains
}
