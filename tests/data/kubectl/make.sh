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

# --- ledger: a namespace moved to the OSSM 3 revision `ossm3` (read next to
# fixtures/ossm-2.6-to-3.0/01-before.yaml, which has the control planes), with
# owner kinds beyond Deployments. Its pods still run the 2.6 sidecar (`basic`).
k create namespace ledger --dry-run=client -o yaml >"$tmp/ledger.yaml"
k label --local -f "$tmp/ledger.yaml" maistra.io/ignore-namespace=true istio.io/rev=ossm3 -o yaml >ledger-namespace.yaml

injected() { # injected NAME OWNER_API OWNER_KIND OWNER_NAME: a pod with basic's sidecar
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: ledger}\nspec: {containers: [{name: app, image: ubi9}, {name: istio-proxy, image: proxyv2}]}\nstatus: {phase: Running}\n' "$1" >"$tmp/$1.yaml"
  k patch --local -f "$tmp/$1.yaml" --type merge -p "{\"metadata\":{\"annotations\":{\"istio.io/rev\":\"basic\",\"sidecar.istio.io/inject\":\"true\"},\"labels\":{\"app\":\"$4\"},\"ownerReferences\":[{\"apiVersion\":\"$2\",\"kind\":\"$3\",\"name\":\"$4\",\"uid\":\"owner-$4\",\"controller\":true}]}}" -o yaml
}
owned() { # owned FILE OWNER_API OWNER_KIND OWNER_NAME
  k patch --local -f "$1" --type merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"$2\",\"kind\":\"$3\",\"name\":\"$4\",\"uid\":\"owner-$4\",\"controller\":true}]}}" -o yaml
}
template() { # template KIND APIVERSION NAME: a workload with an opted-in pod template
  printf 'apiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: ledger}\nspec:\n  replicas: 1\n  selector: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n      annotations: {sidecar.istio.io/inject: "true"}\n    spec: {containers: [{name: app, image: ubi9}]}\n' "$2" "$1" "$3" "$3" "$3" >"$tmp/$3.yaml"
  k patch --local -f "$tmp/$3.yaml" --type merge -p '{}' -o yaml
}

# A StatefulSet's pod, its StatefulSet not collected (`kubectl get pods` only).
injected redis-0 apps/v1 StatefulSet redis >ledger-redis-pod.yaml
# OpenShift: DeploymentConfig ledger -> ReplicationController ledger-3 -> pod.
template DeploymentConfig apps.openshift.io/v1 ledger >ledger-dc.yaml
template ReplicationController v1 ledger-3 >"$tmp/rc.yaml"
owned "$tmp/rc.yaml" apps.openshift.io/v1 DeploymentConfig ledger >ledger-rc.yaml
injected ledger-3-x7k2p v1 ReplicationController ledger-3 >ledger-dc-pod.yaml
# CronJob backup -> Job backup-28911 -> a running pod.
k create cronjob backup --image=ubi9 --schedule='0 3 * * *' -n ledger --dry-run=client -o yaml >"$tmp/cj.yaml"
k patch --local -f "$tmp/cj.yaml" --type merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":"true"}}}}}}}' -o yaml >ledger-cronjob.yaml
k create job backup-28911 --image=ubi9 -n ledger --dry-run=client -o yaml >"$tmp/job.yaml"
owned "$tmp/job.yaml" batch/v1 CronJob backup >ledger-job.yaml
injected backup-28911-q9z4c batch/v1 Job backup-28911 >ledger-job-pod.yaml
