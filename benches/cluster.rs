//! A deterministic synthetic cluster printed as `kubectl` would print it: N
//! namespaces x M deployments (each with its ReplicaSet and Service) x R pods
//! with sidecars, plus one revision's injector webhook and config map. Shared
//! by the benches (`#[path]` module) and `examples/gen-cluster.rs`, which
//! `benches/compare.sh` runs to write the 100k-pod dump.
#![allow(dead_code)]

use std::io::{self, Write};

use serde_json::{Value, json};

/// The shape of a synthetic cluster.
#[derive(Clone, Copy)]
pub struct Size {
    pub namespaces: usize,
    pub deployments: usize,
    pub replicas: usize,
}

impl Size {
    pub fn pods(self) -> usize {
        self.namespaces * self.deployments * self.replicas
    }
}

/// A deterministic hex string (uids, hashes), so every run reads the same bytes.
pub fn hex(seed: usize, len: usize) -> String {
    let mut x = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from_digit((x % 16) as u32, 16).unwrap_or('0')
        })
        .collect()
}

pub fn uid(seed: usize) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(seed, 8),
        hex(seed + 1, 4),
        hex(seed + 2, 4),
        hex(seed + 3, 4),
        hex(seed + 4, 12)
    )
}

pub const REVISION: &str = "ossm-3-0";
pub const TIMESTAMP: &str = "2026-03-02T09:14:07Z";

pub fn namespace(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": ns,
            "uid": uid(i),
            "resourceVersion": "48213",
            "creationTimestamp": TIMESTAMP,
            "labels": {
                "istio.io/rev": REVISION,
                "kubernetes.io/metadata.name": ns,
                "pod-security.kubernetes.io/audit": "restricted",
            },
            "annotations": {
                "openshift.io/sa.scc.mcs": "s0:c27,c4",
                "openshift.io/sa.scc.supplemental-groups": "1000710000/10000",
                "openshift.io/sa.scc.uid-range": "1000710000/10000",
            },
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

pub fn template_labels(app: &str) -> Value {
    json!({"app": app, "version": "v1", "istio.io/rev": REVISION})
}

pub fn deployment(ns: &str, app: &str, seed: usize, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": app,
            "namespace": ns,
            "uid": uid(seed),
            "generation": 4,
            "resourceVersion": "91822",
            "creationTimestamp": TIMESTAMP,
            "labels": {"app": app, "app.kubernetes.io/part-of": "shop"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": app, "version": "v1"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {
                    "labels": template_labels(app),
                    "annotations": {"kubectl.kubernetes.io/restartedAt": TIMESTAMP},
                },
                "spec": {
                    "containers": [{
                        "name": app,
                        "image": format!("quay.io/example/{app}:1.4.2"),
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                    }],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 4},
    })
}

pub fn replica_set(ns: &str, app: &str, hash: &str, seed: usize, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{app}-{hash}"),
            "namespace": ns,
            "uid": uid(seed + 100),
            "labels": {"app": app, "version": "v1", "pod-template-hash": hash},
            "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string()},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": app,
                "uid": uid(seed), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app, "pod-template-hash": hash}},
            "template": {"metadata": {"labels": template_labels(app)}, "spec": {"containers": [{"name": app}]}},
        },
        "status": {"replicas": replicas, "readyReplicas": replicas},
    })
}

pub fn pod(ns: &str, app: &str, hash: &str, seed: usize, i: usize) -> Value {
    let name = format!("{app}-{hash}-{}", hex(seed * 31 + i, 5));
    let status = json!({
        "initContainers": ["istio-init"],
        "containers": ["istio-proxy"],
        "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy",
                    "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"],
        "imagePullSecrets": null,
        "revision": REVISION,
    });
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": format!("{app}-{hash}-"),
            "namespace": ns,
            "uid": uid(seed * 1000 + i),
            "resourceVersion": "102934",
            "creationTimestamp": TIMESTAMP,
            "labels": {
                "app": app,
                "version": "v1",
                "pod-template-hash": hash,
                "istio.io/rev": REVISION,
                "security.istio.io/tlsMode": "istio",
                "service.istio.io/canonical-name": app,
                "service.istio.io/canonical-revision": "v1",
            },
            "annotations": {
                "sidecar.istio.io/status": status.to_string(),
                "kubectl.kubernetes.io/default-container": app,
                "kubectl.kubernetes.io/default-logs-container": app,
                "prometheus.io/path": "/stats/prometheus",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "istio.io/rev": REVISION,
                "k8s.ovn.org/pod-networks": format!(
                    "{{\"default\":{{\"ip_addresses\":[\"10.128.{}.{}/23\"],\"mac_address\":\"0a:58:0a:80:02:1f\"}}}}",
                    seed % 250, i % 250
                ),
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{hash}"),
                "uid": uid(seed + 100), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "initContainers": [{
                "name": "istio-init",
                "image": "registry.redhat.io/openshift-service-mesh/istio-proxyv2-rhel9:1.24.3",
                "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
                         "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"],
                "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
            }],
            "containers": [
                {
                    "name": app,
                    "image": format!("quay.io/example/{app}:1.4.2"),
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                    "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": true}],
                },
                {
                    "name": "istio-proxy",
                    "image": "registry.redhat.io/openshift-service-mesh/istio-proxyv2-rhel9:1.24.3",
                    "args": ["proxy", "sidecar", "--domain", format!("{ns}.svc.cluster.local"),
                             "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"],
                    "env": [
                        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
                        {"name": "CA_ADDR", "value": format!("istiod-{REVISION}.istio-system.svc:15012")},
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                        {"name": "ISTIO_META_WORKLOAD_NAME", "value": app},
                        {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
                    ],
                    "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}, "periodSeconds": 15},
                    "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
                    "securityContext": {"runAsUser": 1337, "runAsGroup": 1337, "runAsNonRoot": true, "readOnlyRootFilesystem": true},
                },
            ],
            "nodeName": format!("worker-{}.example.com", i % 6),
            "restartPolicy": "Always",
            "serviceAccountName": "default",
            "volumes": [
                {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
                {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": format!("10.128.{}.{}", seed % 250, i % 250),
            "startTime": TIMESTAMP,
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": TIMESTAMP},
                {"type": "Ready", "status": "True", "lastTransitionTime": TIMESTAMP},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": TIMESTAMP},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": TIMESTAMP},
            ],
            "containerStatuses": [
                {"name": app, "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": TIMESTAMP}}},
                {"name": "istio-proxy", "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": TIMESTAMP}}},
            ],
        },
    })
}

/// Control-plane objects: the injector webhook and its config map.
pub fn control_plane() -> Vec<Value> {
    vec![
        namespace("istio-system", 0),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": format!("istio-sidecar-injector-{REVISION}"), "labels": {"istio.io/rev": REVISION}},
            "webhooks": [{
                "name": "rev.namespace.sidecar-injector.istio.io",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "clientConfig": {"service": {"name": format!("istiod-{REVISION}"), "namespace": "istio-system", "path": "/inject"}},
                "namespaceSelector": {"matchExpressions": [
                    {"key": "istio.io/rev", "operator": "In", "values": [REVISION]},
                    {"key": "istio-injection", "operator": "DoesNotExist"},
                ]},
                "objectSelector": {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]},
            }],
        }),
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": format!("istio-sidecar-injector-{REVISION}"), "namespace": "istio-system"},
            "data": {"config": "policy: enabled\nalwaysInjectSelector: []\n", "values": "{\"revision\":\"ossm-3-0\"}"},
        }),
    ]
}

/// Calls `each` with every object of a cluster of `size`, in `kubectl` order,
/// without holding them all (a 100k-pod cluster is about a gigabyte of JSON).
pub fn for_each_object(
    size: Size,
    mut each: impl FnMut(&Value) -> io::Result<()>,
) -> io::Result<()> {
    for o in control_plane() {
        each(&o)?;
    }
    for n in 0..size.namespaces {
        let ns = format!("shop-{n:04}");
        each(&namespace(&ns, n + 1))?;
        for d in 0..size.deployments {
            let app = format!("svc-{d:03}");
            let seed = n * 1000 + d;
            let hash = hex(seed, 10);
            each(&deployment(&ns, &app, seed, size.replicas))?;
            each(&replica_set(&ns, &app, &hash, seed, size.replicas))?;
            each(&json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
                "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 8080}]},
            }))?;
            for r in 0..size.replicas {
                each(&pod(&ns, &app, &hash, seed, r))?;
            }
        }
    }
    Ok(())
}

/// Every object of a cluster of `size`, in `kubectl` order.
pub fn cluster(size: Size) -> Vec<Value> {
    let mut objects = Vec::new();
    for_each_object(size, |o| {
        objects.push(o.clone());
        Ok(())
    })
    .expect("no I/O");
    objects
}

/// The cluster as `kubectl get ... -o json` prints a `List` (keys sorted, four
/// spaces of indentation), written object by object.
pub fn write_json_list(size: Size, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")?;
    let mut first = true;
    for_each_object(size, |o| {
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        let mut ser = serde_json::Serializer::with_formatter(
            &mut *out,
            serde_json::ser::PrettyFormatter::with_indent(b"    "),
        );
        serde::Serialize::serialize(o, &mut ser).map_err(io::Error::other)
    })?;
    out.write_all(b"\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
}

/// The cluster as `kubectl get ... -o yaml` prints a `List` (`apiVersion`,
/// `items`, then `kind`: keys sorted), written object by object.
pub fn write_yaml_list(size: Size, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"apiVersion: v1\nitems:\n")?;
    for_each_object(size, |o| {
        let text = serde_yaml::to_string(o).map_err(io::Error::other)?;
        for (i, line) in text.lines().enumerate() {
            out.write_all(if i == 0 { b"- " } else { b"  " })?;
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })?;
    out.write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")
}
