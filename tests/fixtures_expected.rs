//! Every fixture's status against the truth written next to it
//! (`fixtures/<dir>/<stem>.expected.yaml`): written by hand from the upstream rules
//! (edge cases) or by the fixture generator's own model of the story, never by
//! meshrev.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use meshrev::{Mesh, Resolution, Snapshot, Status};
use serde::Deserialize;

mod common;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Expected {
    namespaces: BTreeMap<String, ExpectedNamespace>,
    pods: BTreeMap<String, ExpectedPod>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExpectedNamespace {
    injector: Option<String>,
    workloads: BTreeMap<String, ExpectedWorkload>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExpectedWorkload {
    injector: Option<String>,
    running: Vec<String>,
    /// Checked when given.
    needs_restart: Option<bool>,
    /// The oldest outdated proxy version (`WorkloadStatus::outdated_proxy`), checked
    /// when given (`none` for no outdated proxy).
    outdated_proxy: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExpectedPod {
    injector: Option<String>,
    running: Option<String>,
}

fn fixture_pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    let root = common::fixtures_dir();
    for dir in std::fs::read_dir(&root).expect("fixtures/") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("fixture dir") {
            let f = f.expect("entry").path();
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if let Some(stem) = name.strip_suffix(".expected.yaml") {
                let yaml = dir.join(format!("{stem}.yaml"));
                let json = dir.join(format!("{stem}.json"));
                let snapshot = if yaml.exists() { yaml } else { json };
                pairs.push((snapshot, f));
            }
        }
    }
    pairs.sort();
    pairs
}

fn check(snapshot: &Path, expected: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mesh = Mesh::new(Snapshot::from_path(snapshot).unwrap_or_else(|e| panic!("{e}")));
    let status = Status::of(&mesh);
    let text = std::fs::read_to_string(expected).expect("expected file");
    let exp: Expected =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", expected.display()));
    for (ns, e) in &exp.namespaces {
        let Some(got) = status.namespace(ns) else {
            problems.push(format!("namespace {ns} missing from status"));
            continue;
        };
        if !same_injector(&mesh.resolve_namespace(ns), &e.injector) {
            problems.push(format!(
                "namespace {ns}: injector {:?}, expected {:?} ({})",
                got.injector, e.injector, got.reason
            ));
        }
        for (w, ew) in &e.workloads {
            let (kind, name) = w.split_once('/').unwrap_or(("Deployment", w));
            let Some(gw) = got
                .workloads
                .iter()
                .find(|x| x.kind == kind && x.name == name)
            else {
                problems.push(format!("workload {ns}/{w} missing from status"));
                continue;
            };
            let template = mesh
                .snapshot()
                .workloads()
                .find(|x| x.namespace() == ns && x.kind.as_str() == kind && x.meta.name == name);
            let matches = match template {
                Some(w) => same_injector(&mesh.resolve_workload(w), &ew.injector),
                None => gw.injector == ew.injector,
            };
            if !matches {
                problems.push(format!(
                    "workload {ns}/{w}: injector {:?}, expected {:?}",
                    gw.injector, ew.injector
                ));
            }
            if let Some(want) = ew.needs_restart
                && gw.needs_restart != want
            {
                problems.push(format!(
                    "workload {ns}/{w}: needs_restart {}, expected {want}",
                    gw.needs_restart
                ));
            }
            if let Some(want) = &ew.outdated_proxy {
                let got = gw
                    .outdated_proxy
                    .as_ref()
                    .map_or("none".to_owned(), |o| o.proxy.clone());
                if &got != want {
                    problems.push(format!(
                        "workload {ns}/{w}: outdated proxy {got}, expected {want}"
                    ));
                }
            }
            let mut want = ew.running.clone();
            want.sort();
            // The expectations are written as the JSON prints them (`unknown`).
            let running: Vec<String> = gw
                .running
                .iter()
                .filter_map(|r| r.label().map(str::to_owned))
                .collect();
            if running != want {
                problems.push(format!(
                    "workload {ns}/{w}: running {:?}, expected {:?}",
                    running, want
                ));
            }
        }
    }
    for (p, e) in &exp.pods {
        let (ns, name) = p.split_once('/').expect("pod key ns/name");
        let Some(got) = status
            .pods
            .iter()
            .find(|x| *x.namespace == *ns && &*x.name == name)
        else {
            problems.push(format!("pod {p} missing from status"));
            continue;
        };
        let pod = mesh.snapshot().pod(ns, name).expect("pod");
        if !same_injector(&mesh.resolve_pod(pod), &e.injector) {
            problems.push(format!(
                "pod {p}: injector {:?}, expected {:?} ({})",
                got.injector,
                e.injector,
                mesh.resolve_pod(pod)
            ));
        }
        if e.running.is_some() && got.running.label() != e.running.as_deref() {
            problems.push(format!(
                "pod {p}: running {:?}, expected {:?}",
                got.running.label(),
                e.running
            ));
        }
    }
    problems
}

/// `expected` is a revision name, null, `conflict: [a, b]` (the revisions that
/// would all inject), or `rejected: <namespace>/<service>` (the API server refuses
/// the pod).
fn same_injector(got: &Resolution, expected: &Option<String>) -> bool {
    match (got, expected.as_deref()) {
        (Resolution::Conflict { candidates }, Some(e)) if e.starts_with("conflict:") => {
            let want: BTreeSet<&str> = e
                .trim_start_matches("conflict:")
                .trim()
                .trim_matches(['[', ']'])
                .split(',')
                .map(str::trim)
                .collect();
            let got: BTreeSet<&str> = candidates.iter().map(|c| c.revision.as_str()).collect();
            got == want
        }
        (Resolution::Rejected { service, .. }, Some(e)) if e.starts_with("rejected:") => {
            e.trim_start_matches("rejected:").trim() == service
        }
        // A double injection or a rejection is never "null".
        (Resolution::Conflict { .. } | Resolution::Rejected { .. }, _) => false,
        (_, e) => got.revision() == e,
    }
}

#[test]
fn every_fixture_status_matches_its_hand_written_expectations() {
    let pairs = fixture_pairs();
    assert!(pairs.len() >= 10, "expected files found: {}", pairs.len());
    let mut failures = Vec::new();
    for (snapshot, expected) in &pairs {
        for p in check(snapshot, expected) {
            failures.push(format!("{}: {p}", snapshot.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The fast path status uses gives exactly the revision of the full resolution,
/// for every namespace, workload template and pod of every fixture.
#[test]
fn injecting_revision_agrees_with_resolution_on_every_fixture() {
    let mut checked = 0;
    for (snapshot, _) in fixture_pairs() {
        let mesh = Mesh::new(Snapshot::from_path(&snapshot).unwrap_or_else(|e| panic!("{e}")));
        let s = mesh.snapshot();
        for ns in s.namespaces() {
            let labels = mesh.namespace_labels(ns.name());
            let full = mesh.resolve_labels(ns.name(), &labels, None);
            assert_eq!(
                mesh.injecting_revision(ns.name(), &labels, None),
                full.revision(),
                "{}",
                ns.name()
            );
            checked += 1;
        }
        for w in s.workloads() {
            let labels = mesh.namespace_labels(w.namespace());
            let full = mesh.resolve_labels(w.namespace(), &labels, Some((&w.template).into()));
            let fast = mesh.injecting_revision(w.namespace(), &labels, Some((&w.template).into()));
            assert_eq!(fast, full.revision(), "{} {}", w.kind, w.meta.name);
            checked += 1;
        }
        for p in s.pods() {
            let labels = mesh.namespace_labels(p.namespace());
            let full = mesh.resolve_labels(p.namespace(), &labels, Some(p.into()));
            assert_eq!(
                mesh.injecting_revision(p.namespace(), &labels, Some(p.into())),
                full.revision(),
                "{}",
                p.meta.name
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "checked only {checked}");
}
