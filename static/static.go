// Package static holds the back-office's assets (htmx, the stylesheet, app.js), embedded
// in the binary so that no page depends on a CDN.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// FS holds every asset, served under /static/.
//
//go:embed *.css *.js *.svg
var FS embed.FS

// versions maps each asset to a short hash of its content, so that URLs change when the
// file does and browsers may cache them for a year.
var versions = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(FS, ".")
	for _, e := range entries {
		b, err := FS.ReadFile(e.Name())
		if err != nil {
			continue
		}
		h := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(h[:6])
	}
	return m
}()

// Path is the URL of asset name with its cache-busting version.
func Path(name string) string {
	return "/static/" + name + "?v=" + versions[name]
}
