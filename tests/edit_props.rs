//! Edits against re-reading: any sequence of edits applied to a snapshot (through
//! `Mesh::apply`) gives the same snapshot, resolution and status as reading the
//! edited objects from text, where the test edits the objects' JSON itself. And
//! the per-namespace status equals the full status after every edit.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use meshrev::snapshot::{Pod, WorkloadKind};
use meshrev::{Edit, Mesh, ObjectRef, Snapshot, Status, WorkloadId};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The fixture snapshots an edit sequence starts from.
const BASES: [&str; 6] = [
    "ossm-2.6-to-3.0/01-before.yaml",
    "ossm-2.6-to-3.0/02-mercury-relabelled.yaml",
    "ossm-2.6-multitenant/01-partially-migrated.yaml",
    "upstream-canary/01-before-tag-move.yaml",
    "sail-revision-based/02-v1-25-1-added.yaml",
    "edge-cases/pod-overrides.yaml",
];

const KEYS: [&str; 6] = [
    "istio.io/rev",
    "istio-injection",
    "maistra.io/ignore-namespace",
    "sidecar.istio.io/inject",
    "app",
    "team",
];
const VALUES: [&str; 8] = [
    "ossm3",
    "basic",
    "enabled",
    "disabled",
    "true",
    "false",
    "1-24-0",
    "prod-stable",
];

/// Every object of a fixture as its own JSON value, lists flattened.
fn objects(relative: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(common::fixture(relative)).expect("fixture");
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let value: Value = serde::Deserialize::deserialize(doc).expect("yaml");
        let kind = value["kind"].as_str().unwrap_or_default().to_owned();
        match kind.strip_suffix("List") {
            Some(item_kind) => {
                for mut item in value["items"].as_array().cloned().unwrap_or_default() {
                    if item.get("kind").is_none() {
                        item["kind"] = json!(item_kind);
                        item["apiVersion"] = value["apiVersion"].clone();
                    }
                    out.push(item);
                }
            }
            None if value.is_object() => out.push(value),
            None => {}
        }
    }
    out
}

fn read(objects: &[Value]) -> Snapshot {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    Snapshot::from_yaml(&list.to_string()).expect("edited objects read back")
}

fn is(o: &Value, kind: &str, namespace: Option<&str>, name: &str) -> bool {
    o["kind"] == kind
        && o["metadata"]["name"] == name
        && o["metadata"]["namespace"].as_str() == namespace
}

fn set_remove(map: &mut Value, set: &BTreeMap<String, String>, remove: &BTreeSet<String>) {
    if !map.is_object() {
        *map = json!({});
    }
    for (k, v) in set {
        map[k] = json!(v);
    }
    if let Some(m) = map.as_object_mut() {
        for k in remove {
            m.remove(k);
        }
    }
}

/// Owned by `(kind, name)` in `namespace`, through ownerReferences.
fn owned_by(o: &Value, namespace: &str, kind: &str, name: &str) -> bool {
    o["metadata"]["namespace"] == namespace
        && o["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["kind"] == kind && r["name"] == name))
}

/// Removes an object and, transitively, what names it as owner.
fn delete(objects: &mut Vec<Value>, namespace: &str, kind: &str, name: &str) {
    let owned: Vec<(String, String)> = objects
        .iter()
        .filter(|o| owned_by(o, namespace, kind, name))
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or_default().to_owned(),
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    objects.retain(|o| !is(o, kind, Some(namespace), name));
    for (k, n) in owned {
        delete(objects, namespace, &k, &n);
    }
}

/// A pod as `kubectl get -o json` would print it (the injection record back in
/// its annotation).
fn pod_json(p: &Pod) -> Value {
    // The proxy's image (a restart tags it with its revision's version).
    let container = |c: &String| match p.proxy_image.as_deref() {
        Some(image) if c == "istio-proxy" => json!({"name": c, "image": image}),
        _ => json!({"name": c}),
    };
    let mut annotations = p.meta.annotations.clone();
    if let Some(record) = &p.sidecar_status {
        annotations.insert("sidecar.istio.io/status".into(), record.to_annotation());
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": p.meta.name,
            "namespace": p.meta.namespace,
            "labels": p.meta.labels,
            "annotations": annotations,
            "ownerReferences": p.meta.owner_references.iter().map(|o| {
                let mut r = json!({"apiVersion": "apps/v1", "kind": o.kind, "name": o.name, "controller": o.controller});
                if let Some(uid) = &o.uid { r["uid"] = json!(uid); }
                r
            }).collect::<Vec<_>>(),
        },
        "spec": {
            "hostNetwork": p.host_network,
            "containers": p.containers.iter().map(container).collect::<Vec<_>>(),
            "initContainers": p.init_containers.iter().map(container).collect::<Vec<_>>(),
        },
        "status": {"phase": p.phase.as_deref()},
    })
}

/// The test's own statement of what each edit does to the objects' JSON.
fn apply_to_json(objects: &mut Vec<Value>, edit: &Edit, mesh: &Mesh) {
    match edit {
        Edit::LabelNamespace {
            namespace,
            set,
            remove,
        } => {
            for o in objects
                .iter_mut()
                .filter(|o| is(o, "Namespace", None, namespace))
            {
                set_remove(&mut o["metadata"]["labels"], set, remove);
            }
        }
        Edit::LabelTemplate {
            workload,
            set,
            remove,
        }
        | Edit::AnnotateTemplate {
            workload,
            set,
            remove,
        } => {
            let field = if matches!(edit, Edit::LabelTemplate { .. }) {
                "labels"
            } else {
                "annotations"
            };
            for o in objects.iter_mut().filter(|o| {
                is(
                    o,
                    workload.kind.as_str(),
                    Some(&workload.namespace),
                    &workload.name,
                )
            }) {
                set_remove(&mut o["spec"]["template"]["metadata"][field], set, remove);
            }
        }
        Edit::ReplacePods { workload, pods } => {
            // The pods it owns: directly, or through a ReplicaSet the Deployment owns.
            let rs: Vec<String> = objects
                .iter()
                .filter(|o| o["kind"] == "ReplicaSet")
                .filter(|o| {
                    owned_by(
                        o,
                        &workload.namespace,
                        workload.kind.as_str(),
                        &workload.name,
                    )
                })
                .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_owned))
                .collect();
            objects.retain(|o| {
                !(o["kind"] == "Pod"
                    && (owned_by(
                        o,
                        &workload.namespace,
                        workload.kind.as_str(),
                        &workload.name,
                    ) || rs
                        .iter()
                        .any(|r| owned_by(o, &workload.namespace, "ReplicaSet", r))))
            });
            objects.extend(pods.iter().map(pod_json));
        }
        Edit::Delete { object } => delete(
            objects,
            object.namespace.as_deref().unwrap_or_default(),
            &object.kind,
            &object.name,
        ),
        other => panic!(
            "the test does not generate {other:?} ({})",
            mesh.revisions().count()
        ),
    }
}

/// One generated edit, as indexes into what the snapshot holds.
#[derive(Debug, Clone)]
enum Pick {
    LabelNamespace(usize, Vec<(usize, usize)>, Vec<usize>),
    LabelTemplate(usize, Vec<(usize, usize)>, Vec<usize>),
    AnnotateTemplate(usize, Vec<(usize, usize)>, Vec<usize>),
    Restart(usize),
    DeletePod(usize),
    DeleteWorkload(usize),
}

fn pick() -> impl Strategy<Value = Pick> {
    let labels = prop::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..3);
    let removals = prop::collection::vec(0..KEYS.len(), 0..2);
    prop_oneof![
        3 => (any::<usize>(), labels.clone(), removals.clone())
            .prop_map(|(i, s, r)| Pick::LabelNamespace(i, s, r)),
        1 => (any::<usize>(), labels.clone(), removals.clone())
            .prop_map(|(i, s, r)| Pick::LabelTemplate(i, s, r)),
        1 => (any::<usize>(), labels, removals).prop_map(|(i, s, r)| Pick::AnnotateTemplate(i, s, r)),
        3 => any::<usize>().prop_map(Pick::Restart),
        1 => any::<usize>().prop_map(Pick::DeletePod),
        1 => any::<usize>().prop_map(Pick::DeleteWorkload),
    ]
}

fn changes(
    set: &[(usize, usize)],
    remove: &[usize],
) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let set: BTreeMap<String, String> = set
        .iter()
        .map(|&(k, v)| (KEYS[k].to_owned(), VALUES[v].to_owned()))
        .collect();
    let remove = remove
        .iter()
        .map(|&k| KEYS[k].to_owned())
        .filter(|k| !set.contains_key(k))
        .collect();
    (set, remove)
}

/// The edit a pick stands for on this mesh, or `None` when there is nothing to pick.
fn edit(mesh: &Mesh, pick: &Pick) -> Option<Edit> {
    let s = mesh.snapshot();
    let nth_workload = |i: usize| {
        let ws: Vec<_> = s
            .workloads()
            .filter(|w| w.kind != WorkloadKind::ReplicaSet)
            .collect();
        (!ws.is_empty()).then(|| {
            let w = ws[i % ws.len()];
            WorkloadId::new(w.namespace(), w.kind, w.meta.name.clone())
        })
    };
    Some(match pick {
        Pick::LabelNamespace(i, set, remove) => {
            let names: Vec<_> = s.namespaces().map(|n| n.name().to_owned()).collect();
            let (set, remove) = changes(set, remove);
            Edit::LabelNamespace {
                namespace: names.get(i % names.len().max(1))?.clone(),
                set: set.into(),
                remove,
            }
        }
        Pick::LabelTemplate(i, set, remove) => {
            let (set, remove) = changes(set, remove);
            Edit::LabelTemplate {
                workload: nth_workload(*i)?,
                set: set.into(),
                remove,
            }
        }
        Pick::AnnotateTemplate(i, set, remove) => {
            let (set, remove) = changes(set, remove);
            Edit::AnnotateTemplate {
                workload: nth_workload(*i)?,
                set: set.into(),
                remove,
            }
        }
        Pick::Restart(i) => mesh
            .restart(&nth_workload(*i)?)
            .expect("restart of a listed workload"),
        Pick::DeletePod(i) => {
            let pods: Vec<_> = s.pods().collect();
            let p = pods.get(i % pods.len().max(1))?;
            Edit::Delete {
                object: ObjectRef::new("Pod", Some(p.namespace()), p.meta.name.clone()),
            }
        }
        Pick::DeleteWorkload(i) => Edit::Delete {
            object: nth_workload(*i)?.object_ref(),
        },
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn edits_equal_reading_the_edited_objects(
        base in 0..BASES.len(),
        picks in prop::collection::vec(pick(), 1..6),
    ) {
        let mut json = objects(BASES[base]);
        let mut snapshot = read(&json);
        let original = snapshot.clone();
        // The same edits through Mesh::apply, which skips discovery where it can
        // and adds the Maistra operator's member-of labels.
        let mut mesh = Mesh::new(snapshot.clone());
        for pick in &picks {
            let Some(edit) = edit(&Mesh::new(snapshot.clone()), pick) else { continue };
            apply_to_json(&mut json, &edit, &mesh);
            snapshot.apply(&edit).expect("a valid edit applies");
            prop_assert_eq!(&snapshot, &read(&json), "after {:?}", edit);

            // Idempotent: the same edit again changes nothing.
            let once = snapshot.clone();
            snapshot.apply(&edit).expect("applies twice");
            prop_assert_eq!(&snapshot, &once);

            mesh.apply(&edit).expect("a valid edit applies to the mesh");
            let fresh = Mesh::new(mesh.snapshot().clone());
            let status = Status::of(&mesh);
            prop_assert_eq!(&status, &Status::of(&fresh));
            for ns in mesh.snapshot().namespace_names() {
                prop_assert_eq!(mesh.resolve_namespace(ns), fresh.resolve_namespace(ns));
                // Incremental status of one namespace equals its part of the whole.
                let one = Status::of_namespaces(&mesh, [ns]);
                prop_assert_eq!(one.namespaces.len(), 1);
                prop_assert_eq!(Some(&one.namespaces[0]), status.namespace(ns));
                let pods: Vec<_> = status.pods.iter().filter(|p| *p.namespace == *ns).cloned().collect();
                prop_assert_eq!(one.pods, pods);
            }
        }
        // The clone taken before the edits still reads as the fixture does.
        prop_assert_eq!(&original, &read(&objects(BASES[base])));
    }
}
