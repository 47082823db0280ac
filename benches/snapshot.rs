//! Reading a cluster snapshot: `Snapshot::from_yaml` on a synthetic cluster of
//! N namespaces x M deployments x R pods, printed as `kubectl` would print it,
//! as multi-document YAML and as a JSON `List`.
//!
//! ```text
//! cargo bench --bench snapshot            # full run
//! cargo bench --bench snapshot -- --quick # a couple of minutes at most
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use meshrev::Snapshot;
use serde_json::{Value, json};

#[path = "cluster.rs"]
mod cluster;

use cluster::{Size, cluster};

fn yaml_documents(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).expect("YAML"))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn json_list(objects: &[Value]) -> String {
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": objects});
    serde_json::to_string_pretty(&list).expect("JSON")
}

fn read_snapshot(c: &mut Criterion) {
    let sizes = [
        (
            "1k pods",
            Size {
                namespaces: 10,
                deployments: 10,
                replicas: 10,
            },
        ),
        (
            "10k pods",
            Size {
                namespaces: 40,
                deployments: 25,
                replicas: 10,
            },
        ),
    ];
    let mut group = c.benchmark_group("Snapshot::from_yaml");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (label, size) in sizes {
        let objects = cluster(size);
        let mut yaml_list = Vec::new();
        cluster::write_yaml_list(size, &mut yaml_list).expect("in memory");
        let inputs = [
            ("YAML documents", yaml_documents(&objects)),
            ("YAML List", String::from_utf8(yaml_list).expect("UTF-8")),
            ("JSON List", json_list(&objects)),
        ];
        for (format, text) in inputs {
            let snapshot = Snapshot::from_yaml(&text).expect("the synthetic cluster is valid");
            assert_eq!(snapshot.pods().count(), size.pods());
            eprintln!(
                "{label}, {format}: {} objects, {:.1} MB",
                objects.len(),
                text.len() as f64 / 1e6
            );
            group.throughput(Throughput::Elements(objects.len() as u64));
            group.bench_with_input(BenchmarkId::new(format, label), &text, |b, text| {
                b.iter(|| Snapshot::from_yaml(black_box(text)).is_ok())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, read_snapshot);
criterion_main!(benches);
