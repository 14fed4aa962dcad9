// Package dags embeds the DAG files deployed with the bundle.
package dags

import (
	"embed"

	"github.com/lvao/dataplatform/shared/dag"
)

//go:embed *.yaml
var files embed.FS

// Embedded is the source of the DAG files kept in the module.
func Embedded() dag.Source { return dag.Source{FS: files, Dir: ".", Name: "shared/dags"} }

// Load reads the embedded DAGs and those of extra directories.
func Load(opts dag.ValidateOptions, extraDirs ...string) (*dag.Set, error) {
	sources := []dag.Source{Embedded()}
	for _, d := range extraDirs {
		sources = append(sources, dag.DirSource(d))
	}
	return dag.Load(opts, sources...)
}
