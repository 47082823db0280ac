//! Planning at cluster scale: `plan::plan` (which simulates every step as it
//! plans, re-checking the invariants on what each step touched) for moving every
//! namespace of the story's OSSM 2.6 -> 3.0 ClusterWide migration, on clusters of
//! 500 and 5,000 namespaces with 20 pods each (10,000 and 100,000 pods): the cost
//! should grow linearly with the namespaces. Also `plan::simulate` of the saved
//! plan and the kubectl rendering.
//!
//! The `plan-cpu` group times `plan::plan` and `plan::simulate` again in the
//! thread's own CPU time (`/proc/thread-self/schedstat`, Linux), which the other
//! builds sharing the machine do not inflate the way they inflate wall time.
//!
//! `cargo bench --bench plan -- --quick` runs in a few minutes;
//! `cargo bench --bench plan -- plan-cpu` runs the CPU-time group only.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use meshrev::plan::{self, Request, render};
use meshrev::{Mesh, Snapshot, SnapshotBuilder};
use serde_json::{Value, json};

#[path = "cpu_time.rs"]
mod cpu_time;
use cpu_time::CpuTime;

const NAMESPACE_COUNTS: [usize; 2] = [500, 5_000];
const DEPLOYMENTS_PER_NAMESPACE: usize = 4;
const PODS_PER_DEPLOYMENT: usize = 5;

/// SMCP `basic` (v2.6, ClusterWide) with its operator-made member roll, and Istio
/// `ossm3` in the same namespace; webhooks synthesized from the CRs.
fn control_planes() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "istio-system", "labels": {"maistra.io/member-of": "istio-system"}}}),
        json!({"apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
               "metadata": {"name": "basic", "namespace": "istio-system", "uid": "smcp"},
               "spec": {"version": "v2.6", "mode": "ClusterWide"}}),
        json!({"apiVersion": "maistra.io/v1", "kind": "ServiceMeshMemberRoll",
               "metadata": {"name": "default", "namespace": "istio-system",
                            "ownerReferences": [{"apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
                                                 "name": "basic", "uid": "smcp", "controller": true}]},
               "spec": {"memberSelectors": [{"matchLabels": {"istio-injection": "enabled"}}]}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "Istio",
               "metadata": {"name": "ossm3"},
               "spec": {"version": "v1.24.3", "namespace": "istio-system"}}),
    ]
}

/// Every namespace a ClusterWide member on `basic`, every pod opted in and
/// running `basic`'s sidecar. Namespaces carry `kubernetes.io/metadata.name`, as
/// the API server sets it on every namespace (Kubernetes 1.21+) and `kubectl get`
/// prints it.
fn cluster(namespaces: usize) -> Snapshot {
    let mut b = SnapshotBuilder::new();
    let mut add = |v: Value| {
        b.add_value(v).expect("synthetic object");
    };
    for cp in control_planes() {
        add(cp);
    }
    for n in 0..namespaces {
        let ns = format!("team-{n:05}");
        add(json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns,
                                                       "istio-injection": "enabled",
                                                       "maistra.io/member-of": "istio-system",
                                                       "team": format!("t{}", n % 17)}}}));
        for d in 0..DEPLOYMENTS_PER_NAMESPACE {
            let app = format!("svc-{d}");
            let template = json!({"metadata": {"labels": {"app": app, "version": "v1"},
                                               "annotations": {"sidecar.istio.io/inject": "true"}},
                                  "spec": {"containers": [{"name": "app"}]}});
            add(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": app, "namespace": ns, "uid": format!("d-{n}-{d}")},
                       "spec": {"replicas": PODS_PER_DEPLOYMENT, "template": template}}));
            let rs = format!("{app}-5d9c7f6b8");
            add(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                       "metadata": {"name": rs, "namespace": ns, "uid": format!("rs-{n}-{d}"),
                                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                         "name": app, "uid": format!("d-{n}-{d}"),
                                                         "controller": true}]},
                       "spec": {"replicas": PODS_PER_DEPLOYMENT, "template": template}}));
            for p in 0..PODS_PER_DEPLOYMENT {
                add(json!({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": format!("{rs}-{p:05}"), "namespace": ns,
                                        "labels": {"app": app, "version": "v1", "pod-template-hash": "5d9c7f6b8"},
                                        "annotations": {"sidecar.istio.io/inject": "true", "istio.io/rev": "basic"},
                                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                             "name": rs, "uid": format!("rs-{n}-{d}"),
                                                             "controller": true}]},
                           "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]},
                           "status": {"phase": "Running"}}));
            }
        }
    }
    b.build()
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    for namespaces in NAMESPACE_COUNTS {
        let mesh = Mesh::new(cluster(namespaces));
        let request = Request::to("ossm3").batch(50);
        let plan = plan::plan(&mesh, &request).expect("the synthetic migration plans");
        assert_eq!(plan.moved_namespaces().count(), namespaces);
        group.throughput(Throughput::Elements(namespaces as u64));
        group.bench_with_input(
            BenchmarkId::new("plan_and_simulate", namespaces),
            &mesh,
            |b, mesh| b.iter(|| black_box(plan::plan(mesh, &request).unwrap())),
        );
        group.bench_with_input(
            BenchmarkId::new("simulate_saved_plan", namespaces),
            &(&mesh, &plan),
            |b, (mesh, plan)| b.iter(|| black_box(plan::simulate(mesh, plan).unwrap())),
        );
        group.bench_with_input(
            BenchmarkId::new("render_kubectl", namespaces),
            &plan,
            |b, plan| b.iter(|| black_box(render::kubectl(plan))),
        );
        group.bench_with_input(
            BenchmarkId::new("plan_to_json", namespaces),
            &plan,
            |b, plan| {
                b.iter_batched(
                    || plan.clone(),
                    |p| black_box(serde_json::to_vec(&p).unwrap()),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

fn cpu_benches(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("plan-cpu");
    group.sample_size(10);
    for namespaces in NAMESPACE_COUNTS {
        let mesh = Mesh::new(cluster(namespaces));
        let request = Request::to("ossm3").batch(50);
        let plan = plan::plan(&mesh, &request).expect("the synthetic migration plans");
        group.throughput(Throughput::Elements(namespaces as u64));
        group.bench_with_input(
            BenchmarkId::new("plan_and_simulate", namespaces),
            &mesh,
            |b, mesh| b.iter(|| black_box(plan::plan(mesh, &request).unwrap())),
        );
        group.bench_with_input(
            BenchmarkId::new("simulate_saved_plan", namespaces),
            &(&mesh, &plan),
            |b, (mesh, plan)| b.iter(|| black_box(plan::simulate(mesh, plan).unwrap())),
        );
    }
    group.finish();
}

criterion_group!(plan_benches, benches);
criterion_group! {
    name = plan_cpu;
    config = Criterion::default().with_measurement(CpuTime);
    targets = cpu_benches
}
criterion_main!(plan_benches, plan_cpu);
