//! Upstream tables from istio-ecosystem/sail-operator, ported as data:
//!
//! - `tests/upstream/sail_revision_in_use.yaml`:
//!   `controllers/istiorevision/istiorevision_controller_test.go` `TestDetermineInUseCondition`
//!   (stored f0326c14b1f365590f97be5bbc632b42242be7dd) and
//!   `controllers/istiorevisiontag/istiorevisiontag_controller_test.go` `TestDetermineInUseCondition`.
//!   Revision rows run [`meshrev::status::in_use`]. meshrev has no "tag in use"
//!   function, so tag rows run the rule of `isRevisionTagReferencedByWorkloads`
//!   (`istiorevisiontag_controller.go`) composed from meshrev's pieces:
//!   [`namespace_reference`], [`pod_reference`] and the target revision's
//!   `enableNamespacesByDefault` as [`Mesh::new`] reads it.
//! - `tests/upstream/sail_revision_references.yaml`: `pkg/revision/references_test.go`
//!   (stored c4beb996879e434975479698cf4086f6b0ed9535) for
//!   `GetReferencedRevisionFromNamespace` ([`namespace_reference`]),
//!   `GetReferencedRevisionFromPod` ([`pod_reference`]) and
//!   `GetInjectedRevisionFromPod` ([`running_revision`]).

use meshrev::internal::{in_use, namespace_reference, pod_reference};
use meshrev::labels::Labels;
use meshrev::status::{Running, running_revision};
use meshrev::{Mesh, SnapshotBuilder};
use serde::Deserialize;
use serde_json::{Value, json};

mod common;
use common::{KnownGaps, NamespaceIn, upstream_table};

/// Entries in `sail_revision_in_use.yaml` (44 revision runs + 50 tag runs), per the README.
const IN_USE_ENTRIES: usize = 94;
/// Of which skipped (the simulated `List()` error rows), per the README.
const IN_USE_SKIPPED: usize = 4;
/// Rows in `sail_revision_references.yaml`, per the README.
const REFERENCES_ENTRIES: usize = 12;

/// Cases that fail because of a meshrev bug outside the files this harness may
/// fix: `(name, what is wrong)`. The test asserts they still fail. Empty: the
/// in-use rules live in `src/status.rs` functions this harness maintains.
const KNOWN_GAPS: KnownGaps = &[];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InUseCase {
    name: String,
    test: String,
    kind: String,
    revision: String,
    #[serde(default)]
    tag: Option<TagIn>,
    enable_namespaces_by_default: bool,
    namespaces: Vec<NamespaceIn>,
    pods: Vec<PodIn>,
    tags: Vec<String>,
    want_in_use: Option<bool>,
    #[serde(default)]
    want_condition_status: Option<String>,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagIn {
    name: String,
    target_ref: TargetRef,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct TargetRef {
    kind: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PodIn {
    namespace: String,
    name: String,
    labels: Labels,
    annotations: Labels,
    phase: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceCase {
    test: String,
    function: String,
    name: String,
    #[serde(default)]
    namespace_labels: Option<Labels>,
    #[serde(default)]
    pod_labels: Option<Labels>,
    #[serde(default)]
    pod_annotations: Option<Labels>,
    expected: String,
}

fn pod_value(p: &PodIn) -> Value {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": p.name,
            "namespace": p.namespace,
            "labels": p.labels,
            "annotations": p.annotations,
        },
        "spec": {"containers": [{"name": "app"}]},
    });
    if !p.phase.is_empty() {
        pod["status"] = json!({"phase": p.phase});
    }
    pod
}

/// The cluster of one row: the IstioRevision (upstream's fixture: namespace
/// istio-system, version my-version), the IstioRevisionTags that exist, the
/// namespaces and the pods.
fn mesh_of(case: &InUseCase) -> Result<Mesh, String> {
    let mut b = SnapshotBuilder::new();
    let mut add = |v: Value| b.add_value(v).map(|_| ()).map_err(|e| e.to_string());
    add(json!({
        "apiVersion": "sailoperator.io/v1",
        "kind": "IstioRevision",
        "metadata": {"name": case.revision},
        "spec": {
            "namespace": "istio-system",
            "version": "my-version",
            "values": {"sidecarInjectorWebhook": {
                "enableNamespacesByDefault": case.enable_namespaces_by_default
            }},
        },
    }))?;
    for t in &case.tags {
        let target = match &case.tag {
            Some(tag) if &tag.name == t => tag.target_ref.clone(),
            _ => TargetRef {
                kind: "IstioRevision".into(),
                name: case.revision.clone(),
            },
        };
        add(json!({
            "apiVersion": "sailoperator.io/v1",
            "kind": "IstioRevisionTag",
            "metadata": {"name": t},
            "spec": {"targetRef": target},
            "status": {"istioRevision": target.name},
        }))?;
    }
    for ns in &case.namespaces {
        add(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns.name, "labels": ns.labels},
        }))?;
    }
    for p in &case.pods {
        add(pod_value(p))?;
    }
    Ok(Mesh::new(b.build()))
}

/// `isRevisionTagReferencedByWorkloads` (sail-operator
/// `controllers/istiorevisiontag/istiorevisiontag_controller.go`), composed from
/// meshrev's reference rules: a namespace references the tag, or a pod that is not
/// `Succeeded`, in a listed namespace that references nothing, references it by
/// label (annotations never count for tags), or the tag is named `default` and its
/// target revision has `enableNamespacesByDefault`.
fn tag_in_use(mesh: &Mesh, tag: &str, target: &str) -> Result<bool, String> {
    let s = mesh.snapshot();
    if s.namespaces()
        .any(|ns| namespace_reference(&ns.meta.labels) == Some(tag))
    {
        return Ok(true);
    }
    for pod in s.pods() {
        if pod.phase.as_deref() == Some("Succeeded") {
            continue;
        }
        let Some(ns) = s.namespace(pod.namespace()) else {
            continue;
        };
        if namespace_reference(&ns.meta.labels).is_none()
            && pod_reference(&pod.meta.labels) == Some(tag)
        {
            return Ok(true);
        }
    }
    let rev = mesh
        .revision(target)
        .ok_or_else(|| format!("target revision {target} not in the mesh"))?;
    Ok(tag == "default" && rev.injector.enable_namespaces_by_default)
}

fn run_in_use(case: &InUseCase) -> Result<(), String> {
    let want = case
        .want_in_use
        .ok_or_else(|| format!("{}: want_in_use is null on a runnable row", case.name))?;
    let mesh = mesh_of(case)?;
    let (got, why) = match case.kind.as_str() {
        "revision" => {
            let rev = mesh
                .revision(&case.revision)
                .ok_or_else(|| format!("revision {} not discovered", case.revision))?;
            in_use(&mesh, rev)
        }
        "tag" => {
            let tag = case.tag.as_ref().ok_or("kind tag without `tag`")?;
            let discovered = mesh.tag(&tag.name).and_then(|t| t.revision.as_deref());
            if discovered != Some(tag.target_ref.name.as_str()) {
                return Err(format!(
                    "tag {} discovered leading to {discovered:?}, not {}",
                    tag.name, tag.target_ref.name
                ));
            }
            (
                tag_in_use(&mesh, &tag.name, &tag.target_ref.name)?,
                Vec::new(),
            )
        }
        other => return Err(format!("unknown kind {other:?}")),
    };
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "[{}] {}: input enableNamespacesByDefault={} namespaces={:?} pods={:?} tags={:?}; want in use {want}, got {got} (because {why:?})",
            case.test,
            case.name,
            case.enable_namespaces_by_default,
            case.namespaces,
            case.pods,
            case.tags
        ))
    }
}

#[test]
fn sail_operator_istiorevision_and_istiorevisiontag_determine_in_use_condition_table() {
    let cases: Vec<InUseCase> = upstream_table!("sail_revision_in_use.yaml", IN_USE_ENTRIES);
    common::assert_unique(
        cases
            .iter()
            .map(|c| (c.test.as_str(), c.name.as_str()))
            .collect(),
        "names must be unique per test",
    );
    common::assert_gaps_name_cases(KNOWN_GAPS, &cases, |c| &c.name);

    let tally = common::run_cases(
        &cases,
        KNOWN_GAPS,
        None,
        |c| &c.name,
        |c| {
            c.skip_reason.as_ref().map(|reason| {
                format!(
                    "[{}] {} (upstream wants condition {:?}): {reason}",
                    c.test, c.name, c.want_condition_status
                )
            })
        },
        run_in_use,
    );
    println!(
        "sail TestDetermineInUseCondition: {} run, {} skipped, {} known gaps",
        tally.run,
        tally.skipped.len(),
        KNOWN_GAPS.len()
    );
    tally.print_skipped();
    tally.assert_all_pass(IN_USE_ENTRIES, IN_USE_SKIPPED);
}

fn run_reference(case: &ReferenceCase) -> Result<(), String> {
    let none = Labels::new();
    let got: String = match case.function.as_str() {
        "GetReferencedRevisionFromNamespace" => {
            namespace_reference(case.namespace_labels.as_ref().unwrap_or(&none))
                .unwrap_or_default()
                .to_owned()
        }
        "GetReferencedRevisionFromPod" => pod_reference(case.pod_labels.as_ref().unwrap_or(&none))
            .unwrap_or_default()
            .to_owned(),
        "GetInjectedRevisionFromPod" => {
            let pod = PodIn {
                namespace: "bookinfo".into(),
                name: "some-pod".into(),
                labels: Labels::new(),
                annotations: case.pod_annotations.clone().unwrap_or_default(),
                phase: String::new(),
            };
            let mut b = SnapshotBuilder::new();
            b.add_value(pod_value(&pod)).map_err(|e| e.to_string())?;
            let snapshot = b.build();
            let pod = snapshot.pods().next().ok_or("pod not ingested")?;
            match running_revision(pod).0 {
                Running::Revision(r) => r.to_string(),
                Running::Unknown | Running::None => String::new(),
            }
        }
        other => return Err(format!("unknown function {other:?}")),
    };
    if got == case.expected {
        Ok(())
    } else {
        Err(format!(
            "[{}] {}: input ns={:?} pod labels={:?} pod annotations={:?}; want {:?}, got {got:?}",
            case.test,
            case.name,
            case.namespace_labels,
            case.pod_labels,
            case.pod_annotations,
            case.expected
        ))
    }
}

#[test]
fn sail_operator_revision_references_test_table() {
    let cases: Vec<ReferenceCase> = upstream_table!("sail_revision_references.yaml");
    assert_eq!(
        cases.len(),
        REFERENCES_ENTRIES,
        "rows in sail_revision_references.yaml"
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_reference(c).err())
        .collect();
    println!("sail references_test.go: {} run, 0 skipped", cases.len());
    common::assert_no_failures(&failures, cases.len());
}

/// Not an upstream table row: the pod-phase rule of `isRevisionReferenced`
/// (`controllers/istiorevision/istiorevision_controller.go`:
/// `if pod.Status.Phase == corev1.PodSucceeded { continue }`), which no row of
/// `TestDetermineInUseCondition` exercises. A `Failed` pod still counts.
#[test]
fn sail_operator_in_use_skips_only_succeeded_pods() {
    for (phase, want) in [("Succeeded", false), ("Failed", true), ("Running", true)] {
        let case = InUseCase {
            name: format!("pod phase {phase}"),
            test: "istiorevision_controller.go isRevisionReferenced".into(),
            kind: "revision".into(),
            revision: "my-rev".into(),
            tag: None,
            enable_namespaces_by_default: false,
            namespaces: vec![NamespaceIn {
                name: "bookinfo".into(),
                labels: Labels::new(),
            }],
            pods: vec![PodIn {
                namespace: "bookinfo".into(),
                name: "some-pod".into(),
                labels: Labels::new(),
                annotations: Labels::from([("istio.io/rev".to_owned(), "my-rev".to_owned())]),
                phase: phase.into(),
            }],
            tags: Vec::new(),
            want_in_use: Some(want),
            want_condition_status: None,
            skip_reason: None,
        };
        if let Err(e) = run_in_use(&case) {
            panic!("{e}");
        }
    }
}
