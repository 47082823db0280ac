//! Graph invariants over generated meshes: Sail revisions and tags, Maistra
//! control planes, namespaces with every kind of injection label, workloads whose
//! pods ran any revision (including ones that no longer exist).
//!
//! - every injected namespace is in exactly one data plane: its injector's (except
//!   a Maistra control plane's own namespace, which Kiali leaves out too), and a
//!   namespace nobody injects is in none;
//! - every data plane is managed by exactly one revision, the one it is named for;
//! - every tag reaches exactly one revision, the one the mesh resolves it to;
//! - node identities are unique, and the graph and all three exports are the same
//!   whatever the order of the input documents;
//! - drift edges are exactly the status' workloads that need a restart.

use std::collections::BTreeSet;

use meshrev::topology::{EdgeKind, Node, NodeId, mermaid_id};
use meshrev::{Mesh, SnapshotBuilder, Status, Topology};
use petgraph::Direction;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Value, json};

const SAIL_NAMES: [&str; 4] = ["blue", "green", "canary", "default"];
const SAIL_NS: [&str; 2] = ["istio-system", "istio-cp2"];
const MAISTRA: [(&str, &str); 2] = [("basic", "istio-system"), ("tenant", "mesh-a")];
const TAGS: [&str; 3] = ["prod", "stable", "default"];
const NAMESPACES: [&str; 7] = ["ns0", "ns1", "ns2", "ns3", "ns4", "istio-system", "mesh-a"];

#[derive(Debug, Clone)]
struct Case {
    sail: Vec<(usize, usize)>,   // (name, control-plane namespace)
    maistra: Vec<(usize, bool)>, // (which, cluster-wide)
    tags: Vec<(usize, usize)>,   // (tag, target among sail revisions)
    namespaces: Vec<NsCase>,
}

#[derive(Debug, Clone)]
struct NsCase {
    name: usize,
    label: u8,
    pick: usize,
    ignore: bool,
    workloads: Vec<WlCase>,
}

#[derive(Debug, Clone)]
struct WlCase {
    template: u8,
    pick: usize,
    pods: Vec<(u8, usize)>, // (record kind, pick)
}

fn ns_strategy() -> impl Strategy<Value = NsCase> {
    let wl = (
        0u8..4,
        0usize..8,
        prop::collection::vec((0u8..4, 0usize..8), 0..3),
    )
        .prop_map(|(template, pick, pods)| WlCase {
            template,
            pick,
            pods,
        });
    (
        0usize..NAMESPACES.len(),
        0u8..6,
        0usize..8,
        any::<bool>(),
        prop::collection::vec(wl, 0..3),
    )
        .prop_map(|(name, label, pick, ignore, workloads)| NsCase {
            name,
            label,
            pick,
            ignore,
            workloads,
        })
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((0usize..SAIL_NAMES.len(), 0usize..SAIL_NS.len()), 0..3),
        prop::collection::vec((0usize..MAISTRA.len(), any::<bool>()), 0..2),
        prop::collection::vec((0usize..TAGS.len(), 0usize..4), 0..3),
        prop::collection::vec(ns_strategy(), 0..6),
    )
        .prop_map(|(sail, maistra, tags, namespaces)| Case {
            sail,
            maistra,
            tags,
            namespaces,
        })
}

fn pick<'a>(pool: &[&'a str], i: usize) -> Option<&'a str> {
    (!pool.is_empty()).then(|| pool[i % pool.len()])
}

/// The cluster objects of a case, one JSON value each.
fn documents(case: &Case) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut sail: Vec<&str> = Vec::new();
    for &(n, ns) in &case.sail {
        let name = SAIL_NAMES[n];
        if sail.contains(&name) {
            continue;
        }
        sail.push(name);
        docs.push(json!({
            "apiVersion": "sailoperator.io/v1", "kind": "IstioRevision",
            "metadata": {"name": name},
            "spec": {"version": "v1.24.3", "namespace": SAIL_NS[ns], "values": {"revision": name}},
        }));
    }
    let mut maistra: Vec<(&str, &str)> = Vec::new();
    for &(m, cluster_wide) in &case.maistra {
        let (name, ns) = MAISTRA[m];
        if maistra.iter().any(|(n, _)| *n == name) {
            continue;
        }
        maistra.push((name, ns));
        docs.push(json!({
            "apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"version": "v2.6", "mode": if cluster_wide { "ClusterWide" } else { "MultiTenant" }},
        }));
    }
    let mut tags: Vec<&str> = Vec::new();
    for &(t, target) in &case.tags {
        let (tag, Some(target)) = (TAGS[t], pick(&sail, target)) else {
            continue;
        };
        // A tag may not share a revision's name, nor be defined twice.
        if tags.contains(&tag) || sail.contains(&tag) {
            continue;
        }
        tags.push(tag);
        docs.push(json!({
            "apiVersion": "sailoperator.io/v1", "kind": "IstioRevisionTag",
            "metadata": {"name": tag},
            "spec": {"targetRef": {"kind": "IstioRevision", "name": target}},
        }));
    }
    // What a namespace label or a pod template may name.
    let mut names: Vec<&str> = sail.iter().chain(tags.iter()).copied().collect();
    names.push("gone");
    let mut records: Vec<&str> = sail
        .iter()
        .copied()
        .chain(maistra.iter().map(|m| m.0))
        .collect();
    records.push("old");

    let mut seen = BTreeSet::new();
    for ns in &case.namespaces {
        let name = NAMESPACES[ns.name];
        if !seen.insert(name) {
            continue;
        }
        let mut labels = serde_json::Map::new();
        match ns.label {
            1 => {
                labels.insert("istio.io/rev".into(), json!(pick(&names, ns.pick)));
            }
            2 => {
                labels.insert("istio-injection".into(), json!("enabled"));
            }
            3 => {
                labels.insert("istio-injection".into(), json!("disabled"));
            }
            4 | 5 => {
                if let Some(&(_, cp)) = maistra.get(ns.pick % maistra.len().max(1)) {
                    labels.insert("maistra.io/member-of".into(), json!(cp));
                    labels.insert("istio-injection".into(), json!("enabled"));
                }
                if ns.label == 5 {
                    labels.insert("istio.io/rev".into(), json!(pick(&names, ns.pick)));
                }
            }
            _ => {}
        }
        if ns.ignore {
            labels.insert("maistra.io/ignore-namespace".into(), json!("true"));
        }
        docs.push(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels},
        }));
        for (w, wl) in ns.workloads.iter().enumerate() {
            let wname = format!("w{w}");
            let mut tl = serde_json::Map::new();
            tl.insert("app".into(), json!(wname));
            match wl.template {
                1 => {
                    tl.insert("sidecar.istio.io/inject".into(), json!("true"));
                }
                2 => {
                    tl.insert("sidecar.istio.io/inject".into(), json!("false"));
                }
                3 => {
                    tl.insert("istio.io/rev".into(), json!(pick(&names, wl.pick)));
                }
                _ => {}
            }
            docs.push(json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": wname, "namespace": name},
                "spec": {"replicas": wl.pods.len(), "selector": {"matchLabels": {"app": wname}},
                         "template": {"metadata": {"labels": tl}, "spec": {"containers": [{"name": "app"}]}}},
            }));
            for (p, &(record, which)) in wl.pods.iter().enumerate() {
                let mut annotations = serde_json::Map::new();
                let mut containers = vec![json!({"name": "app"})];
                match record {
                    1 | 2 => {
                        annotations.insert("istio.io/rev".into(), json!(pick(&records, which)));
                        containers.push(json!({"name": "istio-proxy"}));
                    }
                    3 => containers.push(json!({"name": "istio-proxy"})), // no record
                    _ => {}
                }
                docs.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{wname}-{p}"), "namespace": name,
                                 "labels": tl, "annotations": annotations,
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                      "name": wname, "uid": "u", "controller": true}]},
                    "spec": {"containers": containers},
                    "status": {"phase": "Running"},
                }));
            }
        }
    }
    docs
}

fn mesh_of(docs: &[Value]) -> Mesh {
    let mut b = SnapshotBuilder::new();
    for d in docs {
        b.add_value(d.clone()).expect("generated objects are valid");
    }
    Mesh::new(b.build())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn check_invariants(mesh: &Mesh) -> Result<(), TestCaseError> {
    let status = Status::of(mesh);
    let t = Topology::of(mesh, &status);

    // Unique identities: one graph node per id, one id per node, distinct edges.
    let ids: Vec<&NodeId> = t.nodes().map(Node::id).collect();
    let unique: BTreeSet<&NodeId> = ids.iter().copied().collect();
    prop_assert_eq!(ids.len(), unique.len());
    prop_assert_eq!(ids.len(), t.graph().node_count());
    let mermaid: BTreeSet<String> = ids.iter().map(|i| mermaid_id(i.as_str())).collect();
    prop_assert_eq!(mermaid.len(), ids.len());
    let edge_ids: BTreeSet<String> = t.edges().map(|e| e.id()).collect();
    prop_assert_eq!(edge_ids.len(), t.graph().edge_count());

    // Every injected namespace in exactly one data plane, its injector's.
    for ns in &status.namespaces {
        // Status leaves a Maistra control plane's own namespace out of its data
        // plane (the operator labels it member-of; Kiali does not draw it).
        let own_cp = ns
            .injector
            .as_deref()
            .and_then(|i| mesh.revision(i))
            .is_some_and(|r| r.family == meshrev::mesh::Family::Maistra && r.namespace == ns.name);
        let planes = t.neighbors(
            NodeId::namespace(&ns.name).as_str(),
            EdgeKind::Contains,
            Direction::Incoming,
        );
        match ns.injector.as_deref() {
            Some(injector) if !own_cp => {
                prop_assert_eq!(planes.len(), 1, "namespace {} in {:?}", ns.name, planes);
                prop_assert_eq!(planes[0].id(), &NodeId::data_plane(injector));
                prop_assert!(
                    t.data_plane(injector)
                        .unwrap()
                        .namespaces
                        .contains(&ns.name)
                );
                if let Some(r) = status.revision(injector) {
                    prop_assert!(r.namespaces.contains(&ns.name));
                }
            }
            _ => prop_assert!(planes.is_empty(), "namespace {} in {:?}", ns.name, planes),
        }
    }
    for dp in t.data_planes() {
        let managers = t.neighbors(dp.id.as_str(), EdgeKind::Manages, Direction::Incoming);
        prop_assert_eq!(managers.len(), 1);
        match managers[0] {
            Node::Revision(r) => prop_assert_eq!(&r.name, &dp.revision),
            other => prop_assert!(false, "managed by {:?}", other),
        }
        prop_assert!(!dp.namespaces.is_empty());
    }

    // Every tag reaches exactly one revision: the one the mesh resolves it to.
    for tag in mesh.tags() {
        let reached = t.neighbors(
            NodeId::tag(&tag.name).as_str(),
            EdgeKind::PointsTo,
            Direction::Outgoing,
        );
        prop_assert_eq!(reached.len(), 1, "tag {} reaches {:?}", tag.name, reached);
        let want = mesh.resolve_name(&tag.name).map(|r| r.name.as_str());
        prop_assert_eq!(t.tag_target(&tag.name).map(|r| r.name.as_str()), want);
    }

    // Drift edges are exactly the status' restarts that have an injector.
    let drifting: BTreeSet<NodeId> = status
        .needs_restart()
        .filter(|(_, w)| w.injector.is_some())
        .map(|(n, w)| NodeId::workload(&n.name, w.kind.as_str(), &w.name))
        .collect();
    let dashed: BTreeSet<NodeId> = t
        .edges()
        .filter(|e| e.kind == EdgeKind::ShouldRunOn)
        .map(|e| e.source.clone())
        .collect();
    prop_assert_eq!(drifting, dashed);
    for e in t.edges().filter(|e| e.kind == EdgeKind::ShouldRunOn) {
        let (Some(Node::Workload(w)), Some(Node::Revision(r))) =
            (t.node(e.source.as_str()), t.node(e.target.as_str()))
        else {
            return Err(TestCaseError::fail(format!("{e:?}")));
        };
        // (It may also run on it: a pod without a sidecar is drift too.)
        prop_assert_eq!(w.injector.as_deref(), Some(r.name.as_str()));
    }

    // Progress shares are shares.
    for (_, p) in t.progress() {
        prop_assert!((0.0..=1.0).contains(&p.pod_share));
        prop_assert!((0.0..=1.0).contains(&p.workload_share));
    }
    prop_assert!(t.diff(&t).is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn graph_invariants_hold(case in case_strategy()) {
        check_invariants(&mesh_of(&documents(&case)))?;
    }

    #[test]
    fn identities_and_exports_do_not_depend_on_document_order(
        (docs, shuffled) in case_strategy().prop_flat_map(|c| {
            let docs = documents(&c);
            (Just(docs.clone()), Just(docs).prop_shuffle())
        })
    ) {
        let (a, b) = (Topology::new(&mesh_of(&docs)), Topology::new(&mesh_of(&shuffled)));
        let ids = |t: &Topology| t.nodes().map(|n| n.id().clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b));
        prop_assert_eq!(a.edges().collect::<Vec<_>>(), b.edges().collect::<Vec<_>>());
        prop_assert!(a == b);
        prop_assert_eq!(a.to_dot(), b.to_dot());
        prop_assert_eq!(a.to_mermaid(), b.to_mermaid());
        prop_assert_eq!(a.to_kiali_json(), b.to_kiali_json());
        prop_assert!(a.diff(&b).is_empty());
    }

    /// Ids come from objects: adding an unrelated namespace changes no other id.
    #[test]
    fn adding_an_object_keeps_every_other_id(case in case_strategy()) {
        let docs = documents(&case);
        let before = Topology::new(&mesh_of(&docs));
        let mut more = docs.clone();
        more.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "zz-unrelated"}}));
        let after = Topology::new(&mesh_of(&more));
        let diff = before.diff(&after);
        prop_assert!(diff.nodes_removed.is_empty());
        prop_assert!(diff.nodes_added.is_empty(), "{:?}", diff.nodes_added);
    }
}

/// The generator reaches what the invariants are about: data planes of both
/// families, tags, drift, revisions only pods remember, conflicts.
#[test]
fn generator_covers_the_interesting_cases() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = case_strategy();
    let (mut sail_dp, mut maistra_dp, mut tags, mut drift, mut gone, mut own_cp) =
        (0, 0, 0, 0, 0, 0);
    for _ in 0..300 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let mesh = mesh_of(&documents(&case));
        let t = Topology::new(&mesh);
        for dp in t.data_planes() {
            match mesh.revision(&dp.revision).map(|r| r.family) {
                Some(meshrev::mesh::Family::Sail) => sail_dp += 1,
                Some(meshrev::mesh::Family::Maistra) => maistra_dp += 1,
                _ => {}
            }
        }
        tags += t.tags().count();
        drift += t.needs_restart().len();
        gone += t.missing_revisions().len();
        own_cp += t
            .namespaces()
            .filter(|n| n.injector.is_some() && t.data_plane_of(&n.name).is_none())
            .count();
    }
    for (what, n) in [
        ("Sail data planes", sail_dp),
        ("Maistra data planes", maistra_dp),
        ("tags", tags),
        ("drifting workloads", drift),
        ("revisions only pods remember", gone),
        (
            "Maistra control planes injecting their own namespace",
            own_cp,
        ),
    ] {
        assert!(n >= 5, "{what}: only {n} in 300 cases");
    }
}
