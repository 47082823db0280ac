//! Resolution at cluster scale: `Mesh::new`, `resolve_pod` over every pod, and
//! `Status::of`, on a synthetic cluster generated in memory.
//!
//! The cluster is a migration in progress: Maistra SMCP `basic` (ClusterWide),
//! Sail Istio `ossm3` (no webhook configurations: meshrev synthesizes them) and an
//! upstream helm revision `1-25-2` (with its webhook configurations), tags
//! `default` -> ossm3 (IstioRevisionTag) and `prod` -> 1-25-2 (helm tag webhook),
//! 200 namespaces labelled every way that matters, and Deployments with
//! ReplicaSets and pods carrying the usual labels and injector annotations.
//!
//! `cargo bench --bench resolve -- --quick` runs in well under a minute.
//!
//! The `resolve-cpu` group times `Status::of` and `resolve_pod` over every pod
//! at 50k pods again, in the thread's own CPU time (`/proc/thread-self/schedstat`)
//! rather than wall time: on a machine shared with other builds, wall time
//! counts the time other processes held the core.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use meshrev::{Edit, Mesh, Snapshot, SnapshotBuilder, Status};
use serde_json::{Value, json};

#[path = "cpu_time.rs"]
mod cpu_time;
use cpu_time::CpuTime;

const NAMESPACES: usize = 200;
const PODS_PER_DEPLOYMENT: usize = 5;
const POD_COUNTS: [usize; 2] = [10_000, 50_000];

/// A small deterministic generator (splitmix64), so every run sees one cluster.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn selector(exprs: &[(&str, &str, &[&str])]) -> Value {
    let exprs: Vec<Value> = exprs
        .iter()
        .map(|(k, op, vs)| {
            if vs.is_empty() {
                json!({"key": k, "operator": op})
            } else {
                json!({"key": k, "operator": op, "values": vs})
            }
        })
        .collect();
    json!({ "matchExpressions": exprs })
}

/// The istio-discovery chart's webhooks for `istio.io/rev` value `v` (no default ones).
fn rev_webhooks(v: &str, service: &str) -> Value {
    let client =
        json!({"service": {"name": service, "namespace": "istio-system", "path": "/inject"}});
    json!([
        {"name": "rev.namespace.sidecar-injector.istio.io", "clientConfig": client,
         "namespaceSelector": selector(&[("istio.io/rev", "In", &[v]), ("istio-injection", "DoesNotExist", &[])]),
         "objectSelector": selector(&[("sidecar.istio.io/inject", "NotIn", &["false"])])},
        {"name": "rev.object.sidecar-injector.istio.io", "clientConfig": client,
         "namespaceSelector": selector(&[("istio.io/rev", "DoesNotExist", &[]), ("istio-injection", "DoesNotExist", &[])]),
         "objectSelector": selector(&[("sidecar.istio.io/inject", "NotIn", &["false"]), ("istio.io/rev", "In", &[v])])},
    ])
}

fn control_planes() -> Vec<Value> {
    vec![
        json!({"apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
               "metadata": {"name": "basic", "namespace": "istio-system"},
               "spec": {"version": "v2.6", "mode": "ClusterWide"}}),
        json!({"apiVersion": "maistra.io/v1", "kind": "ServiceMeshMemberRoll",
               "metadata": {"name": "default", "namespace": "istio-system"},
               "spec": {"memberSelectors": [{"matchLabels": {"istio-injection": "enabled"}}]}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "Istio",
               "metadata": {"name": "ossm3"},
               "spec": {"version": "v1.24.3", "namespace": "istio-system",
                        "values": {"global": {"proxy": {"autoInject": "enabled"}}}}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "IstioRevisionTag",
               "metadata": {"name": "default"},
               "spec": {"targetRef": {"kind": "Istio", "name": "ossm3"}}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
               "metadata": {"name": "istio-sidecar-injector-1-25-2",
                            "labels": {"istio.io/rev": "1-25-2", "app": "sidecar-injector"}},
               "webhooks": rev_webhooks("1-25-2", "istiod-1-25-2")}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
               "metadata": {"name": "istio-revision-tag-prod",
                            "labels": {"istio.io/rev": "1-25-2", "istio.io/tag": "prod",
                                       "app": "sidecar-injector"}},
               "webhooks": rev_webhooks("prod", "istiod-1-25-2")}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "istiod-1-25-2", "namespace": "istio-system",
                            "labels": {"app": "istiod", "istio.io/rev": "1-25-2"}},
               "spec": {"replicas": 1, "template": {
                   "metadata": {"labels": {"app": "istiod", "istio.io/rev": "1-25-2"}},
                   "spec": {"containers": [{"name": "discovery"}]}}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "istio-sidecar-injector-1-25-2", "namespace": "istio-system"},
               "data": {"config": "policy: enabled\nalwaysInjectSelector: []\nneverInjectSelector:\n- matchLabels: {job: batch}\n",
                        "values": "{\"sidecarInjectorWebhook\":{\"enableNamespacesByDefault\":false}}"}}),
    ]
}

/// Namespace labels, in the proportions of a cluster half-way through a
/// Maistra -> Sail migration.
fn namespace_labels(i: usize) -> Value {
    match i % 10 {
        0..=2 => json!({"maistra.io/member-of": "istio-system", "istio-injection": "enabled"}),
        3 | 4 => {
            json!({"maistra.io/member-of": "istio-system", "maistra.io/ignore-namespace": "true",
                        "istio.io/rev": "ossm3"})
        }
        5 => json!({"istio.io/rev": "prod"}),
        6 => json!({"istio.io/rev": "default"}),
        7 => json!({"istio-injection": "enabled"}),
        8 => json!({"istio-injection": "disabled"}),
        _ => json!({}),
    }
}

/// The revision that injected a pod of namespace `ns` (its running record).
fn injected_by(ns: usize, rng: &mut Rng) -> Option<&'static str> {
    match ns % 10 {
        0..=2 => Some("basic"),
        // Relabelled to ossm3; a third of the pods not restarted yet.
        3 | 4 if rng.chance(33) => Some("basic"),
        3 | 4 => Some("ossm3"),
        5 => Some("1-25-2"),
        6 | 7 => Some("ossm3"),
        _ => None,
    }
}

fn cluster(pods: usize) -> Snapshot {
    let mut rng = Rng(pods as u64);
    let mut b = SnapshotBuilder::new();
    let mut add = |v: Value| {
        b.add_value(v).expect("synthetic object");
    };
    for cp in control_planes() {
        add(cp);
    }
    for i in 0..NAMESPACES {
        add(json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": format!("team-{i:03}"), "labels": namespace_labels(i)}}));
    }
    let deployments = pods.div_ceil(PODS_PER_DEPLOYMENT);
    let mut made = 0;
    for d in 0..deployments {
        let ns_index = d % NAMESPACES;
        let ns = format!("team-{ns_index:03}");
        let app = format!("svc-{d}");
        let hash = format!("{:010x}", rng.next() & 0xff_ffff_ffff);
        let mut template_labels = json!({"app": app, "version": "v1"});
        let mut template_annotations = json!({"prometheus.io/scrape": "true"});
        match rng.below(20) {
            0 => template_labels["sidecar.istio.io/inject"] = json!("false"),
            1 => template_labels["sidecar.istio.io/inject"] = json!("true"),
            2 => template_annotations["sidecar.istio.io/inject"] = json!("true"),
            3 => template_labels["job"] = json!("batch"),
            4 => template_labels["istio.io/rev"] = json!("1-25-2"),
            _ => {}
        }
        add(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": app, "namespace": ns, "uid": format!("d-{d}")},
                   "spec": {"replicas": PODS_PER_DEPLOYMENT,
                            "template": {"metadata": {"labels": template_labels,
                                                      "annotations": template_annotations},
                                         "spec": {"containers": [{"name": "app"}]}}}}));
        let rs = format!("{app}-{hash}");
        add(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": rs, "namespace": ns, "uid": format!("rs-{d}"),
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                     "name": app, "uid": format!("d-{d}"),
                                                     "controller": true}]},
                   "spec": {"replicas": PODS_PER_DEPLOYMENT,
                            "template": {"metadata": {"labels": template_labels,
                                                      "annotations": template_annotations},
                                         "spec": {"containers": [{"name": "app"}]}}}}));
        for p in 0..PODS_PER_DEPLOYMENT {
            if made == pods {
                break;
            }
            made += 1;
            let mut labels = template_labels.clone();
            labels["pod-template-hash"] = json!(hash);
            let mut annotations = template_annotations.clone();
            let mut containers = vec![json!({"name": "app"})];
            let opted_out = labels.get("sidecar.istio.io/inject") == Some(&json!("false"));
            if let Some(rev) = injected_by(ns_index, &mut rng).filter(|_| !opted_out) {
                annotations["istio.io/rev"] = json!(rev);
                annotations["sidecar.istio.io/status"] = json!(format!(
                    "{{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"volumes\":[\"istio-envoy\",\"istio-data\"],\"imagePullSecrets\":null,\"revision\":\"{rev}\"}}"
                ));
                containers.push(json!({"name": "istio-proxy"}));
            }
            add(json!({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": format!("{rs}-{p:05}"), "namespace": ns,
                                    "labels": labels, "annotations": annotations,
                                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                         "name": rs, "uid": format!("rs-{d}"),
                                                         "controller": true}]},
                       "spec": {"containers": containers, "hostNetwork": false},
                       "status": {"phase": "Running"}}));
        }
    }
    b.build()
}

fn benches(c: &mut Criterion) {
    for pods in POD_COUNTS {
        let snapshot = cluster(pods);
        assert_eq!(snapshot.pods().count(), pods);
        let mesh = Mesh::new(snapshot.clone());

        let mut group = c.benchmark_group("resolve");
        group.sample_size(10);

        group.bench_with_input(BenchmarkId::new("Mesh::new", pods), &snapshot, |b, s| {
            b.iter_batched(|| s.clone(), Mesh::new, BatchSize::LargeInput)
        });

        group.bench_with_input(BenchmarkId::new("Status::of", pods), &mesh, |b, m| {
            b.iter(|| Status::of(black_box(m)))
        });

        // What a plan step costs: the copies are shared, an edit copies what it
        // touches, and only the touched namespace is resolved again.
        group.bench_with_input(
            BenchmarkId::new("Snapshot::clone", pods),
            &snapshot,
            |b, s| b.iter(|| black_box(s).clone()),
        );
        group.bench_with_input(BenchmarkId::new("Mesh::clone", pods), &mesh, |b, m| {
            b.iter(|| black_box(m).clone())
        });
        let ns = mesh
            .snapshot()
            .namespaces()
            .nth(7)
            .map(|n| n.name().to_owned())
            .expect("a namespace");
        let relabel = Edit::label_namespace(&ns, [("istio.io/rev", "1-25-2")], ["istio-injection"]);
        group.bench_with_input(
            BenchmarkId::new("clone+relabel+Status::of_namespaces", pods),
            &mesh,
            |b, m| {
                b.iter(|| {
                    let mut m = m.clone();
                    m.apply(&relabel).expect("relabel");
                    Status::of_namespaces(&m, [ns.as_str()])
                })
            },
        );

        // Reported per pod.
        group.throughput(Throughput::Elements(pods as u64));
        group.bench_with_input(BenchmarkId::new("resolve_pod/all", pods), &mesh, |b, m| {
            b.iter(|| {
                let mut injected = 0usize;
                for pod in m.snapshot().pods() {
                    injected += usize::from(black_box(m.resolve_pod(pod)).revision().is_some());
                }
                injected
            })
        });
        group.finish();
    }
}

fn cpu_benches(c: &mut Criterion<CpuTime>) {
    let pods = 50_000;
    let mesh = Mesh::new(cluster(pods));
    let mut group = c.benchmark_group("resolve-cpu");
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("Status::of", pods), &mesh, |b, m| {
        b.iter(|| Status::of(black_box(m)))
    });
    group.throughput(Throughput::Elements(pods as u64));
    group.bench_with_input(BenchmarkId::new("resolve_pod/all", pods), &mesh, |b, m| {
        b.iter(|| {
            let mut injected = 0usize;
            for pod in m.snapshot().pods() {
                injected += usize::from(black_box(m.resolve_pod(pod)).revision().is_some());
            }
            injected
        })
    });
    group.finish();
}

criterion_group!(resolve, benches);
criterion_group! {
    name = resolve_cpu;
    config = Criterion::default().with_measurement(CpuTime);
    targets = cpu_benches
}
criterion_main!(resolve, resolve_cpu);
