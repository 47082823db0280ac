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

use meshrev::labels::Labels;
use meshrev::status::{Running, in_use, namespace_reference, pod_reference, running_revision};
use meshrev::{Mesh, SnapshotBuilder};
use serde::Deserialize;
use serde_json::{Value, json};

/// Entries in `sail_revision_in_use.yaml` (44 revision runs + 50 tag runs), per the README.
const IN_USE_ENTRIES: usize = 94;
/// Of which skipped (the simulated `List()` error rows), per the README.
const IN_USE_SKIPPED: usize = 4;
/// Rows in `sail_revision_references.yaml`, per the README.
const REFERENCES_ENTRIES: usize = 12;

/// Cases that fail because of a meshrev bug outside the files this harness may
/// fix: `(name, what is wrong)`. The test asserts they still fail. Empty: the
/// in-use rules live in `src/status.rs` functions this harness maintains.
const KNOWN_GAPS: &[(&str, &str)] = &[];

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
struct NamespaceIn {
    name: String,
    labels: Labels,
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
    let cases: Vec<InUseCase> =
        serde_yaml::from_str(include_str!("upstream/sail_revision_in_use.yaml"))
            .expect("tests/upstream/sail_revision_in_use.yaml parses");
    assert_eq!(
        cases.len(),
        IN_USE_ENTRIES,
        "entries in sail_revision_in_use.yaml"
    );
    let mut keys: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.test.as_str(), c.name.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), cases.len(), "names must be unique per test");
    for (gap, _) in KNOWN_GAPS {
        assert!(
            cases.iter().any(|c| c.name == *gap),
            "KNOWN_GAPS names unknown case {gap:?}"
        );
    }

    let mut run_count = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut gaps_now_passing = Vec::new();
    for case in &cases {
        if let Some(reason) = &case.skip_reason {
            skipped.push(format!(
                "[{}] {} (upstream wants condition {:?}): {reason}",
                case.test, case.name, case.want_condition_status
            ));
            continue;
        }
        run_count += 1;
        let gap = KNOWN_GAPS.iter().find(|(n, _)| *n == case.name);
        match (run_in_use(case), gap) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Err(e), None) => failures.push(e),
            (Ok(()), Some((n, why))) => gaps_now_passing.push(format!("{n} ({why})")),
        }
    }
    println!(
        "sail TestDetermineInUseCondition: {run_count} run, {} skipped, {} known gaps",
        skipped.len(),
        KNOWN_GAPS.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert!(
        failures.is_empty(),
        "{} of {run_count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        gaps_now_passing.is_empty(),
        "KNOWN_GAPS entries now pass, remove them: {gaps_now_passing:?}"
    );
    assert_eq!(skipped.len(), IN_USE_SKIPPED, "skipped cases");
    assert_eq!(run_count, IN_USE_ENTRIES - IN_USE_SKIPPED, "cases run");
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
                Running::Revision(r) => r,
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
    let cases: Vec<ReferenceCase> =
        serde_yaml::from_str(include_str!("upstream/sail_revision_references.yaml"))
            .expect("tests/upstream/sail_revision_references.yaml parses");
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
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
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
