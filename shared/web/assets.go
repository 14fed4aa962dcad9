package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

// assetsFS holds the templates and the static files, built into the binary
// (no CDN, nothing fetched at run time).
//
//go:embed templates/*.html static/*
var assetsFS embed.FS

// assetVersion is a hash of the static files: asset URLs carry it
// (/static/<version>/app.css), so a deploy that changes them busts caches
// while unchanged ones stay cached for a year.
var assetVersion = hashStatic()

func hashStatic() string {
	h := sha256.New()
	files, _ := fs.Glob(assetsFS, "static/*")
	for _, f := range files {
		b, _ := assetsFS.ReadFile(f)
		h.Write([]byte(f))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// static serves an embedded file; immutable when the version matches.
func (s *server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ct, ok := contentTypes[path.Ext(name)]
	b, err := assetsFS.ReadFile("static/" + name)
	if !ok || err != nil || name != path.Base(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	if r.PathValue("version") == assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(b)
}
