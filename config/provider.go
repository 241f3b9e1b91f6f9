package config

import (
	"errors"

	"github.com/knadh/koanf/maps"
)

// koanf's own providers (file, confmap) are separate modules, and the file
// provider brings fsnotify for its Watch method. A service importing config
// should not link a file watcher it never uses, so these two small
// koanf.Provider implementations replace them.

// bytesProvider hands koanf the bytes of a config file that loadFile has
// already read.
type bytesProvider []byte

func (b bytesProvider) ReadBytes() ([]byte, error) { return b, nil }

func (bytesProvider) Read() (map[string]any, error) {
	return nil, errors.New("config: bytesProvider provides bytes for a parser, not a map")
}

// flatProvider hands koanf a map whose keys are dotted paths ("db.url"),
// unflattened on "." as koanf's confmap provider does.
type flatProvider map[string]any

func (flatProvider) ReadBytes() ([]byte, error) {
	return nil, errors.New("config: flatProvider provides a map, not bytes")
}

func (m flatProvider) Read() (map[string]any, error) {
	return maps.Unflatten(maps.Copy(m), "."), nil
}
