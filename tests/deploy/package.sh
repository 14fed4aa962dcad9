#!/usr/bin/env bash
# Packaging check: builds the zip `serverless deploy` uploads to Scaleway (serverless.yml
# `package.patterns`, by the pinned Serverless Framework itself), then compiles every function
# from that zip alone the way Scaleway's Go runtime does: a generated `main` package imports
# the handler's package and serves its Handle through net/http.
#
#   tests/deploy/package.sh [STAGE]      # STAGE defaults to preprod; exit 0 when all build
#
# It proves that the zip holds everything the build needs (go.mod, go.sum complete enough for
# -mod=readonly, embedded files), nothing it must not (no `package main`: Scaleway refuses a
# module that has one; no tests/, local/, triggers/, node_modules), that the module and every
# dependency stay buildable by the go124 runtime, and that each handler has the right signature.
# Needs Go, Node.js and npm (it installs tests/deploy/node_modules with npm ci if missing).
set -euo pipefail

stage="${1:-preprod}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
deploy="$root/tests/deploy"
sls="$deploy/node_modules/.bin/serverless"
runtime_go="1.24" # serverless.yml provider.runtime go124
# Build with the runtime's Go, not the developer's newer one: a standard-library API newer
# than Go 1.24 compiles with Go 1.26 but not on Scaleway. Same pin as .github/workflows (the Go
# command fetches this toolchain once through the module proxy if it is not the local one).
# PACKAGE_GOTOOLCHAIN=local builds with whatever Go is installed.
build_toolchain="${PACKAGE_GOTOOLCHAIN:-go1.24.13}"

work="$(mktemp -d)"
created_dotserverless=false
cleanup() {
  rm -rf "$work"
  if [ "$created_dotserverless" = true ]; then
    rm -rf "$root/.serverless"
  fi
}
trap cleanup EXIT

fail() {
  echo "package.sh: $*" >&2
  exit 1
}

if [ ! -x "$sls" ]; then
  echo "package.sh: installing tests/deploy/node_modules (npm ci)" >&2
  npm ci --prefix "$deploy" --no-audit --no-fund >&2
fi

# serverless.yml reads its secrets from the environment: give each ${env:NAME} a dummy value
# (they are not part of the zip). The framework runs with a temporary HOME so no local
# Scaleway or Serverless config is read or written (Go keeps its caches).
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
mkdir -p "$work/home"
sls() { (cd "$root" && HOME="$work/home" "$sls" "$@"); }
# shellcheck disable=SC2016 # the ${env:…} below are serverless.yml syntax, not shell
grep -o '\${env:[A-Z0-9_]*}' "$root/serverless.yml" | sed 's/^\${env:\(.*\)}$/\1/' | sort -u >"$work/secrets"
while read -r name; do
  export "$name=dummy-$name"
done <"$work/secrets"

# 1. The zip, exactly as the plugin uploads it: .serverless/<service>.zip in the project root.
[ -d "$root/.serverless" ] || created_dotserverless=true
sls package --stage "$stage" >"$work/package.log" 2>&1 ||
  { cat "$work/package.log" >&2; fail "serverless package --stage $stage failed"; }
zip="$root/.serverless/lvao-$stage.zip"
[ -f "$zip" ] || fail "serverless package made no $zip"
cp "$zip" "$work/bundle.zip"
echo "zip: $(du -h "$work/bundle.zip" | cut -f1) ($(unzip -Z1 "$work/bundle.zip" | wc -l) files) for stage $stage"

# 2. What the zip holds.
unzip -Z1 "$work/bundle.zip" >"$work/files"
for required in go.mod go.sum; do
  grep -qx "$required" "$work/files" || fail "the zip has no $required"
done
if grep -E '^(tests|local|triggers|node_modules|\.github|\.serverless)/|_test\.go$' "$work/files" >"$work/unwanted"; then
  head -20 "$work/unwanted" >&2
  fail "the zip holds files the functions do not need (see serverless.yml package.patterns)"
fi
src="$work/src"
mkdir -p "$src"
unzip -q "$work/bundle.zip" -d "$src"
if grep -rlE --include='*.go' '^package main$' "$src" >"$work/mains"; then
  sed "s|^$src/||" "$work/mains" >&2
  fail "the zip has a package main: Scaleway's Go runtime refuses it"
fi

# 3. The module and its dependencies stay buildable by the runtime's Go (no go line above it).
#    runtime_go and build_toolchain above follow serverless.yml's provider.runtime: say so
#    when it changed, rather than check against another Go.
sls print --stage "$stage" --format json >"$work/print.json" 2>"$work/print.log" ||
  { cat "$work/print.log" >&2; fail "serverless print --stage $stage failed"; }
runtime="$(node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((c.provider || {}).runtime || "")' <"$work/print.json")"
[ "$runtime" = "go${runtime_go/./}" ] ||
  fail "serverless.yml provider.runtime is \"$runtime\" but this script checks and builds for go$runtime_go: update runtime_go and build_toolchain here (and the Go of .github/workflows)"
cd "$src"
module="$(awk '$1 == "module" { print $2; exit }' go.mod)"
too_new="$(GOFLAGS=-mod=mod go mod graph | awk '{ print $2 }' | grep '^go@' | sed 's/^go@//' | sort -uV |
  awk -v max="$runtime_go" '{ split($0, v, "."); split(max, m, "."); if (v[1] > m[1] || (v[1] == m[1] && v[2] > m[2])) print }')"
[ -z "$too_new" ] || fail "go lines newer than the go$runtime_go runtime in the module graph: $too_new"

# 4. One generated main per function, as the platform does, then one build of them all.
node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const [name, f] of Object.entries(c.functions || {})) console.log(name + " " + f.handler);' <"$work/print.json" >"$work/handlers"
[ -s "$work/handlers" ] || fail "serverless.yml declares no function"
while read -r name handler; do
  dir="${handler%/Handle}"
  [ "$dir" != "$handler" ] || fail "functions.$name.handler $handler: expected <package dir>/Handle"
  [ -d "$src/$dir" ] || fail "functions.$name.handler $handler: $dir is not in the zip"
  mkdir -p "$src/scwbuild/$name"
  cat >"$src/scwbuild/$name/main.go" <<EOF
// Generated by tests/deploy/package.sh: what Scaleway's Go runtime builds around a handler.
package main

import (
	"net/http"
	"os"

	function "$module/$dir"
)

func main() {
	// A compile error here means Handle does not have the signature Scaleway calls.
	var handle http.HandlerFunc = function.Handle
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	_ = http.ListenAndServe(":"+port, handle)
}
EOF
  echo "function $name: $module/$dir.Handle"
done <"$work/handlers"

# -mod=readonly: the platform cannot fix a go.sum, so neither may this build.
mkdir -p "$work/bin"
echo "building with $(GOTOOLCHAIN="$build_toolchain" go version)"
GOTOOLCHAIN="$build_toolchain" go build -mod=readonly -trimpath -o "$work/bin/" ./scwbuild/... ||
  fail "a handler does not build from the zip with $build_toolchain (module $module)"
echo "ok: $(wc -l <"$work/handlers") function(s) build from the $stage zip"
