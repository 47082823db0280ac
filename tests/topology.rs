//! The mesh graph on the OSSM 2.6 -> 3.0 story (domain.md section 8): what Kiali's
//! mesh page shows at each stage, what it lacks (drift, progress), the diff
//! between stages, and every export checked structurally.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use meshrev::topology::{EdgeKind, KialiGraph, Node, mermaid_id};
use meshrev::{Mesh, Snapshot, Status, Topology};
use petgraph::Direction;
use serde::Deserialize;

mod common;

const FIVE: [&str; 5] = ["earth", "jupiter", "mars", "mercury", "venus"];
/// The five without mercury, the first to move.
const BUT_MERCURY: [&str; 4] = ["earth", "jupiter", "mars", "venus"];

fn story(stage: &str) -> Topology {
    let path = common::fixture("ossm-2.6-to-3.0").join(format!("{stage}.yaml"));
    let mesh = Mesh::new(Snapshot::from_path(&path).expect("story fixture"));
    Topology::of(&mesh, &Status::of(&mesh))
}

const STAGES: [&str; 5] = [
    "01-before",
    "02-mercury-relabelled",
    "03-mercury-migrated",
    "04-all-migrated",
    "05-smcp-deleted",
];

/// `revision -> [namespaces]` as Kiali draws it: istiod -> dataplane(infraData).
fn kiali_view(t: &Topology) -> BTreeMap<String, Vec<String>> {
    t.data_planes()
        .map(|d| (d.revision.clone(), d.namespaces.clone()))
        .collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// A [`kiali_view`] written out: `[(revision, [namespaces])]`.
fn view(planes: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    planes
        .iter()
        .map(|(revision, ns)| ((*revision).to_owned(), names(ns)))
        .collect()
}

fn restarts(t: &Topology) -> Vec<String> {
    t.needs_restart()
        .iter()
        .map(|w| format!("{}/{}", w.namespace, w.name))
        .collect()
}

// ---------------------------------------------------------------- the story

#[test]
fn before_basic_manages_one_data_plane_of_five_and_ossm3_none() {
    let t = story("01-before");
    assert_eq!(kiali_view(&t), view(&[("basic", &FIVE)]));
    let basic = t.revision("basic").expect("basic");
    assert_eq!(basic.control_plane.as_ref().unwrap().istiod, "istiod-basic");
    let ossm3 = t.revision("ossm3").expect("ossm3");
    assert_eq!(ossm3.control_plane.as_ref().unwrap().istiod, "istiod-ossm3");
    assert!(t.data_plane("ossm3").is_none());
    assert!(
        t.neighbors(ossm3.id.as_str(), EdgeKind::Manages, Direction::Outgoing)
            .is_empty()
    );
    assert!(t.needs_restart().is_empty());
    assert!(t.missing_revisions().is_empty());
    // Everything injected runs basic.
    assert_eq!(basic.progress.pod_share, 1.0);
    assert_eq!(basic.progress.workload_share, 1.0);
    assert_eq!(ossm3.progress.pods, 0);
}

#[test]
fn mercury_relabelled_is_in_ossm3s_data_plane_and_drifts_from_basic() {
    let t = story("02-mercury-relabelled");
    assert_eq!(
        kiali_view(&t),
        view(&[("basic", &BUT_MERCURY), ("ossm3", &["mercury"])])
    );
    assert_eq!(t.data_plane_of("mercury").unwrap().revision, "ossm3");
    let mercury = t.workloads_in("mercury");
    assert!(!mercury.is_empty());
    for w in &mercury {
        assert!(w.needs_restart, "{w:?}");
        assert_eq!(w.running, ["basic"]);
        assert_eq!(w.injector.as_deref(), Some("ossm3"));
        // runs on basic, should run on ossm3: both edges, by graph traversal.
        let on = |kind| -> Vec<String> {
            t.neighbors(w.id.as_str(), kind, Direction::Outgoing)
                .iter()
                .map(|n| n.id().to_string())
                .collect()
        };
        assert_eq!(on(EdgeKind::RunsOn), ["revision:istio-system/basic"]);
        assert_eq!(on(EdgeKind::ShouldRunOn), ["revision:istio-system/ossm3"]);
    }
    // Only mercury needs a restart (kiali#8150).
    let ns: Vec<&str> = t
        .namespaces_needing_restart()
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(ns, ["mercury"]);
    assert_eq!(restarts(&t).len(), mercury.len());
    // No pod runs ossm3 yet.
    assert_eq!(t.revision("ossm3").unwrap().progress.pods, 0);
    assert!(t.revisions_in_use().iter().any(|r| r.name == "ossm3"));
}

#[test]
fn mercury_migrated_two_data_planes() {
    let t = story("03-mercury-migrated");
    assert_eq!(
        kiali_view(&t),
        view(&[("basic", &BUT_MERCURY), ("ossm3", &["mercury"])])
    );
    assert!(t.needs_restart().is_empty(), "{:?}", restarts(&t));
    // Progress per revision (kiali#4435): mercury's share of pods is on ossm3.
    let progress: BTreeMap<&str, _> = t.progress().into_iter().collect();
    let (basic, ossm3) = (progress["basic"], progress["ossm3"]);
    assert!(ossm3.pods > 0 && basic.pods > ossm3.pods);
    assert!((basic.pod_share + ossm3.pod_share - 1.0).abs() < 1e-9);
    assert_eq!(ossm3.workloads, t.workloads_in("mercury").len());
}

#[test]
fn all_migrated_one_data_plane_on_ossm3() {
    let t = story("04-all-migrated");
    assert_eq!(kiali_view(&t), view(&[("ossm3", &FIVE)]));
    assert!(t.data_plane("basic").is_none());
    assert!(t.needs_restart().is_empty());
    assert_eq!(t.revision("ossm3").unwrap().progress.pod_share, 1.0);
    assert_eq!(t.revision("basic").unwrap().progress.pods, 0);
}

#[test]
fn smcp_deleted_no_basic_node_at_all() {
    let t = story("05-smcp-deleted");
    assert_eq!(kiali_view(&t), view(&[("ossm3", &FIVE)]));
    for n in t.nodes() {
        assert!(
            !n.id().as_str().contains("basic"),
            "a basic node is left: {}",
            n.id()
        );
    }
    assert!(t.revision("basic").is_none());
    for text in [t.to_dot(), t.to_mermaid(), t.to_kiali_json()] {
        assert!(!text.contains("istiod-basic") && !text.contains("dataplane:basic"));
    }
}

#[test]
fn kiali_json_shows_what_kialis_mesh_page_shows() {
    for (stage, want) in [
        ("01-before", vec![("istiod-basic", FIVE.to_vec())]),
        (
            "03-mercury-migrated",
            vec![
                ("istiod-basic", BUT_MERCURY.to_vec()),
                ("istiod-ossm3", vec!["mercury"]),
            ],
        ),
        ("05-smcp-deleted", vec![("istiod-ossm3", FIVE.to_vec())]),
    ] {
        let g = story(stage).to_kiali();
        let by_id: BTreeMap<&str, _> = g
            .elements
            .nodes
            .iter()
            .map(|n| (n.data.id.as_str(), &n.data))
            .collect();
        // istiod -> dataplane edges, with the data plane's namespaces as infraData.
        let mut got = Vec::new();
        for e in &g.elements.edges {
            let (s, t) = (by_id[e.data.source.as_str()], by_id[e.data.target.as_str()]);
            if s.infra_type == "istiod" && t.infra_type == "dataplane" {
                let ns: Vec<String> = t
                    .infra_data
                    .as_ref()
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["name"].as_str().unwrap().to_owned())
                    .collect();
                got.push((s.infra_name.clone(), ns));
            }
        }
        let want: Vec<(String, Vec<String>)> = want
            .into_iter()
            .map(|(i, ns)| (i.to_owned(), names(&ns)))
            .collect();
        assert_eq!(got, want, "{stage}");
        // Kiali's stack: kiali -> every istiod, kiali -> Prometheus in istio-system.
        let kiali = by_id["infra:kiali/istio-system/kiali"];
        assert_eq!(
            (kiali.infra_type.as_str(), kiali.node_type.as_str()),
            ("kiali", "infra")
        );
        let prometheus = by_id["infra:metricStore/istio-system/Prometheus"];
        assert_eq!(prometheus.infra_name, "Prometheus");
        assert_eq!(prometheus.parent.as_deref(), Some("namespace:istio-system"));
        let observed = g
            .elements
            .edges
            .iter()
            .filter(|e| {
                e.data.source == kiali.id && by_id[e.data.target.as_str()].infra_type == "istiod"
            })
            .count();
        assert_eq!(observed, if stage == "05-smcp-deleted" { 1 } else { 2 });
    }
}

#[test]
fn diff_between_stages_says_what_moved() {
    let s: Vec<Topology> = STAGES.iter().map(|s| story(s)).collect();

    let d = s[0].diff(&s[1]);
    assert_eq!(d.namespaces_moved.len(), 1);
    let m = &d.namespaces_moved[0];
    assert_eq!(
        (m.namespace.as_str(), m.from.as_deref(), m.to.as_deref()),
        ("mercury", Some("basic"), Some("ossm3"))
    );
    assert!(d.revisions_added.is_empty() && d.revisions_removed.is_empty());
    assert!(!d.workloads_changed.is_empty());
    for w in &d.workloads_changed {
        assert!(w.id.as_str().starts_with("workload:mercury/"));
        assert!(!w.before.as_ref().unwrap().needs_restart);
        assert!(w.after.as_ref().unwrap().needs_restart);
    }
    assert!(
        d.to_string()
            .contains("~ namespace mercury: data plane basic -> ossm3")
    );

    // The restart: nothing moves, mercury's drift resolves.
    let d = s[1].diff(&s[2]);
    assert!(d.namespaces_moved.is_empty());
    assert!(d.workloads_changed.iter().all(|w| {
        w.after
            .as_ref()
            .is_some_and(|a| !a.needs_restart && a.running == ["ossm3"])
    }));
    assert!(d.to_string().contains("restarted"));

    let d = s[2].diff(&s[3]);
    let moved: Vec<&str> = d
        .namespaces_moved
        .iter()
        .map(|m| m.namespace.as_str())
        .collect();
    assert_eq!(moved, ["earth", "jupiter", "mars", "venus"]);
    assert!(
        d.nodes_removed
            .iter()
            .any(|n| n.as_str() == "dataplane:basic")
    );

    let d = s[3].diff(&s[4]);
    assert_eq!(d.revisions_removed, ["basic"]);
    assert!(d.revisions_added.is_empty());
    assert!(
        d.nodes_removed
            .iter()
            .any(|n| n.as_str() == "revision:istio-system/basic")
    );
    assert!(d.to_string().contains("- revision basic"));

    assert!(s[4].diff(&s[4]).is_empty());
}

#[test]
fn deleting_a_control_plane_before_restarting_leaves_a_gone_revision() {
    // 02 with the SMCP deleted: mercury's pods still run basic.
    let path = common::fixture("ossm-2.6-to-3.0/02-mercury-relabelled.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let mut b = meshrev::SnapshotBuilder::new();
    // Keep everything but Maistra's control plane and what it owns (istiod-basic,
    // its webhook configuration and config maps).
    let mut kept = 0;
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let doc = serde_yaml::Value::deserialize(doc).unwrap();
        let items = match doc.get("items").and_then(|i| i.as_sequence()) {
            Some(items) => items.clone(),
            None => vec![doc],
        };
        for item in items {
            let kind = item["kind"].as_str().unwrap_or_default();
            let name = item["metadata"]["name"].as_str().unwrap_or_default();
            if kind.starts_with("ServiceMesh") || name.contains("basic") {
                continue;
            }
            kept += 1;
            b.add_value(serde_json::to_value(item).unwrap()).unwrap();
        }
    }
    assert!(kept > 10);
    let gone = Mesh::new(b.build());
    assert!(mesh.revision("basic").is_some() && gone.revision("basic").is_none());
    let t = Topology::new(&gone);
    let basic = t.revision("basic").expect("pods still remember basic");
    assert!(basic.control_plane.is_none());
    assert_eq!(basic.id.as_str(), "revision:basic");
    assert_eq!(
        t.missing_revisions()
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["basic"]
    );
    assert!(t.to_dot().contains("control plane gone"));
}

// ---------------------------------------------------------------- exports

fn every_fixture() -> Vec<PathBuf> {
    let root = common::fixtures_dir();
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if (name.ends_with(".yaml") || name.ends_with(".json"))
                && !name.ends_with(".expected.yaml")
            {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn fixture_topologies() -> Vec<(PathBuf, Topology)> {
    let out: Vec<(PathBuf, Topology)> = every_fixture()
        .into_iter()
        .filter_map(|p| {
            let s = Snapshot::from_path(&p).ok()?;
            Some((p, Topology::new(&Mesh::new(s))))
        })
        .collect();
    assert!(out.len() >= 5, "fixtures found: {}", out.len());
    out
}

#[test]
fn kiali_json_deserializes_into_the_documented_shape() {
    for (path, t) in fixture_topologies() {
        let text = t.to_kiali_json();
        let g: KialiGraph = serde_json::from_str(&text).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&g).unwrap(),
            text,
            "{path:?} round trip"
        );
        // The raw shape: {"elements": {"nodes": [{"data": {...}}], "edges": [{"data": {id, source, target}}]}}.
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let nodes = raw["elements"]["nodes"].as_array().unwrap();
        let edges = raw["elements"]["edges"].as_array().unwrap();
        let mut ids = BTreeSet::new();
        for n in nodes {
            let d = &n["data"];
            for field in [
                "id",
                "cluster",
                "infraName",
                "infraType",
                "namespace",
                "nodeType",
            ] {
                assert!(d[field].is_string(), "{path:?}: node without {field}: {d}");
            }
            assert!(matches!(d["nodeType"].as_str(), Some("box" | "infra")));
            if d["nodeType"] == "box" {
                assert!(
                    matches!(d["isBox"].as_str(), Some("cluster" | "namespace")),
                    "{d}"
                );
            }
            assert!(
                ids.insert(d["id"].as_str().unwrap().to_owned()),
                "duplicate id {d}"
            );
            // Parents come before their children (kiali-1258).
            if let Some(p) = d["parent"].as_str() {
                assert!(ids.contains(p), "{path:?}: parent {p} after its child");
            }
        }
        for e in edges {
            let d = &e["data"];
            for field in ["id", "source", "target"] {
                assert!(d[field].is_string());
            }
            assert!(ids.contains(d["source"].as_str().unwrap()));
            assert!(ids.contains(d["target"].as_str().unwrap()));
            assert_eq!(
                d["drift"].as_bool().unwrap_or(false),
                d["edgeType"] == "should_run_on"
            );
        }
        // Every graph node is there, and every edge except namespace -> workload
        // (the `parent` field says that).
        for n in t.nodes() {
            assert!(ids.contains(n.id().as_str()));
        }
        assert_eq!(
            edges.len(),
            t.edges().filter(|e| e.kind != EdgeKind::Holds).count()
        );
    }
}

#[test]
fn mermaid_is_a_well_formed_flowchart() {
    for (path, t) in fixture_topologies() {
        let m = t.to_mermaid();
        let mut lines = m.lines();
        assert_eq!(lines.next(), Some("flowchart LR"));
        let mut declared = BTreeSet::new();
        let mut depth = 0usize;
        let mut edges = 0usize;
        let mut dotted = 0usize;
        for line in lines {
            let l = line.trim();
            if l.starts_with("classDef ") {
                continue;
            }
            if let Some(rest) = l.strip_prefix("subgraph ") {
                depth += 1;
                let id = rest.split('[').next().unwrap();
                assert!(declared.insert(id.to_owned()), "{path:?}: {id} twice");
                continue;
            }
            if l == "end" {
                assert!(depth > 0, "{path:?}: unbalanced end");
                depth -= 1;
                continue;
            }
            if l.contains(" --> ")
                || l.contains(" -.-> ")
                || l.contains(" -->|")
                || l.contains(" -.->|")
            {
                edges += 1;
                let (s, rest) = l.split_once(' ').unwrap();
                let t = rest.rsplit(' ').next().unwrap();
                assert!(declared.contains(s), "{path:?}: undeclared source {s}");
                assert!(declared.contains(t), "{path:?}: undeclared target {t}");
                if l.contains("should run on") {
                    assert!(l.contains(" -.->|"));
                    dotted += 1;
                }
                continue;
            }
            // A node: id then a shape opener.
            let id: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(!id.is_empty(), "{path:?}: unexpected line {l}");
            assert!(
                l[id.len()..].starts_with(['[', '(', '>', '{']),
                "{path:?}: {l}"
            );
            assert_eq!(l.matches('"').count(), 2, "{path:?}: label quoting in {l}");
            assert!(declared.insert(id.clone()), "{path:?}: {id} twice");
        }
        assert_eq!(depth, 0);
        assert_eq!(
            edges,
            t.edges().filter(|e| e.kind != EdgeKind::Holds).count()
        );
        assert_eq!(
            dotted,
            t.edges()
                .filter(|e| e.kind == EdgeKind::ShouldRunOn)
                .count()
        );
        for n in t.nodes() {
            assert!(declared.contains(&mermaid_id(n.id().as_str())));
        }
    }
}

#[test]
fn mermaid_ids_are_injective() {
    let ids = [
        "a:b",
        "a_b",
        "a_3Ab",
        "a/b",
        "é",
        "namespace:x-y",
        "namespace:x_y",
    ];
    let mapped: BTreeSet<String> = ids.iter().map(|i| mermaid_id(i)).collect();
    assert_eq!(mapped.len(), ids.len());
    assert!(
        mapped
            .iter()
            .all(|m| m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    );
}

/// DOT checked without Graphviz: braces balance, every edge endpoint is a declared
/// node, drift edges (and only those) are dashed.
#[test]
fn dot_is_structurally_sound() {
    for (path, t) in fixture_topologies() {
        let dot = t.to_dot();
        assert!(dot.starts_with("digraph mesh {\n") && dot.ends_with("}\n"));
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
        let mut declared = BTreeSet::new();
        let mut dashed = 0;
        for line in dot.lines().map(str::trim) {
            if let Some((head, _)) = line.split_once(" [id=") {
                if let Some((a, b)) = head.split_once(" -> ") {
                    assert!(declared.contains(a), "{path:?}: {a}");
                    assert!(declared.contains(b), "{path:?}: {b}");
                    if line.contains("style=dashed") {
                        assert!(line.contains("should_run_on:"), "{line}");
                        dashed += 1;
                    }
                } else {
                    declared.insert(head.to_owned());
                }
            }
        }
        assert_eq!(declared.len(), t.nodes().count(), "{path:?}");
        assert_eq!(
            dashed,
            t.edges()
                .filter(|e| e.kind == EdgeKind::ShouldRunOn)
                .count()
        );
    }
}

/// DOT parsed back by Graphviz itself, when it is installed (CI may not have it).
#[test]
fn dot_parses_back_with_graphviz() {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("skipped: Graphviz `dot` is not installed");
        return;
    }
    for (path, t) in fixture_topologies() {
        let dir = std::env::temp_dir().join(format!("meshrev-topology-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mesh.dot");
        std::fs::write(&file, t.to_dot()).unwrap();
        // -Tjson: the parsed graph, laid out; warnings on stderr fail the test.
        let out = Command::new("dot")
            .arg("-Tjson")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{path:?}: {stderr}"
        );
        let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: BTreeSet<&str> = g["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("nodes").is_none()) // clusters have `nodes`
            .filter_map(|o| o["name"].as_str())
            .collect();
        let want: BTreeSet<&str> = t.nodes().map(|n| n.id().as_str()).collect();
        assert_eq!(names, want, "{path:?}");
        let edges = g["edges"].as_array().map_or(0, Vec::len);
        assert_eq!(edges, t.edges().count(), "{path:?}");
        let dashed = g["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["style"] == "dashed")
            .count();
        assert_eq!(
            dashed,
            t.edges()
                .filter(|e| e.kind == EdgeKind::ShouldRunOn)
                .count()
        );
        // And the canonical form parses again.
        let canon = Command::new("dot")
            .arg("-Tcanon")
            .arg(&file)
            .output()
            .unwrap();
        assert!(canon.status.success());
        let again = Command::new("dot")
            .arg("-Tcanon")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&canon.stdout)?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(again.status.success());
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn node_kinds_and_edges_are_typed_consistently() {
    for (path, t) in fixture_topologies() {
        for e in t.edges() {
            let (s, d) = (
                t.node(e.source.as_str()).unwrap(),
                t.node(e.target.as_str()).unwrap(),
            );
            let ok = match e.kind {
                EdgeKind::Manages => matches!((s, d), (Node::Revision(_), Node::DataPlane(_))),
                EdgeKind::Contains => matches!((s, d), (Node::DataPlane(_), Node::Namespace(_))),
                EdgeKind::Holds => matches!((s, d), (Node::Namespace(_), Node::Workload(_))),
                EdgeKind::PointsTo => matches!((s, d), (Node::Tag(_), Node::Revision(_))),
                EdgeKind::DefaultRevision => {
                    matches!((s, d), (Node::DefaultRevision { .. }, Node::Revision(_)))
                }
                EdgeKind::RunsOn | EdgeKind::ShouldRunOn => {
                    matches!((s, d), (Node::Workload(_), Node::Revision(_)))
                }
                EdgeKind::Observes => matches!((s, d), (Node::Infra(_), Node::Revision(_))),
                EdgeKind::Reads => matches!((s, d), (Node::Infra(_), Node::Infra(_))),
                _ => false,
            };
            assert!(ok, "{path:?}: {e:?}");
        }
        // A workload drifts exactly when it has a should-run-on edge or no injector.
        for w in t.workloads() {
            let should = t.neighbors(w.id.as_str(), EdgeKind::ShouldRunOn, Direction::Outgoing);
            assert_eq!(
                !should.is_empty(),
                w.needs_restart && w.injector.is_some(),
                "{path:?}: {w:?}"
            );
        }
    }
}

#[test]
fn canary_tag_move_in_the_graph() {
    let dir = common::fixture("upstream-canary");
    let load = |stem: &str| Topology::new(&Mesh::new(Snapshot::from_path(dir.join(stem)).unwrap()));
    let before = load("01-before-tag-move.yaml");
    let after = load("02-prod-stable-moved.yaml");
    let moved = before.diff(&after).tags_moved;
    assert!(!moved.is_empty(), "a tag moved");
    for m in &moved {
        assert_ne!(m.from, m.to);
        assert_eq!(
            after.tag_target(&m.tag).map(|r| r.name.clone()),
            m.to,
            "the diff agrees with the graph"
        );
    }
    // Until restarted, the workloads behind the moved tag drift.
    assert!(!after.needs_restart().is_empty());
}
