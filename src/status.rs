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
//! assert_eq!(web.running, [meshrev::status::Running::Revision("basic".into())]);
//! assert!(web.needs_restart);
//! # Ok::<(), meshrev::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh, Revision, Version};
use crate::resolve::Verdict;
use crate::resolve::decision::PodView;
use crate::snapshot::{ControllerRef, ObjectRef, OwnerReference};
use crate::snapshot::{Pod, SidecarStatus, WorkloadKind};

/// The revision that injected a running pod, from the record the injector left.
///
/// In JSON (the status contract): the revision name, `"unknown"`, or `null`.
///
/// The name is an [`Arc<str>`]: a cluster runs a handful of revisions on
/// thousands of pods, and [`Status::of`] shares one copy of each name among all
/// of them instead of allocating a `String` a pod (issue 10). It reads as a
/// `&str` (`Deref`, [`Running::revision`]) and is built from one with `.into()`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Running {
    /// The `istio.io/rev` annotation, else the `revision` in `sidecar.istio.io/status`.
    Revision(Arc<str>),
    /// An `istio-proxy` container (or an injection record) but no record of
    /// which revision injected it.
    Unknown,
    /// No sidecar.
    None,
}

/// The JSON word for [`Running::Unknown`], only at the serde edge.
const UNKNOWN_JSON: &str = "unknown";

impl Running {
    /// The revision, when the record names one.
    pub fn revision(&self) -> Option<&str> {
        match self {
            Running::Revision(r) => Some(r),
            Running::Unknown | Running::None => None,
        }
    }

    /// Whether the pod has a sidecar (of a known revision or not).
    pub fn has_sidecar(&self) -> bool {
        !matches!(self, Running::None)
    }

    /// The short form the status JSON and the graph exports print: the revision,
    /// `unknown`, or nothing. For output only; match on the variants to decide.
    pub fn label(&self) -> Option<&str> {
        match self {
            Running::Revision(r) => Some(r),
            Running::Unknown => Some(UNKNOWN_JSON),
            Running::None => None,
        }
    }
}

impl std::fmt::Display for Running {
    /// `revision basic`, `a sidecar of unknown revision`, `no sidecar`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Running::Revision(r) => write!(f, "revision {r}"),
            Running::Unknown => f.write_str("a sidecar of unknown revision"),
            Running::None => f.write_str("no sidecar"),
        }
    }
}

/// A running revision equals its name; `Unknown` and `None` equal no name.
impl PartialEq<str> for Running {
    fn eq(&self, other: &str) -> bool {
        self.revision() == Some(other)
    }
}

impl PartialEq<&str> for Running {
    fn eq(&self, other: &&str) -> bool {
        self.revision() == Some(*other)
    }
}

impl Serialize for Running {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.label().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Running {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(d)? {
            None => Running::None,
            Some(r) if r == UNKNOWN_JSON => Running::Unknown,
            Some(r) => Running::Revision(r.into()),
        })
    }
}

/// A `sidecar.istio.io/status` annotation that is not the JSON istio writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedStatus {
    /// What the JSON parser said.
    pub message: String,
}

/// Reads the injector's record on a pod, as istioctl does: the `istio.io/rev`
/// annotation first, then `sidecar.istio.io/status`'s `revision` (parsed once at
/// ingest, [`Pod::sidecar_status`]); pod *labels* say nothing about who injected.
/// A malformed status is returned even when the annotation decides, so that a
/// broken record is always reported.
pub fn running_revision(pod: &Pod) -> (Running, Option<MalformedStatus>) {
    let malformed = match &pod.sidecar_status {
        Some(SidecarStatus::Malformed { message, .. }) => Some(MalformedStatus {
            message: message.clone(),
        }),
        _ => None,
    };
    (running_ref(pod).to_owned(), malformed)
}

/// [`Running`], borrowed from the pod: what status computes with, so that a
/// pod's record costs no allocation until it is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RunningRef<'a> {
    Revision(&'a str),
    Unknown,
    None,
}

impl<'a> RunningRef<'a> {
    fn to_owned(self) -> Running {
        match self {
            RunningRef::Revision(r) => Running::Revision(r.into()),
            RunningRef::Unknown => Running::Unknown,
            RunningRef::None => Running::None,
        }
    }

    /// [`RunningRef::to_owned`], the name taken from `shared`.
    fn to_shared(self, shared: &mut SharedNames<'a>) -> Running {
        match self {
            RunningRef::Revision(r) => Running::Revision(shared.get(r)),
            RunningRef::Unknown => Running::Unknown,
            RunningRef::None => Running::None,
        }
    }

    /// [`Running::label`].
    fn label(self) -> Option<&'a str> {
        match self {
            RunningRef::Revision(r) => Some(r),
            RunningRef::Unknown => Some(UNKNOWN_JSON),
            RunningRef::None => None,
        }
    }
}

/// The rule of [`running_revision`], borrowed.
pub(crate) fn running_ref(pod: &Pod) -> RunningRef<'_> {
    let annotated = pod
        .meta
        .annotations
        .get(labels::REV)
        .filter(|r| !r.is_empty())
        .map(String::as_str);
    let recorded = pod
        .sidecar_status
        .as_ref()
        .and_then(SidecarStatus::revision);
    match annotated.or(recorded) {
        Some(rev) => RunningRef::Revision(rev),
        None if pod.has_proxy() || pod.sidecar_status.is_some() => RunningRef::Unknown,
        None => RunningRef::None,
    }
}

/// The revision a pod's record names, as [`running_revision`] reads it, without
/// copying it: for scans over every pod of a cluster.
pub(crate) fn running_name(pod: &Pod) -> Option<&str> {
    pod.meta
        .annotations
        .get(labels::REV)
        .filter(|r| !r.is_empty())
        .map(String::as_str)
        .or_else(|| {
            pod.sidecar_status
                .as_ref()
                .and_then(SidecarStatus::revision)
        })
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
    /// What keeps it in use (JSON: one sentence each).
    #[serde(serialize_with = "sentences")]
    pub in_use_by: Vec<InUse>,
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
    /// `namespace/service` of a matching webhook no istiod serves, whose
    /// `failurePolicy: Fail` makes the API server reject such a pod (`injector` is
    /// then null). JSON: present only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// Why, as a sentence.
    pub reason: String,
    /// The injector when this namespace is its own control plane's home (a Maistra
    /// control plane's namespace, which its operator labels a member of itself):
    /// the injector's webhook receives pods here (gateways that opt in), but the
    /// namespace is not in that revision's data plane (`revisions[].namespaces`), so
    /// it does not keep the revision in use or block its removal. JSON: present
    /// only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_plane_of: Option<String>,
    /// Its workloads.
    pub workloads: Vec<WorkloadStatus>,
}

/// One workload's view (Deployment, StatefulSet, DaemonSet, a ReplicaSet with no
/// Deployment, DeploymentConfig, CronJob, ..., or a bare `Pod`). A workload that
/// its pods' owner references name but the snapshot lacks is listed too, from its
/// pods, with `missing: true`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadStatus {
    /// The kind (JSON: the Kubernetes kind name, `Pod` for a bare pod).
    pub kind: Kind,
    /// The name.
    pub name: String,
    /// The revision that would inject a pod created from its template now.
    pub injector: Option<String>,
    /// The revisions that would all inject such a pod (sorted; `injector` is then
    /// null): double injection. JSON: present only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
    /// `namespace/service` when the API server would reject such a pod. JSON:
    /// present only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// What its live pods run, each once, never [`Running::None`] (JSON: the
    /// revision names, `unknown` for a sidecar with no record, sorted as text).
    pub running: Vec<Running>,
    /// Some live pod runs another revision than the injector (or none, or has a
    /// sidecar the injector would not add), or runs the injector's revision with
    /// an older proxy than that revision's version ([`WorkloadStatus::outdated_proxy`]).
    pub needs_restart: bool,
    /// The oldest proxy among its live pods that run the injector's revision at an
    /// older version than the revision's own (after a Sail InPlace `spec.version`
    /// change the revision keeps its name, but pods keep their proxy until
    /// restarted). JSON: present only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outdated_proxy: Option<OutdatedProxy>,
    /// Live pods.
    pub pods: usize,
    /// The workload is not in the snapshot: its pods name it as their controller,
    /// and `injector` is read from them, not from its template (JSON: present
    /// only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
}

/// The kind of a [`WorkloadStatus`]: a workload kind meshrev reads, a bare pod,
/// or a controller of another kind that only its pods' owner references name.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A Deployment, StatefulSet, DaemonSet, ... (in the snapshot or missing from it).
    Workload(WorkloadKind),
    /// A pod with no controller.
    BarePod,
    /// A controller kind meshrev does not read (e.g. an Argo `Rollout`), missing
    /// from the snapshot by definition.
    Other(String),
}

impl Kind {
    /// The kind for a Kubernetes kind name.
    pub fn from_kind(kind: &str) -> Kind {
        match (WorkloadKind::from_kind(kind), kind) {
            (Some(k), _) => Kind::Workload(k),
            (None, "Pod") => Kind::BarePod,
            (None, other) => Kind::Other(other.to_owned()),
        }
    }

    /// The Kubernetes kind name (`Pod` for a bare pod).
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Workload(k) => k.as_str(),
            Kind::BarePod => "Pod",
            Kind::Other(k) => k,
        }
    }

    /// The workload kind, unless it is a bare pod or a kind meshrev does not read.
    pub fn workload(&self) -> Option<WorkloadKind> {
        match self {
            Kind::Workload(k) => Some(*k),
            _ => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Kind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Kind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Kind::from_kind(&String::deserialize(d)?))
    }
}

/// One pod's view.
///
/// `namespace`, `name` and `injector` are [`Arc<str>`] (so is the name in
/// `running`): [`Status::of`] writes one row a pod, tens of thousands of them,
/// naming a few namespaces and a handful of revisions, so each namespace and
/// revision name is allocated once and shared among the rows instead of copied
/// into a `String` a row, and the pod's name is allocated once and shared with
/// [`InUse::InjectedPods`] and [`InUse::LabelledPods`] (issue 10: the
/// allocations were half of its time). They read as `&str` (`&*pod.name`,
/// `pod.injector.as_deref()`); the JSON is the same strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodStatus {
    /// The namespace.
    #[serde(serialize_with = "shared_str")]
    pub namespace: Arc<str>,
    /// The name.
    #[serde(serialize_with = "shared_str")]
    pub name: Arc<str>,
    /// The revision that would inject it if it were created now.
    #[serde(serialize_with = "shared_opt_str")]
    pub injector: Option<Arc<str>>,
    /// The revisions that would all inject it (sorted; `injector` is then null).
    /// JSON: present only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
    /// `namespace/service` when the API server would reject it if it were created
    /// now. JSON: present only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// The revision that did inject it.
    pub running: Running,
    /// Its proxy is older than the version of the revision it runs, which is also
    /// its injector. JSON: present only when set. Boxed: rare, and a row a pod
    /// is 48 bytes smaller without it inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outdated_proxy: Option<Box<OutdatedProxy>>,
}

/// Serializes an [`Arc<str>`] as its string (serde's `rc` feature is not on).
fn shared_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// Serializes an optional [`Arc<str>`] as its string or `null`.
fn shared_opt_str<S: serde::Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    v.as_deref().serialize(s)
}

/// Serializes [`Arc<str>`]s as a sequence of strings.
fn shared_strs<S: serde::Serializer>(v: &[Arc<str>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|n| &**n))
}

/// Deserializes a sequence of strings into [`Arc<str>`]s.
fn shared_strs_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Arc<str>>, D::Error> {
    Ok(Vec::<String>::deserialize(d)?
        .into_iter()
        .map(Arc::from)
        .collect())
}

/// A proxy older than its revision's version: the pod needs a restart to get the
/// proxy its control plane now injects (sail-operator
/// `docs/update-strategy/update-strategy.adoc`, InPlace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutdatedProxy {
    /// The version the pod's `istio-proxy` image tag names.
    pub proxy: String,
    /// The revision's version (`spec.version`, or its istiod's).
    pub revision: String,
    /// Minor versions the proxy is behind (0 for a patch difference).
    pub minors_behind: u32,
}

impl OutdatedProxy {
    /// The proxy of a pod running `revision` compared with that revision's
    /// version: `Some` when both are known and the proxy is older. Versions
    /// compare to the precision both give (Maistra's `v2.6` against a `2.6.4`
    /// proxy: equal).
    pub fn of(mesh: &Mesh, pod: &Pod, revision: &str) -> Option<OutdatedProxy> {
        let want = mesh
            .revision(revision)?
            .version
            .as_deref()
            .and_then(Version::parse)?;
        let have = Version::from_image(pod.proxy_image.as_deref()?)?;
        let key = |v: &Version| match (want.patch, have.patch) {
            (Some(_), Some(_)) => (v.major, v.minor, v.patch.unwrap_or(0)),
            _ => (v.major, v.minor, 0),
        };
        (key(&have) < key(&want)).then(|| OutdatedProxy {
            proxy: have.to_string(),
            revision: want.to_string(),
            minors_behind: have.minors_behind(&want),
        })
    }
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
        let (namespaces, pods, live) = NamespacePart::all(mesh, mesh.snapshot().namespace_names());
        let progress = progress(mesh, &live, &namespaces);
        let revs: Vec<&Revision> = mesh.revisions().collect();
        let revisions = revs
            .iter()
            .zip(in_use_of(mesh, &revs, &pods))
            .map(|(r, in_use_by)| {
                let in_use = !in_use_by.is_empty();
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
        let (namespaces, pods, live) = NamespacePart::all(mesh, names);
        let progress = progress(mesh, &live, &namespaces);
        Status {
            revisions: Vec::new(),
            namespaces,
            pods,
            progress,
        }
    }

    /// Just the namespaces (with their workloads) of [`Status::of_namespaces`],
    /// with `pods`, `progress` and `revisions` left empty: what the planner reads
    /// after every namespace it moves.
    pub(crate) fn namespaces_only<'a>(
        mesh: &Mesh,
        namespaces: impl IntoIterator<Item = &'a str>,
    ) -> Status {
        let names: BTreeSet<&str> = namespaces.into_iter().collect();
        let mut shared = SharedNames::default();
        Status {
            revisions: Vec::new(),
            namespaces: names
                .into_iter()
                .map(|n| NamespacePart::of(mesh, n, None, &mut shared).namespace)
                .collect(),
            pods: Vec::new(),
            progress: Vec::new(),
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

    /// A namespace by name (a binary search: [`Status::of`] lists namespaces by
    /// name; a status put together in another order is searched through).
    pub fn namespace(&self, name: &str) -> Option<&NamespaceStatus> {
        match self
            .namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
        {
            Ok(i) => self.namespaces.get(i),
            Err(_) => self.namespaces.iter().find(|n| n.name == name),
        }
    }

    /// A revision by name.
    pub fn revision(&self, name: &str) -> Option<&RevisionStatus> {
        self.revisions.iter().find(|r| r.name == name)
    }
}

/// The one rule for "the control plane's own namespace is not its data plane"
/// (design notes; maistra/istio-operator `namespace_labels.go` labels it a member
/// of itself), used by `revisions[].namespaces` and `control_plane_of` alike.
fn is_own_control_plane_namespace(r: &Revision, namespace: &str) -> bool {
    r.family == Family::Maistra && r.namespace == namespace
}

/// A verdict as status reports it: `injector`, `conflict`, `rejected`.
struct Injector {
    revision: Option<String>,
    conflict: Vec<String>,
    rejected: Option<String>,
}

impl Injector {
    fn of(v: &Verdict<'_>) -> Self {
        Injector {
            revision: v.revision().map(str::to_owned),
            conflict: v.conflict().iter().map(|r| (*r).to_owned()).collect(),
            rejected: v.rejected().map(str::to_owned),
        }
    }
}

/// Live pods per revision they run, borrowed from the mesh.
type LiveCounts<'a> = BTreeMap<&'a str, usize>;

/// One namespace's part of the status: computed from that namespace alone
/// (its pods' rows go straight into the status's one list).
struct NamespacePart<'a> {
    namespace: NamespaceStatus,
    /// Live pods per revision they run.
    live: LiveCounts<'a>,
}

/// The revision names of the pod rows, one [`Arc<str>`] each for a whole
/// status: a cluster has a handful, so a short list searched in order.
#[derive(Default)]
struct SharedNames<'a> {
    names: Vec<(&'a str, Arc<str>)>,
}

impl<'a> SharedNames<'a> {
    fn get(&mut self, name: &'a str) -> Arc<str> {
        if let Some((_, shared)) = self.names.iter().find(|(n, _)| *n == name) {
            return shared.clone();
        }
        let shared: Arc<str> = name.into();
        self.names.push((name, shared.clone()));
        shared
    }
}

/// A workload as its pods are seen, before it is written out. Everything is
/// borrowed: the per-pod work allocates nothing but the pod's own output.
struct WorkloadAcc<'a> {
    verdict: Verdict<'a>,
    /// What its live pods run, each once: nearly always one, kept inline.
    running: Option<RunningRef<'a>>,
    /// Any others (a workload half-way through a restart).
    more: Vec<RunningRef<'a>>,
    needs_restart: bool,
    /// The oldest outdated proxy among its live pods (the first of the oldest).
    outdated: Option<OutdatedProxy>,
    pods: usize,
    missing: bool,
}

impl<'a> WorkloadAcc<'a> {
    fn new(verdict: Verdict<'a>, missing: bool) -> Self {
        WorkloadAcc {
            verdict,
            running: None,
            more: Vec::new(),
            needs_restart: false,
            outdated: None,
            pods: 0,
            missing,
        }
    }

    /// Counts one live pod.
    fn add(&mut self, running: RunningRef<'a>, outdated: Option<&OutdatedProxy>) {
        if let Some(o) = outdated
            && self
                .outdated
                .as_ref()
                .is_none_or(|e| o.minors_behind > e.minors_behind)
        {
            self.outdated = Some(o.clone());
        }
        let injector = self.verdict.revision();
        self.needs_restart |= match running {
            RunningRef::Unknown => false,
            RunningRef::Revision(r) => Some(r) != injector,
            RunningRef::None => injector.is_some(),
        };
        if running != RunningRef::None {
            match self.running {
                None => self.running = Some(running),
                Some(r) if r == running => {}
                Some(_) if self.more.contains(&running) => {}
                Some(_) => self.more.push(running),
            }
        }
        self.pods += 1;
    }

    fn finish(self, kind: &str, name: &str, shared: &mut SharedNames<'a>) -> WorkloadStatus {
        // Each once, in the order of their JSON text (the contract's order).
        let mut running: Vec<Running> =
            Vec::with_capacity(self.running.iter().len() + self.more.len());
        let mut all: Vec<RunningRef<'a>> = self.running.into_iter().chain(self.more).collect();
        all.sort_by(|a, b| a.label().cmp(&b.label()).then(a.cmp(b)));
        running.extend(all.into_iter().map(|r| r.to_shared(shared)));
        let injector = Injector::of(&self.verdict);
        WorkloadStatus {
            missing: self.missing,
            kind: Kind::from_kind(kind),
            name: name.to_owned(),
            injector: injector.revision,
            conflict: injector.conflict,
            rejected: injector.rejected,
            running,
            needs_restart: self.needs_restart || self.outdated.is_some(),
            outdated_proxy: self.outdated,
            pods: self.pods,
        }
    }
}

impl<'a> NamespacePart<'a> {
    /// Namespaces, pods (in namespace order) and live pods per running revision
    /// of the namespaces given in name order.
    fn all(
        mesh: &'a Mesh,
        names: impl IntoIterator<Item = &'a str>,
    ) -> (Vec<NamespaceStatus>, Vec<PodStatus>, LiveCounts<'a>) {
        let names: Vec<&'a str> = names.into_iter().collect();
        let s = mesh.snapshot();
        let mut namespaces = Vec::with_capacity(names.len());
        let mut pods = Vec::with_capacity(
            names
                .iter()
                .map(|n| s.pods.get(*n).map_or(0, |p| p.len()))
                .sum(),
        );
        let mut live = LiveCounts::new();
        let mut shared = SharedNames::default();
        for ns in names {
            let part = NamespacePart::of(mesh, ns, Some(&mut pods), &mut shared);
            namespaces.push(part.namespace);
            for (r, n) in part.live {
                *live.entry(r).or_insert(0) += n;
            }
        }
        (namespaces, pods, live)
    }

    /// One namespace: its row, and its pods' rows pushed onto `pods` (none
    /// built with `None`: the workloads, which count and read every pod, are
    /// the same either way).
    fn of(
        mesh: &'a Mesh,
        ns: &'a str,
        mut pods: Option<&mut Vec<PodStatus>>,
        shared: &mut SharedNames<'a>,
    ) -> NamespacePart<'a> {
        let s = mesh.snapshot();
        let ns_shared: Arc<str> = ns.into();
        let ns_labels = mesh.namespace_labels(ns);
        let resolution = mesh.resolve_labels(ns, &ns_labels, None);
        // The webhooks that receive pods of this namespace, matched once.
        let hooks = mesh.namespace_webhooks(&ns_labels);
        let verdict = |pod: PodView<'_>| mesh.verdict_among(ns, hooks.iter().copied(), Some(pod));

        // Workloads that own pods through a template (ReplicaSets under a
        // Deployment fold into it), then bare pods, by kind then name.
        // An index by key into a vector: the map's nodes stay small.
        let mut index: BTreeMap<(&'a str, &'a str), usize> = BTreeMap::new();
        let mut accs: Vec<WorkloadAcc<'a>> = Vec::new();
        for w in s.workloads_in(ns).filter(|w| s.is_pod_owner(w)) {
            let verdict = verdict((&w.template).into());
            index.insert((w.kind.as_str(), &w.meta.name), accs.len());
            accs.push(WorkloadAcc::new(verdict, false));
        }
        let mut live = LiveCounts::new();
        // Pods of one ReplicaSet look alike to the webhooks and name the same
        // controller: the previous pod's verdict and workload are reused when
        // everything they are read from is equal.
        let mut last: Option<(&'a Pod, Verdict<'a>)> = None;
        let mut last_owner: Option<(&'a OwnerReference, usize)> = None;
        let mut last_outdated: Option<(&'a str, Option<&'a str>, Option<OutdatedProxy>)> = None;
        for pod in s.pods_in(ns) {
            let verdict = match &last {
                Some((p, v)) if same_to_injector(p, pod) => v.clone(),
                _ => verdict(pod.into()),
            };
            let running = running_ref(pod);
            // Running its injector's revision, but an older proxy than that
            // revision's version. Pods of a rollout run one image: the previous
            // answer holds while the revision and the image are the same.
            let outdated = match (running, verdict.revision()) {
                (RunningRef::Revision(r), Some(i)) if r == i => match &last_outdated {
                    Some((rev, image, o)) if *rev == r && *image == pod.proxy_image.as_deref() => {
                        o.clone()
                    }
                    _ => {
                        let o = OutdatedProxy::of(mesh, pod, r);
                        last_outdated = Some((r, pod.proxy_image.as_deref(), o.clone()));
                        o
                    }
                },
                _ => None,
            };
            if is_live(pod) {
                if let RunningRef::Revision(r) = running {
                    *live.entry(r).or_insert(0) += 1;
                }
                let owner = pod.meta.controller();
                let at = match (owner, last_owner) {
                    (Some(o), Some((prev, at))) if o.kind == prev.kind && o.name == prev.name => at,
                    _ => {
                        let (key, missing) = match s.controller_ref(pod) {
                            ControllerRef::Workload(w) => {
                                ((w.kind.as_str(), w.meta.name.as_str()), false)
                            }
                            ControllerRef::Missing { kind, name } => ((kind, name), true),
                            ControllerRef::Bare => (("Pod", pod.meta.name.as_str()), false),
                        };
                        let at = *index.entry(key).or_insert_with(|| {
                            accs.push(WorkloadAcc::new(verdict.clone(), missing));
                            accs.len() - 1
                        });
                        last_owner = owner.map(|o| (o, at));
                        at
                    }
                };
                accs[at].add(running, outdated.as_ref());
            }
            if let Some(pods) = pods.as_deref_mut() {
                pods.push(PodStatus {
                    namespace: ns_shared.clone(),
                    name: pod.meta.name.as_str().into(),
                    injector: verdict.revision().map(|r| shared.get(r)),
                    conflict: verdict.conflict().iter().map(|r| (*r).to_owned()).collect(),
                    rejected: verdict.rejected().map(str::to_owned),
                    running: running.to_shared(shared),
                    outdated_proxy: outdated.map(Box::new),
                });
            }
            last = Some((pod, verdict));
        }
        let mut accs: Vec<Option<WorkloadAcc<'a>>> = accs.into_iter().map(Some).collect();
        let workloads = index
            .into_iter()
            .filter_map(|((kind, name), at)| Some(accs[at].take()?.finish(kind, name, shared)))
            .collect();
        NamespacePart {
            namespace: NamespaceStatus {
                name: ns.to_owned(),
                injector: resolution.revision().map(str::to_owned),
                conflict: Injector::of(&resolution.verdict()).conflict,
                rejected: resolution.verdict().rejected().map(str::to_owned),
                reason: resolution.to_string(),
                control_plane_of: resolution
                    .revision()
                    .and_then(|r| mesh.revision(r))
                    .filter(|r| is_own_control_plane_namespace(r, ns))
                    .map(|r| r.name.clone()),
                workloads,
            },
            live,
        }
    }
}

/// Whether two pods of a namespace look the same to the webhooks and to istiod:
/// what a verdict reads ([`PodView`]) is equal.
fn same_to_injector(a: &Pod, b: &Pod) -> bool {
    a.host_network == b.host_network
        && a.meta.labels == b.meta.labels
        && a.meta.annotations == b.meta.annotations
}

fn progress(mesh: &Mesh, live: &LiveCounts<'_>, namespaces: &[NamespaceStatus]) -> Vec<Progress> {
    let mut per: BTreeMap<&str, usize> = mesh.revisions().map(|r| (r.name.as_str(), 0)).collect();
    let mut total = 0;
    for (r, n) in live {
        *per.entry(r).or_insert(0) += n;
        total += n;
    }
    // Workloads per revision, in one pass over the workloads.
    let mut workloads: BTreeMap<&str, usize> = BTreeMap::new();
    for w in namespaces.iter().flat_map(|ns| &ns.workloads) {
        for r in w.running.iter().filter_map(Running::revision) {
            *workloads.entry(r).or_insert(0) += 1;
        }
    }
    per.into_iter()
        .map(|(revision, n)| Progress {
            workloads: workloads.get(revision).copied().unwrap_or(0),
            share: if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            },
            pods: n,
            revision: revision.to_owned(),
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
pub(crate) fn in_use(mesh: &Mesh, rev: &Revision) -> (bool, Vec<InUse>) {
    let by = in_use_of(mesh, &[rev], &[]).pop().unwrap_or_default();
    (!by.is_empty(), by)
}

/// [`in_use`] for several revisions in one pass over the namespaces and pods:
/// what keeps each of `revs` in use, in their order. A pod's name is shared with
/// its row in `rows` (pod rows in namespace then name order, as [`Status::of`]
/// writes them; any subset, empty included), else allocated.
fn in_use_of(mesh: &Mesh, revs: &[&Revision], rows: &[PodStatus]) -> Vec<Vec<InUse>> {
    // Revisions are few: a position in `revs` by name is a short scan.
    let index = |name: &str| revs.iter().position(|r| r.name == name);
    let leads_to = |name| leads_to(mesh, revs, name);
    let mut by: Vec<Vec<InUse>> = revs
        .iter()
        .map(|rev| {
            mesh.tags_of(&rev.name)
                .map(|t| InUse::Tag {
                    tag: t.name.clone(),
                    source: t.source.clone(),
                })
                .collect()
        })
        .collect();
    let s = mesh.snapshot();
    let mut referencing_nothing = BTreeSet::new();
    for ns in s.namespaces() {
        match namespace_reference(&ns.meta.labels) {
            Some(name) => {
                for i in leads_to(name) {
                    by[i].push(InUse::Namespace {
                        namespace: ns.name().to_owned(),
                        references: name.to_owned(),
                    });
                }
            }
            None => {
                referencing_nothing.insert(ns.name());
            }
        }
    }
    // istiorevision_controller.go: `if pod.Status.Phase == corev1.PodSucceeded { continue }`.
    // Pods are grouped per namespace: one entry a pod would swamp the output.
    type Grouped<'a, K> = Vec<BTreeMap<K, Vec<Arc<str>>>>;
    let mut names = RowNames { rows, at: 0 };
    let mut injected: Grouped<'_, &str> = vec![BTreeMap::new(); revs.len()];
    let mut labelled: Grouped<'_, (&str, &str)> = vec![BTreeMap::new(); revs.len()];
    for (ns, shard) in s.pods.iter() {
        let ns = ns.as_str();
        let ns_references_nothing = referencing_nothing.contains(ns) || s.namespace(ns).is_none();
        for pod in shard
            .values()
            .filter(|p| p.phase.as_deref() != Some("Succeeded"))
        {
            // The annotation names a revision itself (a tag does not count).
            let annotated = pod.meta.annotations.get(labels::REV).and_then(|r| index(r));
            if let Some(i) = annotated {
                injected[i]
                    .entry(ns)
                    .or_default()
                    .push(names.name(ns, &pod.meta.name));
            }
            if ns_references_nothing && let Some(name) = pod_reference(&pod.meta.labels) {
                for i in leads_to(name).filter(|i| Some(*i) != annotated) {
                    labelled[i]
                        .entry((ns, name))
                        .or_default()
                        .push(names.name(ns, &pod.meta.name));
                }
            }
        }
    }
    for (i, rev) in revs.iter().enumerate() {
        for (ns, pods) in std::mem::take(&mut injected[i]) {
            by[i].push(InUse::InjectedPods {
                namespace: ns.to_owned(),
                pods,
            });
        }
        for ((ns, name), pods) in std::mem::take(&mut labelled[i]) {
            by[i].push(InUse::LabelledPods {
                namespace: ns.to_owned(),
                references: name.to_owned(),
                pods,
            });
        }
        if rev.name == "default" && rev.injector.enable_namespaces_by_default {
            by[i].push(InUse::EnableNamespacesByDefault);
        }
    }
    by
}

/// Pod names for [`in_use_of`], shared with the pod rows of a status: asked in
/// (namespace, name) order, the rows are walked once alongside.
struct RowNames<'r> {
    rows: &'r [PodStatus],
    at: usize,
}

impl RowNames<'_> {
    /// The row's name for pod `name` of namespace `ns`, else a new one.
    fn name(&mut self, ns: &str, name: &str) -> Arc<str> {
        while let Some(row) = self.rows.get(self.at) {
            match (&*row.namespace, &*row.name).cmp(&(ns, name)) {
                std::cmp::Ordering::Less => self.at += 1,
                std::cmp::Ordering::Equal => return row.name.clone(),
                std::cmp::Ordering::Greater => break,
            }
        }
        name.into()
    }
}

/// The positions in `revs` of the revisions a reference (a revision or tag name)
/// leads to: the one it resolves to, and a second installation of one name
/// (`<namespace>/<name>`), which serves every reference to the name as much as
/// the first does (both webhooks match).
fn leads_to<'r>(
    mesh: &'r Mesh,
    revs: &'r [&Revision],
    name: &'r str,
) -> impl Iterator<Item = usize> + 'r {
    let resolved = mesh
        .resolve_name(name)
        .and_then(|r| revs.iter().position(|x| x.name == r.name));
    revs.iter().enumerate().filter_map(move |(i, r)| {
        let duplicate = r.name != r.label_value() && name == r.label_value();
        (Some(i) == resolved || duplicate).then_some(i)
    })
}

/// What keeps a revision in use, by the Sail operator's rules (`RevisionStatus::in_use`), with
/// the objects that reference it. Serde gives the data (`{"tag": {...}}`); the
/// status JSON prints the `Display` sentence instead ([`RevisionStatus::in_use_by`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InUse {
    /// A tag leads to it.
    Tag {
        /// The tag.
        tag: String,
        /// The object defining the tag.
        source: ObjectRef,
    },
    /// A namespace's labels reference it (or a tag leading to it).
    Namespace {
        /// The namespace.
        namespace: String,
        /// The revision or tag its labels name (`default` for `istio-injection=enabled`).
        references: String,
    },
    /// Pods (not `Succeeded`) whose `istio.io/rev` annotation names it.
    InjectedPods {
        /// Their namespace.
        namespace: String,
        /// The pods, by name (each shared with its [`PodStatus::name`]).
        #[serde(serialize_with = "shared_strs", deserialize_with = "shared_strs_de")]
        pods: Vec<Arc<str>>,
    },
    /// Pods in a namespace that references nothing, whose labels reference it.
    LabelledPods {
        /// Their namespace.
        namespace: String,
        /// The revision or tag their labels name.
        references: String,
        /// The pods, by name (each shared with its [`PodStatus::name`]).
        #[serde(serialize_with = "shared_strs", deserialize_with = "shared_strs_de")]
        pods: Vec<Arc<str>>,
    },
    /// It is `default` and `enableNamespacesByDefault` is on.
    EnableNamespacesByDefault,
}

impl std::fmt::Display for InUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InUse::Tag { tag, .. } => write!(f, "tag {tag} leads to it"),
            InUse::Namespace {
                namespace,
                references,
            } => write!(f, "namespace {namespace} references {references}"),
            InUse::InjectedPods { namespace, pods } => write!(
                f,
                "{} in {namespace} injected by it ({})",
                count_pods(pods.len()),
                example(pods)
            ),
            InUse::LabelledPods {
                namespace,
                references,
                pods,
            } => write!(
                f,
                "{} in {namespace} reference {references} by label ({})",
                count_pods(pods.len()),
                example(pods)
            ),
            InUse::EnableNamespacesByDefault => {
                f.write_str("it is the default revision and enableNamespacesByDefault is on")
            }
        }
    }
}

/// `in_use_by` in the status JSON: one sentence each (the contract predates the
/// structured form).
fn sentences<S: serde::Serializer>(by: &[InUse], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(by.iter().map(ToString::to_string))
}

fn count_pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_owned()
    } else {
        format!("{n} pods")
    }
}

/// The first pod's name, and how many more.
fn example(pods: &[Arc<str>]) -> String {
    match pods {
        [] => String::new(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// The revision (or tag) a namespace's labels reference, by the Sail operator's rule
/// (sail-operator `pkg/revision/references.go` `GetReferencedRevisionFromNamespace`):
/// `istio-injection=enabled` means `default`, else a non-empty `istio.io/rev`.
/// `istio-injection=disabled` does not cancel `istio.io/rev` here.
pub(crate) fn namespace_reference(ns_labels: &Labels) -> Option<&str> {
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
pub(crate) fn pod_reference(pod_labels: &Labels) -> Option<&str> {
    let inject = pod_labels.get(labels::SIDECAR_INJECT).map(String::as_str);
    if inject == Some("false") {
        return None;
    }
    if let Some(rev) = pod_labels.get(labels::REV).filter(|r| !r.is_empty()) {
        return Some(rev);
    }
    (inject == Some("true")).then_some("default")
}

#[cfg(test)]
mod light_tests {
    use super::*;
    use crate::SnapshotBuilder;

    /// Every fixture, and the kubectl-made owner kinds (bare pods, missing
    /// controllers, DeploymentConfigs, Jobs) next to the story.
    fn meshes() -> Vec<Mesh> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                let name = f.to_string_lossy().into_owned();
                if (name.ends_with(".yaml") || name.ends_with(".json"))
                    && !name.ends_with(".expected.yaml")
                {
                    let mut b = SnapshotBuilder::new();
                    b.add_path(&f).unwrap();
                    out.push(Mesh::new(b.build()));
                }
            }
        }
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kubectl");
        let mut b = SnapshotBuilder::new();
        b.add_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/ossm-2.6-to-3.0/01-before.yaml"
        ))
        .unwrap();
        for f in [
            "vault.yaml",
            "ledger-namespace.yaml",
            "ledger-redis-pod.yaml",
        ] {
            b.add_path(format!("{data}/{f}")).unwrap();
        }
        out.push(Mesh::new(b.build()));
        out
    }

    #[test]
    fn namespaces_only_gives_the_namespace_rows_of_the_full_status() {
        for mesh in meshes() {
            let names = mesh.snapshot().namespace_names();
            let full = Status::of_namespaces(&mesh, names.iter().copied());
            let light = Status::namespaces_only(&mesh, names.iter().copied());
            assert_eq!(light.namespaces, full.namespaces);
            assert!(light.pods.is_empty() && light.progress.is_empty());
        }
    }

    /// The in-use lists of [`Status::of`] share the pod rows' names, and equal
    /// what [`in_use`] computes alone (every name its own copy).
    #[test]
    fn in_use_pod_lists_share_the_pod_rows_names() {
        let mut shared = 0;
        for mesh in meshes() {
            let status = Status::of(&mesh);
            for (row, rev) in status.revisions.iter().zip(mesh.revisions()) {
                assert_eq!(row.in_use_by, in_use(&mesh, rev).1, "{}", rev.name);
                for by in &row.in_use_by {
                    let (InUse::InjectedPods { namespace, pods }
                    | InUse::LabelledPods {
                        namespace, pods, ..
                    }) = by
                    else {
                        continue;
                    };
                    for name in pods {
                        let pod = status
                            .pods
                            .iter()
                            .find(|p| *p.namespace == **namespace && p.name == *name)
                            .expect("a row for every listed pod");
                        assert!(Arc::ptr_eq(&pod.name, name), "{namespace}/{name}");
                        shared += 1;
                    }
                }
            }
        }
        assert!(shared > 0, "the fixtures list pods in use");
    }

    #[test]
    fn running_name_reads_what_running_revision_reads() {
        for mesh in meshes() {
            for pod in mesh.snapshot().pods() {
                assert_eq!(
                    running_name(pod),
                    running_revision(pod).0.revision(),
                    "{}",
                    pod.meta.name
                );
            }
        }
    }

    #[test]
    fn a_namespace_is_found_in_a_status_put_together_out_of_order() {
        let mesh = meshes().pop().unwrap();
        let mut status = Status::of(&mesh);
        assert_eq!(status.namespace("vault").unwrap().name, "vault");
        status.namespaces.reverse();
        assert_eq!(status.namespace("vault").unwrap().name, "vault");
        assert_eq!(status.namespace("mercury").unwrap().name, "mercury");
        assert!(status.namespace("pluto").is_none());
    }
}
