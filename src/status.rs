//! Status: what should inject (the resolution of each namespace, workload and pod)
//! against what did inject (the record the injector left on each running pod), and
//! so what needs a restart, which revisions are in use, and how far a migration
//! has come.
//!
//! ```
//! use meshrev::{Mesh, Snapshot, Status};
//!
//! let mesh = Mesh::new(Snapshot::from_yaml(r#"
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: ossm3}
//! spec: {version: v1.24.3}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata: {name: mercury, labels: {istio.io/rev: ossm3}}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata:
//!   name: web
//!   namespace: mercury
//!   annotations: {istio.io/rev: basic}
//! spec: {containers: [{name: web}, {name: istio-proxy}]}
//! "#)?);
//! let status = Status::of(&mesh);
//! let web = &status.namespaces[0].workloads[0];
//! assert_eq!(web.injector.as_deref(), Some("ossm3"));
//! assert_eq!(web.running, ["basic"]);
//! assert!(web.needs_restart);
//! # Ok::<(), meshrev::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh, Revision};
use crate::resolve::Verdict;
use crate::snapshot::{Pod, PodController};

/// The revision that injected a running pod, from the record the injector left.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Running {
    /// The `istio.io/rev` annotation, else the `revision` in `sidecar.istio.io/status`.
    Revision(String),
    /// An `istio-proxy` container but no record of who injected it.
    Unknown,
    /// No sidecar.
    None,
}

impl Running {
    /// The revision name, `"unknown"`, or `None`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Running::Revision(r) => Some(r),
            Running::Unknown => Some("unknown"),
            Running::None => None,
        }
    }
}

impl Serialize for Running {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_str().serialize(s)
    }
}

/// A `sidecar.istio.io/status` annotation that is not the JSON istio writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedStatus {
    /// What the JSON parser said.
    pub message: String,
}

/// Reads the injector's record on a pod, as istioctl does: the `istio.io/rev`
/// annotation first, then `sidecar.istio.io/status`'s `revision`; pod *labels*
/// say nothing about who injected.
pub fn running_revision(pod: &Pod) -> (Running, Option<MalformedStatus>) {
    // The status is parsed even when the annotation decides, so that a broken
    // record is always reported.
    let mut malformed = None;
    let mut status_revision = None;
    if let Some(status) = pod.meta.annotations.get(labels::SIDECAR_STATUS) {
        match serde_json::from_str::<serde_json::Value>(status) {
            Ok(v) => {
                status_revision = v
                    .get("revision")
                    .and_then(serde_json::Value::as_str)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned);
            }
            Err(e) => {
                malformed = Some(MalformedStatus {
                    message: e.to_string(),
                })
            }
        }
    }
    let annotated = pod
        .meta
        .annotations
        .get(labels::REV)
        .filter(|r| !r.is_empty())
        .cloned();
    let running = match annotated.or(status_revision) {
        Some(rev) => Running::Revision(rev),
        None if pod.has_proxy() || pod.meta.annotations.contains_key(labels::SIDECAR_STATUS) => {
            Running::Unknown
        }
        None => Running::None,
    };
    (running, malformed)
}

/// Whether a pod still counts (Sail ignores `Succeeded` pods; failed ones run nothing).
pub fn is_live(pod: &Pod) -> bool {
    !matches!(pod.phase.as_deref(), Some("Succeeded") | Some("Failed"))
}

/// Everything `status` reports; its JSON form is a stable contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Every revision, by name.
    pub revisions: Vec<RevisionStatus>,
    /// Every namespace, by name (including those only pods mention).
    pub namespaces: Vec<NamespaceStatus>,
    /// Every pod, by namespace and name.
    pub pods: Vec<PodStatus>,
    /// Live injected pods per revision they run.
    pub progress: Vec<Progress>,
}

/// One revision's view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionStatus {
    /// The revision name.
    pub name: String,
    /// `Kind/namespace/name` of the defining object.
    pub control_plane: String,
    /// The installation family.
    pub family: Family,
    /// The version, when known.
    pub version: Option<String>,
    /// The control-plane namespace.
    pub namespace: String,
    /// Tags that lead to it.
    pub tags: Vec<String>,
    /// Whether it is the default revision.
    pub default: bool,
    /// The Sail operator's "in use" verdict (sail-operator `pkg/revision`).
    pub in_use: bool,
    /// What keeps it in use, as sentences.
    pub in_use_by: Vec<String>,
    /// Not in use, injects no namespace, and not an Istio's active revision: safe to remove.
    pub prunable: bool,
    /// Namespaces whose injector it is (its data plane). A Maistra control plane's
    /// own namespace is left out: the operator labels it a member of itself
    /// (maistra/istio-operator `namespace_labels.go`, 2.4+), but it holds the control
    /// plane, not workloads.
    pub namespaces: Vec<String>,
    /// Live pods it injected.
    pub pods: usize,
}

/// One namespace's view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceStatus {
    /// The namespace.
    pub name: String,
    /// The revision whose webhook receives a label-less pod here.
    pub injector: Option<String>,
    /// The revisions whose webhooks all receive a label-less pod here (sorted;
    /// `injector` is then null). JSON: present only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
    /// Why, as a sentence.
    pub reason: String,
    /// Its workloads.
    pub workloads: Vec<WorkloadStatus>,
}

/// One workload's view (Deployment, StatefulSet, DaemonSet, a ReplicaSet with no
/// Deployment, DeploymentConfig, CronJob, ..., or a bare `Pod`). A workload that
/// its pods' owner references name but the snapshot lacks is listed too, from its
/// pods, with `missing: true`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadStatus {
    /// The kind.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The revision that would inject a pod created from its template now.
    pub injector: Option<String>,
    /// The revisions that would all inject such a pod (sorted; `injector` is then
    /// null): double injection. JSON: present only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
    /// The revisions its live pods were injected by (`unknown` for a sidecar with no record).
    pub running: Vec<String>,
    /// Some live pod runs another revision than the injector (or none, or has a
    /// sidecar the injector would not add).
    pub needs_restart: bool,
    /// Live pods.
    pub pods: usize,
    /// The workload is not in the snapshot: its pods name it as their controller,
    /// and `injector` is read from them, not from its template (JSON: present
    /// only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
}

/// One pod's view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodStatus {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
    /// The revision that would inject it if it were created now.
    pub injector: Option<String>,
    /// The revisions that would all inject it (sorted; `injector` is then null).
    /// JSON: present only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
    /// The revision that did inject it.
    pub running: Running,
}

/// Pods and workloads running one revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The revision (possibly one that no longer exists).
    pub revision: String,
    /// Live pods injected by it.
    pub pods: usize,
    /// `pods` over all live injected pods (0 when there are none).
    pub share: f64,
    /// Workloads with at least one live pod on it.
    pub workloads: usize,
}

impl Status {
    /// Computes the status of every revision, namespace, workload and pod.
    pub fn of(mesh: &Mesh) -> Status {
        let s = mesh.snapshot();
        let parts: Vec<NamespacePart> = s
            .namespace_names()
            .into_iter()
            .map(|n| NamespacePart::of(mesh, n))
            .collect();
        let (namespaces, pods, live) = NamespacePart::join(parts);
        let progress = progress(mesh, &live, &namespaces);
        let revisions = mesh
            .revisions()
            .map(|r| {
                let (in_use, in_use_by) = in_use(mesh, r);
                let ns: Vec<String> = namespaces
                    .iter()
                    .filter(|n| n.injector.as_deref() == Some(&r.name))
                    .filter(|n| !is_own_control_plane_namespace(r, &n.name))
                    .map(|n| n.name.clone())
                    .collect();
                let pods = progress
                    .iter()
                    .find(|p| p.revision == r.name)
                    .map_or(0, |p| p.pods);
                RevisionStatus {
                    name: r.name.clone(),
                    control_plane: r.control_plane.path(),
                    family: r.family,
                    version: r.version.clone(),
                    namespace: r.namespace.clone(),
                    tags: mesh.tags_of(&r.name).map(|t| t.name.clone()).collect(),
                    default: mesh.default_revision() == Some(r.name.as_str()),
                    prunable: !in_use && ns.is_empty() && r.active != Some(true),
                    in_use,
                    in_use_by,
                    namespaces: ns,
                    pods,
                }
            })
            .collect();
        Status {
            revisions,
            namespaces,
            pods,
            progress,
        }
    }

    /// The status of just these namespaces: their workloads and pods exactly as
    /// [`Status::of`] reports them, computed from those namespaces alone, so that
    /// re-checking after a change costs what the change touched. `progress`
    /// counts these namespaces' pods; `revisions` is left empty, because a
    /// revision's verdicts (in use, data plane) are cluster-wide.
    ///
    /// ```
    /// use meshrev::{Mesh, Snapshot, Status};
    ///
    /// let mesh = Mesh::new(Snapshot::from_path("fixtures/ossm-2.6-to-3.0/02-mercury-relabelled.yaml")?);
    /// let all = Status::of(&mesh);
    /// let mercury = Status::of_namespaces(&mesh, ["mercury"]);
    /// assert_eq!(mercury.namespaces[0], *all.namespace("mercury").unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_namespaces<'a>(mesh: &Mesh, namespaces: impl IntoIterator<Item = &'a str>) -> Status {
        let names: BTreeSet<&str> = namespaces.into_iter().collect();
        let parts = names
            .into_iter()
            .map(|n| NamespacePart::of(mesh, n))
            .collect();
        let (namespaces, pods, live) = NamespacePart::join(parts);
        let progress = progress(mesh, &live, &namespaces);
        Status {
            revisions: Vec::new(),
            namespaces,
            pods,
            progress,
        }
    }

    /// Workloads that need a restart, as `(namespace, workload)`.
    pub fn needs_restart(&self) -> impl Iterator<Item = (&NamespaceStatus, &WorkloadStatus)> {
        self.namespaces.iter().flat_map(|n| {
            n.workloads
                .iter()
                .filter(|w| w.needs_restart)
                .map(move |w| (n, w))
        })
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&NamespaceStatus> {
        self.namespaces.iter().find(|n| n.name == name)
    }

    /// A revision by name.
    pub fn revision(&self, name: &str) -> Option<&RevisionStatus> {
        self.revisions.iter().find(|r| r.name == name)
    }
}

fn is_own_control_plane_namespace(r: &Revision, namespace: &str) -> bool {
    r.family == Family::Maistra && r.namespace == namespace
}

/// A verdict as status reports it: `injector` and `conflict`.
#[derive(Clone)]
struct Injector {
    revision: Option<String>,
    conflict: Vec<String>,
}

impl Injector {
    fn of(v: &Verdict<'_>) -> Self {
        Injector {
            revision: v.revision().map(str::to_owned),
            conflict: v.conflict().iter().map(|r| (*r).to_owned()).collect(),
        }
    }
}

/// One namespace's part of the status: computed from that namespace alone.
struct NamespacePart {
    namespace: NamespaceStatus,
    pods: Vec<PodStatus>,
    /// The revisions that injected its live pods.
    live: Vec<String>,
}

impl NamespacePart {
    fn of(mesh: &Mesh, ns: &str) -> NamespacePart {
        let s = mesh.snapshot();
        let ns_labels = mesh.namespace_labels(ns);
        let resolution = mesh.resolve_labels(ns, &ns_labels, None);

        // Workloads that own pods through a template (ReplicaSets under a
        // Deployment fold into it), then bare pods, by kind then name.
        let mut workloads: BTreeMap<(String, String), (Injector, Vec<Running>)> = BTreeMap::new();
        for w in s.workloads_in(ns).filter(|w| s.is_pod_owner(w)) {
            let verdict = mesh.verdict(ns, &ns_labels, Some((&w.template).into()));
            workloads.insert(
                (w.kind.as_str().to_owned(), w.meta.name.clone()),
                (Injector::of(&verdict), Vec::new()),
            );
        }
        let mut pods = Vec::new();
        let mut live = Vec::new();
        // Controllers the pods name that the snapshot lacks.
        let mut missing = BTreeSet::new();
        for pod in s.pods_in(ns) {
            let injector = Injector::of(&mesh.verdict(ns, &ns_labels, Some(pod.into())));
            let (running, _) = running_revision(pod);
            if is_live(pod) {
                if let Running::Revision(r) = &running {
                    live.push(r.clone());
                }
                let k = match s.controller_of(pod) {
                    PodController::Workload(w) => (w.kind.as_str().to_owned(), w.meta.name.clone()),
                    PodController::Missing { kind, name } => {
                        missing.insert((kind.clone(), name.clone()));
                        (kind, name)
                    }
                    PodController::Bare => ("Pod".to_owned(), pod.meta.name.clone()),
                };
                workloads
                    .entry(k)
                    .or_insert_with(|| (injector.clone(), Vec::new()))
                    .1
                    .push(running.clone());
            }
            pods.push(PodStatus {
                namespace: ns.to_owned(),
                name: pod.meta.name.clone(),
                injector: injector.revision,
                conflict: injector.conflict,
                running,
            });
        }
        let workloads = workloads
            .into_iter()
            .map(|((kind, name), (injector, running))| {
                let needs_restart = running.iter().any(|r| match r {
                    Running::Unknown => false,
                    other => other.as_str() != injector.revision.as_deref(),
                });
                let names: BTreeSet<String> = running
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect();
                WorkloadStatus {
                    missing: missing.contains(&(kind.clone(), name.clone())),
                    kind,
                    name,
                    injector: injector.revision,
                    conflict: injector.conflict,
                    running: names.into_iter().collect(),
                    needs_restart,
                    pods: running.len(),
                }
            })
            .collect();
        NamespacePart {
            namespace: NamespaceStatus {
                name: ns.to_owned(),
                injector: resolution.revision().map(str::to_owned),
                conflict: Injector::of(&resolution.verdict()).conflict,
                reason: resolution.to_string(),
                workloads,
            },
            pods,
            live,
        }
    }

    /// Namespaces, pods (in namespace order) and live running revisions of parts
    /// given in namespace order.
    fn join(parts: Vec<NamespacePart>) -> (Vec<NamespaceStatus>, Vec<PodStatus>, Vec<String>) {
        let mut namespaces = Vec::with_capacity(parts.len());
        let (mut pods, mut live) = (Vec::new(), Vec::new());
        for part in parts {
            namespaces.push(part.namespace);
            pods.extend(part.pods);
            live.extend(part.live);
        }
        (namespaces, pods, live)
    }
}

fn progress(mesh: &Mesh, live: &[String], namespaces: &[NamespaceStatus]) -> Vec<Progress> {
    let mut per: BTreeMap<String, usize> = mesh.revisions().map(|r| (r.name.clone(), 0)).collect();
    let total = live.len();
    for r in live {
        *per.entry(r.clone()).or_insert(0) += 1;
    }
    per.into_iter()
        .map(|(revision, n)| Progress {
            workloads: namespaces
                .iter()
                .flat_map(|ns| &ns.workloads)
                .filter(|w| w.running.contains(&revision))
                .count(),
            share: if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            },
            pods: n,
            revision,
        })
        .collect()
}

/// The Sail operator's verdict (sail-operator `pkg/revision/references.go`,
/// `controllers/istiorevision/istiorevision_controller.go` `isRevisionReferenced`):
/// a revision is in use while a tag leads to it, a namespace references it
/// (`istio-injection=enabled` means `default`, else its `istio.io/rev`), a pod that
/// is not `Succeeded` has an `istio.io/rev` annotation naming it, a pod in a
/// namespace that references nothing references it by label (`istio.io/rev`, else
/// `sidecar.istio.io/inject=true` meaning `default`; nothing when the inject label
/// is `false`), or it is `default` with `enableNamespacesByDefault`.
///
/// Upstream skips only `Succeeded` pods, so a `Failed` pod still keeps a revision
/// in use (unlike [`is_live`]). Upstream also ignores pods whose namespace it did
/// not list; a snapshot may simply lack the namespace, so here such a pod counts
/// as in a namespace that references nothing.
pub fn in_use(mesh: &Mesh, rev: &Revision) -> (bool, Vec<String>) {
    let leads_here = |name: &str| mesh.resolve_name(name).is_some_and(|r| r.name == rev.name);
    let mut by = Vec::new();
    for t in mesh.tags_of(&rev.name) {
        by.push(format!("tag {} leads to it", t.name));
    }
    let s = mesh.snapshot();
    let mut referencing_nothing = BTreeSet::new();
    for ns in s.namespaces() {
        match namespace_reference(&ns.meta.labels) {
            Some(name) if leads_here(name) => {
                by.push(format!("namespace {} references {name}", ns.name()))
            }
            Some(_) => {}
            None => {
                referencing_nothing.insert(ns.name());
            }
        }
    }
    // istiorevision_controller.go: `if pod.Status.Phase == corev1.PodSucceeded { continue }`.
    // Pods are summarised per namespace: one sentence a pod would swamp the output.
    let mut injected: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut labelled: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for pod in s.pods().filter(|p| p.phase.as_deref() != Some("Succeeded")) {
        let ns = pod.namespace();
        if pod
            .meta
            .annotations
            .get(labels::REV)
            .is_some_and(|r| r == &rev.name)
        {
            injected.entry(ns).or_default().push(&pod.meta.name);
            continue;
        }
        let ns_references_nothing = referencing_nothing.contains(ns) || s.namespace(ns).is_none();
        if ns_references_nothing
            && let Some(name) = pod_reference(&pod.meta.labels)
            && leads_here(name)
        {
            labelled.entry((ns, name)).or_default().push(&pod.meta.name);
        }
    }
    for (ns, pods) in injected {
        by.push(format!(
            "{} in {ns} injected by it ({})",
            count_pods(pods.len()),
            example(&pods)
        ));
    }
    for ((ns, name), pods) in labelled {
        by.push(format!(
            "{} in {ns} reference {name} by label ({})",
            count_pods(pods.len()),
            example(&pods)
        ));
    }
    if rev.name == "default" && rev.injector.enable_namespaces_by_default {
        by.push("it is the default revision and enableNamespacesByDefault is on".to_owned());
    }
    (!by.is_empty(), by)
}

fn count_pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_owned()
    } else {
        format!("{n} pods")
    }
}

/// The first pod's name, and how many more.
fn example(pods: &[&str]) -> String {
    match pods {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// The revision (or tag) a namespace's labels reference, by the Sail operator's rule
/// (sail-operator `pkg/revision/references.go` `GetReferencedRevisionFromNamespace`):
/// `istio-injection=enabled` means `default`, else a non-empty `istio.io/rev`.
/// `istio-injection=disabled` does not cancel `istio.io/rev` here.
pub fn namespace_reference(ns_labels: &Labels) -> Option<&str> {
    if ns_labels.get(labels::INJECTION).map(String::as_str) == Some("enabled") {
        return Some("default");
    }
    ns_labels
        .get(labels::REV)
        .map(String::as_str)
        .filter(|r| !r.is_empty())
}

/// The revision (or tag) a pod's labels reference, by the Sail operator's rule
/// (sail-operator `pkg/revision/references.go` `GetReferencedRevisionFromPod`):
/// nothing when `sidecar.istio.io/inject=false`, else a non-empty `istio.io/rev`,
/// else `default` when `sidecar.istio.io/inject=true`.
pub fn pod_reference(pod_labels: &Labels) -> Option<&str> {
    let inject = pod_labels.get(labels::SIDECAR_INJECT).map(String::as_str);
    if inject == Some("false") {
        return None;
    }
    if let Some(rev) = pod_labels.get(labels::REV).filter(|r| !r.is_empty()) {
        return Some(rev);
    }
    (inject == Some("true")).then_some("default")
}
