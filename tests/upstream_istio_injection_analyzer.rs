//! Upstream table: istio/istio `pkg/config/analysis/analyzers/analyzers_test.go`,
//! table `testGrid` run by `TestAnalyzers` (stored 0098d99f8e43fe516aaac5a84a131b4ce3c8b9d1),
//! the cases of the injection analyzers (`analyzers/injection/`) and the webhook
//! analyzer (`analyzers/webhook/webhook.go`), ported as data in
//! `tests/upstream/istio_injection_analyzer.yaml`.
//!
//! FOR NOW THIS CHECKS RESOLUTION FACTS, NOT FINDING CODES. The analyzer's
//! findings (IST0102, IST0103, ...) will come from an `analyze` module that is not
//! written yet; once it exists, this harness should also compare its findings with
//! `expected` as a multiset. Until then every expected finding is turned into the
//! fact about injection it implies, checked with meshrev's resolution:
//!
//! | finding | fact checked |
//! |---|---|
//! | IST0102 NamespaceNotInjected, Namespace X | `resolve_namespace(X)`: no webhook, nothing requested |
//! | IST0148 NamespaceInjectionEnabledByDefault, Namespace X | `resolve_namespace(X)`: injected by the default revision's `auto.` webhook |
//! | IST0123 NamespaceMultipleInjectionLabels, Namespace X | `resolve_namespace(X)` notes that `istio-injection` beats `istio.io/rev`, and it is not reached through `istio.io/rev` |
//! | IST0103 PodMissingProxy, Pod N/P | `resolve_pod` injects it, and the running pod has no sidecar |
//! | IST0146 ImageAutoWithoutInjectionWarning, Deployment N/D | `resolve_workload`: no webhook receives its pods |
//! | IST0147 ImageAutoWithoutInjectionError, Pod N/P | `running_revision`: an `istio-proxy` container with no injector record |
//!
//! and, for `injection.Analyzer` cases, the absence of a finding the other way
//! round (a namespace without IST0102/IST0148 asks for some injection; a pod
//! without IST0103 is not "would be injected but has no sidecar"), skipping
//! `istio-system` and the system namespaces as the analyzer does.
//!
//! The injection analyzer reads labels only; meshrev reads webhooks. So for the
//! `injection.Analyzer` cases the harness adds the control planes the testdata
//! implies: the default revision (an `istiod` Deployment in istio-system, which the
//! `istio-injection=enabled` namespaces and the `istio-sidecar-injector` ConfigMap
//! presuppose) and revision `canary` (the testdata's `istiod-canary-...` pod).

use meshrev::mesh::Via;
use meshrev::resolve::{NoMatch, NotInjected};
use meshrev::snapshot::WorkloadKind;
use meshrev::status::{Running, running_revision};
use meshrev::{Mesh, Resolution, SnapshotBuilder};
use serde::Deserialize;
use serde_json::{Value, json};

mod common;
use common::{KnownGaps, upstream_table};

/// Cases in the port, per `tests/upstream/README.md`.
const EXPECTED_ENTRIES: usize = 9;
/// Of which skipped (5 proxy-image comparisons and `webook`, whose testdata is not stored).
const EXPECTED_SKIPPED: usize = 6;

/// Cases that fail because of a meshrev gap outside the files this harness may
/// fix: `(case name, what is wrong)`. The test asserts they still fail. Empty.
const KNOWN_GAPS: KnownGaps = &[];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    analyzer: String,
    input_files: Vec<String>,
    testdata: Vec<Value>,
    #[serde(default)]
    mesh_config_file: Option<String>,
    expected: Vec<Finding>,
    #[serde(default)]
    expected_not_portable: Vec<Finding>,
    #[serde(default)]
    skip_reason: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Finding {
    code: String,
    name: String,
    object: String,
}

fn deployment(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "istio-system", "labels": labels},
        "spec": {"template": {"metadata": {"labels": {"app": "istiod"}},
                              "spec": {"containers": [{"name": "discovery"}]}}},
    })
}

fn mesh_of(case: &Case) -> Result<Mesh, String> {
    let mut b = SnapshotBuilder::new();
    for o in &case.testdata {
        b.add_value(o.clone())
            .map_err(|e| format!("testdata {}: {e}", o["metadata"]["name"]))?;
    }
    if case.analyzer == "injection.Analyzer" {
        b.add_value(deployment("istiod", json!({"app": "istiod"})))
            .map_err(|e| e.to_string())?;
        b.add_value(deployment(
            "istiod-canary",
            json!({"app": "istiod", "istio.io/rev": "canary"}),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(Mesh::new(b.build()))
}

/// `"Pod default/noninjectedpod"` -> `("Pod", Some("default"), "noninjectedpod")`.
fn parse_object(object: &str) -> Result<(&str, Option<&str>, &str), String> {
    let (kind, rest) = object
        .split_once(' ')
        .ok_or_else(|| format!("object {object:?} is not `<Kind> <name>`"))?;
    Ok(match rest.split_once('/') {
        Some((ns, name)) => (kind, Some(ns), name),
        None => (kind, None, rest),
    })
}

fn pod_of<'m>(mesh: &'m Mesh, ns: &str, name: &str) -> Result<&'m meshrev::snapshot::Pod, String> {
    mesh.snapshot()
        .pod(ns, name)
        .ok_or_else(|| format!("pod {ns}/{name} not in the snapshot"))
}

/// The fact a finding implies (see the module table).
fn check_finding(mesh: &Mesh, f: &Finding) -> Result<(), String> {
    let (kind, ns, name) = parse_object(&f.object)?;
    let bad = |got: String| Err(format!("{} {}: {got}", f.code, f.object));
    match (f.code.as_str(), kind, ns) {
        ("IST0102", "Namespace", None) => match mesh.resolve_namespace(name) {
            Resolution::NotInjected {
                reason:
                    NotInjected::NoWebhook {
                        why: NoMatch::NotRequested,
                    },
                ..
            } => Ok(()),
            other => bad(format!("want not injected, nothing requested; got {other}")),
        },
        ("IST0148", "Namespace", None) => match mesh.resolve_namespace(name) {
            Resolution::Injected {
                via: Via::DefaultRevision,
                webhook,
                ..
            } if webhook.name.starts_with("auto.") => Ok(()),
            other => bad(format!(
                "want injected by the default revision's auto. webhook; got {other}"
            )),
        },
        ("IST0123", "Namespace", None) => {
            let r = mesh.resolve_namespace(name);
            let notes = match &r {
                Resolution::Injected { notes, .. }
                | Resolution::NotInjected { notes, .. }
                | Resolution::Rejected { notes, .. } => notes.as_slice(),
                _ => &[],
            };
            let through_rev = matches!(
                &r,
                Resolution::Injected {
                    via: Via::Direct | Via::Tag(_),
                    ..
                }
            );
            if notes.iter().any(|n| n.contains("istio.io/rev is ignored")) && !through_rev {
                Ok(())
            } else {
                bad(format!(
                    "want istio-injection to take precedence over istio.io/rev, noted; got {r}"
                ))
            }
        }
        ("IST0103", "Pod", Some(ns)) => {
            let pod = pod_of(mesh, ns, name)?;
            let r = mesh.resolve_pod(pod);
            let (running, _) = running_revision(pod);
            if r.revision().is_some() && running == Running::None {
                Ok(())
            } else {
                bad(format!(
                    "want a pod that would be injected but runs no sidecar; got {r}; running {running:?}"
                ))
            }
        }
        ("IST0146", "Deployment", Some(ns)) => {
            let w = mesh
                .snapshot()
                .workload(ns, WorkloadKind::Deployment, name)
                .ok_or_else(|| format!("deployment {ns}/{name} not in the snapshot"))?;
            match mesh.resolve_workload(w) {
                Resolution::NotInjected {
                    reason: NotInjected::NoWebhook { .. },
                    ..
                } => Ok(()),
                other => bad(format!("want no webhook receiving its pods; got {other}")),
            }
        }
        ("IST0147", "Pod", Some(ns)) => {
            let pod = pod_of(mesh, ns, name)?;
            match running_revision(pod).0 {
                Running::Unknown => Ok(()),
                other => bad(format!(
                    "want an istio-proxy container with no injector record; got {other:?}"
                )),
            }
        }
        _ => bad("no resolution fact known for this finding".into()),
    }
}

/// Namespaces `injection.Analyzer` skips (`Analyze`: istio-system and
/// `util.IsSystemNamespace`).
fn analyzer_skips(ns: &str) -> bool {
    ns == "istio-system" || meshrev::labels::IGNORED_NAMESPACES.contains(&ns)
}

/// For `injection.Analyzer`: no finding means the opposite fact. Returns the
/// number of facts checked and the ones that do not hold.
fn check_absences(mesh: &Mesh, case: &Case) -> (usize, Vec<String>) {
    let flagged = |code: &[&str], object: &str| {
        case.expected
            .iter()
            .any(|f| code.contains(&f.code.as_str()) && f.object == object)
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for ns in mesh.snapshot().namespaces() {
        let name = ns.name();
        if analyzer_skips(name) || flagged(&["IST0102", "IST0148"], &format!("Namespace {name}")) {
            continue;
        }
        checked += 1;
        if let r @ Resolution::NotInjected {
            reason:
                NotInjected::NoWebhook {
                    why: NoMatch::NotRequested,
                },
            ..
        } = mesh.resolve_namespace(name)
        {
            problems.push(format!(
                "no IST0102 for Namespace {name}, so it asks for injection; got {r}"
            ));
        }
    }
    for pod in mesh.snapshot().pods() {
        let (ns, name) = (pod.namespace(), pod.meta.name.as_str());
        if analyzer_skips(ns) || flagged(&["IST0103"], &format!("Pod {ns}/{name}")) {
            continue;
        }
        checked += 1;
        let r = mesh.resolve_pod(pod);
        let (running, _) = running_revision(pod);
        if r.revision().is_some() && running == Running::None {
            problems.push(format!(
                "no IST0103 for Pod {ns}/{name}, yet it would be injected and runs no sidecar: {r}"
            ));
        }
    }
    (checked, problems)
}

/// Checks every fact of a case; returns how many were checked.
fn run(case: &Case) -> Result<usize, String> {
    let mesh = mesh_of(case)?;
    let mut problems: Vec<String> = case
        .expected
        .iter()
        .filter_map(|f| check_finding(&mesh, f).err())
        .collect();
    let mut checked = case.expected.len();
    if case.analyzer == "injection.Analyzer" {
        let (n, absences) = check_absences(&mesh, case);
        checked += n;
        problems.extend(absences);
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(format!(
            "{} ({}, inputs {:?}): want findings {:?}; facts that do not hold: {}",
            case.name,
            case.analyzer,
            case.input_files,
            case.expected
                .iter()
                .map(|f| format!("{} {}", f.code, f.object))
                .collect::<Vec<_>>(),
            problems.join(" | ")
        ))
    }
}

#[test]
fn istio_analyzers_test_injection_and_webhook_table() {
    let cases: Vec<Case> = upstream_table!("istio_injection_analyzer.yaml", EXPECTED_ENTRIES);
    common::assert_gaps_name_cases(KNOWN_GAPS, &cases, |c| &c.name);
    let tally = common::run_cases(
        &cases,
        KNOWN_GAPS,
        None,
        |c| &c.name,
        |c| {
            c.skip_reason.as_ref().map(|reason| {
                format!(
                    "{} ({}, {} expected findings, mesh config {:?}): {reason}",
                    c.name,
                    c.analyzer,
                    c.expected.len(),
                    c.mesh_config_file
                )
            })
        },
        |c| run(c).map_err(|e| format!("{e} (notes: {})", c.notes.as_deref().unwrap_or("none"))),
    );
    let facts: usize = tally.passed.iter().sum();
    let not_portable: usize = cases
        .iter()
        .filter(|c| c.skip_reason.is_none())
        .map(|c| c.expected_not_portable.len())
        .sum();
    println!(
        "istio TestAnalyzers (injection, webhook): {} run ({facts} facts checked), {} skipped, {not_portable} expected findings not portable",
        tally.run,
        tally.skipped.len()
    );
    tally.print_skipped();
    tally.assert_all_pass(EXPECTED_ENTRIES, EXPECTED_SKIPPED);
}
