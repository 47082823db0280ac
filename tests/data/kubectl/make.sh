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

# --- vault: one file, a namespace of the story's 2.6 mesh (`basic`, ClusterWide)
# not yet migrated, holding every owner kind a plan must treat differently: a
# Deployment, an OpenShift DeploymentConfig with two ReplicationControllers (the
# old one scaled to 0), a ReplicaSet and a ReplicationController with no
# controller above them, a bare pod, a Job, and a CronJob with its Job. Every
# live pod runs basic's sidecar; one earlier backup pod has Succeeded.
k create namespace vault --dry-run=client -o yaml >"$tmp/vault.yaml"
k label --local -f "$tmp/vault.yaml" istio-injection=enabled maistra.io/member-of=istio-system -o yaml >"$tmp/vault-ns.yaml"
vpod() { # vpod NAME OWNER_API OWNER_KIND OWNER_NAME APP [PHASE]: a pod with basic's sidecar
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: vault}\nspec: {containers: [{name: app, image: ubi9}, {name: istio-proxy, image: proxyv2}], initContainers: [{name: istio-init, image: proxyv2}]}\nstatus: {phase: %s}\n' "$1" "${6:-Running}" >"$tmp/$1.yaml"
  local owner=""
  [ -n "$3" ] && owner=",\"ownerReferences\":[{\"apiVersion\":\"$2\",\"kind\":\"$3\",\"name\":\"$4\",\"uid\":\"owner-$4\",\"controller\":true,\"blockOwnerDeletion\":true}]"
  k patch --local -f "$tmp/$1.yaml" --type merge -p "{\"metadata\":{\"annotations\":{\"istio.io/rev\":\"basic\",\"sidecar.istio.io/inject\":\"true\"},\"labels\":{\"app\":\"$5\"}$owner}}" -o yaml
}
vtemplate() { # vtemplate KIND APIVERSION NAME APP REPLICAS: an opted-in pod template
  printf 'apiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: vault}\nspec:\n  replicas: %s\n  selector: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n      annotations: {sidecar.istio.io/inject: "true"}\n    spec: {containers: [{name: app, image: ubi9}]}\n' "$2" "$1" "$3" "$5" "$4" "$4" >"$tmp/$3.yaml"
  k patch --local -f "$tmp/$3.yaml" --type merge -p '{}' -o yaml
}
vowned() { # vowned FILE OWNER_API OWNER_KIND OWNER_NAME
  k patch --local -f "$1" --type merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"$2\",\"kind\":\"$3\",\"name\":\"$4\",\"uid\":\"owner-$4\",\"controller\":true}]}}" -o yaml
}
inject='{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":"true"}}}}}'
# Deployment api -> ReplicaSet api-6b8f9 -> pod.
k create deployment api --image=ubi9 -n vault --dry-run=client -o yaml >"$tmp/api.yaml"
k patch --local -f "$tmp/api.yaml" --type merge -p "$inject" -o yaml >"$tmp/api-dep.yaml"
vtemplate ReplicaSet apps/v1 api-6b8f9 api 1 >"$tmp/api-rs0.yaml"
vowned "$tmp/api-rs0.yaml" apps/v1 Deployment api >"$tmp/api-rs.yaml"
vpod api-6b8f9-k2x7d apps/v1 ReplicaSet api-6b8f9 api >"$tmp/api-pod.yaml"
# DeploymentConfig ledger -> ReplicationControllers ledger-2 (scaled down), ledger-3 -> pod.
# Its status says deployment 3 is the latest (`ledger-3`): what the API server
# raises with each `instantiate` (`oc rollout latest`).
vtemplate DeploymentConfig apps.openshift.io/v1 ledger ledger 1 >"$tmp/ledger-dc0.yaml"
k patch --local -f "$tmp/ledger-dc0.yaml" --type merge -p '{"status":{"latestVersion":3}}' -o yaml >"$tmp/ledger-dc.yaml"
vtemplate ReplicationController v1 ledger-2 ledger 0 >"$tmp/ledger-rc2-0.yaml"
vowned "$tmp/ledger-rc2-0.yaml" apps.openshift.io/v1 DeploymentConfig ledger >"$tmp/ledger-rc2.yaml"
vtemplate ReplicationController v1 ledger-3 ledger 1 >"$tmp/ledger-rc3-0.yaml"
vowned "$tmp/ledger-rc3-0.yaml" apps.openshift.io/v1 DeploymentConfig ledger >"$tmp/ledger-rc3.yaml"
vpod ledger-3-x7k2p v1 ReplicationController ledger-3 ledger >"$tmp/ledger-pod.yaml"
# A ReplicaSet and a ReplicationController that nothing controls, each with a pod.
vtemplate ReplicaSet apps/v1 cache cache 1 >"$tmp/cache-rs.yaml"
vpod cache-q8w4n apps/v1 ReplicaSet cache cache >"$tmp/cache-pod.yaml"
vtemplate ReplicationController v1 legacy legacy 1 >"$tmp/legacy-rc.yaml"
vpod legacy-h2k9s v1 ReplicationController legacy legacy >"$tmp/legacy-pod.yaml"
# A bare pod.
vpod debug "" "" "" debug >"$tmp/debug-pod.yaml"
# Job migrate-db (no CronJob) -> a running pod.
k create job migrate-db --image=ubi9 -n vault --dry-run=client -o yaml >"$tmp/mig.yaml"
k patch --local -f "$tmp/mig.yaml" --type merge -p "$inject" -o yaml >"$tmp/mig-job.yaml"
vpod migrate-db-7xq2m batch/v1 Job migrate-db migrate-db >"$tmp/mig-pod.yaml"
# CronJob backup -> Job backup-28911 -> a running pod; Job backup-28910's pod Succeeded.
k create cronjob backup --image=ubi9 --schedule='0 3 * * *' -n vault --dry-run=client -o yaml >"$tmp/vcj.yaml"
k patch --local -f "$tmp/vcj.yaml" --type merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":"true"}}}}}}}' -o yaml >"$tmp/vcj2.yaml"
for j in 28910 28911; do
  k create job "backup-$j" --image=ubi9 -n vault --dry-run=client -o yaml >"$tmp/bj$j.yaml"
  vowned "$tmp/bj$j.yaml" batch/v1 CronJob backup >"$tmp/bj$j-owned.yaml"
done
vpod backup-28910-m4c8d batch/v1 Job backup-28910 backup Succeeded >"$tmp/b0-pod.yaml"
vpod backup-28911-q9z4c batch/v1 Job backup-28911 backup >"$tmp/b1-pod.yaml"
first=1
for f in vault-ns api-dep api-rs api-pod ledger-dc ledger-rc2 ledger-rc3 ledger-pod cache-rs \
         cache-pod legacy-rc legacy-pod debug-pod mig-job mig-pod vcj2 bj28910-owned \
         bj28911-owned b0-pod b1-pod; do
  [ "$first" = 1 ] || echo "---"
  first=0
  cat "$tmp/$f.yaml"
done >vault.yaml
