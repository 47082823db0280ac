#!/usr/bin/env bash
# Regenerates the snapshots in this folder with kubectl itself (client side only,
# no cluster: `create --dry-run=client`, `label --local`, `patch --local`), so that
# tests read the shapes kubectl prints, not shapes written by this repository.
# Objects kubectl cannot create offline (pods) start from a minimal manifest and
# go through `kubectl patch --local`, which prints them as kubectl does. uid and
# resourceVersion are patched in where a test needs them, as a server sets them.
set -euo pipefail
cd "$(dirname "$0")"
k() { kubectl "$@" 2>/dev/null; }
meta() { # meta UID RV [extra JSON members of metadata]
  printf '{"metadata":{"uid":"%s","resourceVersion":"%s"%s}}' "$1" "$2" "${3:-}"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- shop: a namespace injected by the default revision, a Deployment, its pods.
k create namespace shop --dry-run=client -o yaml >"$tmp/ns.yaml"
k label --local -f "$tmp/ns.yaml" istio-injection=enabled -o yaml >"$tmp/ns2.yaml"
k patch --local -f "$tmp/ns2.yaml" --type merge -p "$(meta ns-shop 100)" -o yaml >shop-namespace.yaml
k create deployment web --image=nginx -n shop --dry-run=client -o yaml >"$tmp/web.yaml"
k patch --local -f "$tmp/web.yaml" --type merge -p "$(meta dep-web 200)" -o yaml >shop-deployment.yaml

pod() { # pod NAME OWNER_KIND OWNER_NAME RV [labels JSON]
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: shop}\nspec: {containers: [{name: app, image: nginx}]}\n' "$1" >"$tmp/$1.yaml"
  k patch --local -f "$tmp/$1.yaml" --type merge -p "$(meta "pod-$1" "$4" ",\"labels\":${5:-{\}},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"$2\",\"name\":\"$3\",\"uid\":\"owner-$3\",\"controller\":true,\"blockOwnerDeletion\":true}]")" -o yaml
}
pod web-7d4b9-a ReplicaSet web-7d4b9 300 '{"app":"web"}' >"$tmp/pod-a.yaml"
pod web-7d4b9-b ReplicaSet web-7d4b9 301 '{"app":"web"}' >"$tmp/pod-b.yaml"
k label --local -f "$tmp/pod-a.yaml" tier=front -o yaml >"$tmp/la.yaml"
k label --local -f "$tmp/pod-b.yaml" tier=front -o yaml >"$tmp/lb.yaml"
# `kubectl get pods -n shop -o yaml` prints a `kind: List` (offline, kubectl
# prints several objects back to back, without `---`): its layout, items indented.
list() {
  echo "apiVersion: v1"
  echo "items:"
  for f in "$@"; do sed -e '1s/^/- /' -e '2,$s/^/  /' "$f"; done
  printf 'kind: List\nmetadata:\n  resourceVersion: ""\n'
}
list "$tmp/la.yaml" "$tmp/lb.yaml" >shop-pods-list.yaml
# The first pod again, on its own (as must-gather also stores it): same uid and
# resourceVersion, so one object.
cp "$tmp/la.yaml" shop-pod-a.yaml
# A later version of the first pod (relabelled since): another resourceVersion.
pod web-7d4b9-a ReplicaSet web-7d4b9 305 '{"app":"web","tier":"back"}' >shop-pod-a-newer.yaml

# JSON output of the same Deployment, for stdin and mixed-format tests.
k patch --local -f shop-deployment.yaml --type merge -p '{}' -o json >shop-deployment.json
