#!/usr/bin/env bash
# Builds the real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler) and etcd from Go modules at pinned versions, once per machine: binaries are
# cached by version outside the work tree, and a later run only checks the stamp.
# Usage: test/cluster/build.sh        (prints the Kubernetes and the etcd binary directories, one a line)
set -euo pipefail

K8S_VERSION=1.36.3     # a release GKE runs (regular channel, late 2026)
ETCD_VERSION=3.6.16    # kube-apiserver 1.34+ is tested against etcd 3.6
here="$(cd "$(dirname "$0")" && pwd)"
cache="${NODELB_CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nodelb-controlplane}"
k8s_dir="$cache/k8s-v$K8S_VERSION"
etcd_dir="$cache/etcd-v$ETCD_VERSION"

fail() { echo "build.sh: $*" >&2; exit 1; }

# Go: the machine's toolchain only (GOTOOLCHAIN=local), so a build never downloads another Go.
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || fail "Go is required to build the control plane (go 1.26 or newer on PATH, or at /usr/local/go); none found"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-modcacherw
go_version=$(go env GOVERSION)
case "$go_version" in go1.2[6-9]*|go1.[3-9]*) ;; *) fail "Go 1.26 or newer is required (go.mod says go 1.26.0); found $go_version";; esac

# The stamp names the exact inputs, so editing a go.mod/go.sum or the versions above rebuilds.
stamp_of() { cat "$here/go/$1/go.mod" "$here/go/$1/go.sum" | sha256sum | cut -c1-16; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # parallel test processes wait for one build instead of racing it

build() { # name dir stamp module-dir ldflags output targets...  (output: a file name, or "" for one per target)
  local name=$1 dir=$2 stamp=$3 moddir=$4 ldflags=$5 output=$6; shift 6
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return 0; fi
  echo "build.sh: building $name (first run on this machine; later runs reuse $dir)" >&2
  local started=$SECONDS tmp="$dir.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # -mod=readonly: the committed go.sum is the whole dependency graph; a module the proxy no
  # longer serves fails here with its name instead of being silently re-resolved.
  if ! (cd "$moddir" && go mod download -x >/dev/null 2>"$tmp/download.log"); then
    grep -E "^go: |: (reading|verifying|not found|unknown revision)" "$tmp/download.log" | head -20 >&2
    fail "fetching the Go modules for $name failed (see the lines above: each names the module and why)"
  fi
  if ! (cd "$moddir" && go build -mod=readonly -trimpath -tags=selinux,notest -ldflags "$ldflags" -o "$tmp/$output" "$@" 2>"$tmp/build.log"); then
    tail -30 "$tmp/build.log" >&2
    fail "building $name failed (go build output above)"
  fi
  rm -f "$tmp/download.log" "$tmp/build.log"
  echo "$stamp" >"$tmp/.stamp"
  rm -rf "$dir" && mv "$tmp" "$dir"
  echo "build.sh: built $name in $((SECONDS - started)) s ($(du -sh "$dir" | cut -f1))" >&2
}

minor=${K8S_VERSION#*.}; minor=${minor%%.*}
# Upstream stamps these (hack/lib/version.sh); unstamped binaries report v0.0.0-master.
k8s_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
-X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"

build "kubernetes v$K8S_VERSION" "$k8s_dir" "$(stamp_of k8s)" "$here/go/k8s" "$k8s_ldflags" "" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
build "etcd v$ETCD_VERSION" "$etcd_dir" "$(stamp_of etcd)" "$here/go/etcd" "-s -w" etcd go.etcd.io/etcd/server/v3

for bin in "$k8s_dir/kube-apiserver" "$k8s_dir/kube-controller-manager" "$k8s_dir/kube-scheduler" "$etcd_dir/etcd"; do
  [ -x "$bin" ] || fail "expected $bin after the build; it is missing"
done
echo "$k8s_dir"
echo "$etcd_dir"
