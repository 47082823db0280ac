//! Analyze: what is wrong, or about to go wrong, with a mesh's injection, as
//! findings with stable codes.
//!
//! [`analyze`] looks at a [`Mesh`] (and the [`Status`] computed from it) and
//! returns a list of [`Finding`]s. Each finding has a [`Code`] whose id (`MR0001`)
//! and slug (`both-injection-labels`) never change meaning, a [`Severity`], the
//! object it is about and a message that names the labels involved and says what
//! to do, usually as the exact `kubectl` command. [`Code::explain`] teaches the
//! rule behind a code and names the upstream source it comes from.
//!
//! The list is sorted by code, then object, then message, so output is diffable.
//!
//! # Example
//!
//! Namespace `shop` carries both injection labels. `istio-injection` wins, so the
//! `istio.io/rev` label is silently ignored:
//!
//! ```
//! use meshrev::{Mesh, Snapshot};
//! use meshrev::analyze::{analyze, Code, Severity};
//!
//! let mesh = Mesh::new(Snapshot::from_yaml(r#"
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: default}
//! spec: {version: v1.24.3, namespace: istio-system}
//! ---
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: canary}
//! spec: {version: v1.25.0, namespace: istio-system}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: shop
//!   labels: {istio-injection: enabled, istio.io/rev: canary}
//! "#)?);
//! let findings = analyze(&mesh);
//! let f = findings
//!     .iter()
//!     .find(|f| f.code == Code::BothInjectionLabels)
//!     .expect("reported");
//! assert_eq!(f.object.to_string(), "Namespace shop");
//! assert_eq!(f.severity, Severity::Warning);
//! assert!(f.message.contains("kubectl label namespace shop"));
//! assert_eq!(Code::BothInjectionLabels.id(), "MR0001");
//! println!("{f}");
//! # Ok::<(), meshrev::Error>(())
//! ```
//!
//! # The findings
//!
//! Every code below is also a variant of [`Code`]; [`Code::explain`] gives the
//! same teaching in one paragraph.
//!
//! ## Labels on namespaces and pods
//!
//! - **MR0001 `both-injection-labels`** (warning). A namespace has both
//!   `istio-injection` and `istio.io/rev`. Every revision's `rev.namespace.`
//!   webhook requires `istio-injection` to be absent, so `istio-injection` wins:
//!   `enabled` sends pods to the default revision only, any other value to nobody.
//!   The `istio.io/rev` label does nothing, which is rarely what was meant.
//! - **MR0002 `dangling-revision-label`** (error). `istio.io/rev` names no
//!   revision and no tag (or a tag that leads nowhere, or a Maistra control plane,
//!   whose webhook selects on membership instead). No webhook matches, and the API
//!   server creates the pod without a sidecar: no error, no event.
//! - **MR0006 `pod-revision-label-ignored`** (warning). A pod template (or bare
//!   pod) has `istio.io/rev`, but its namespace has `istio.io/rev` or
//!   `istio-injection`. The `rev.object.` webhooks require both namespace labels to
//!   be absent, so the namespace decides and the pod label is ignored.
//! - **MR0016 `ignored-namespace-labelled`** (warning). `kube-system`,
//!   `kube-public`, `kube-node-lease` or `local-path-storage` carries an injection
//!   label: the webhook is called for every pod there, and istiod refuses each.
//!
//! ## Webhooks
//!
//! - **MR0003 `double-injection`** (error). Webhooks sending to different
//!   revisions all match a namespace or a workload's pods: the API server calls
//!   them all (istioctl analyze IST0139).
//! - **MR0004 `webhook-overlap`** (warning). The same check as IST0139 itself,
//!   on the webhooks alone: for the label combinations istioctl tries, two
//!   webhooks match at once, whether or not a namespace carries those labels yet.
//! - **MR0009 `tag-shadows-revision`** (error). A tag has a revision's name, so
//!   `istio.io/rev=<name>` matches both.
//!
//! ## Workloads and their sidecars
//!
//! - **MR0005 `needs-restart`** (warning). Running pods were injected by another
//!   revision than the one that would inject them now. Labels act at pod
//!   creation only; a restart applies them.
//! - **MR0007 `running-revision-gone`** (error). Live pods run a sidecar of a
//!   revision that no longer has a control plane.
//! - **MR0013 `malformed-sidecar-status`** (warning), **MR0014
//!   `sidecar-without-record`** (warning), **MR0015 `injection-record-disagrees`**
//!   (warning): the injector's record on a pod (`istio.io/rev` annotation,
//!   `sidecar.istio.io/status` JSON) is broken, missing or contradictory.
//!
//! ## Revisions
//!
//! - **MR0008 `outside-discovery-selectors`** (error). A namespace is injected by
//!   a revision whose `discoverySelectors` do not select it: its proxies get their
//!   configuration from an istiod that does not watch their namespace.
//! - **MR0012 `revision-prunable`** (info). Nothing uses a revision: safe to remove.
//! - **MR0017 `illegal-injector-policy`** (error). The injector `policy` is
//!   neither `enabled` nor `disabled`: istiod injects nothing at all.
//!
//! ## OpenShift Service Mesh 2 (Maistra) next to 3 (Sail)
//!
//! - **MR0010 `maistra-member-without-ignore`** (error). A member of an OSSM 2
//!   control plane asks for an OSSM 3 revision without
//!   `maistra.io/ignore-namespace`: both control planes want it.
//! - **MR0011 `maistra-membership-stale`** (warning). The `maistra.io/member-of`
//!   label disagrees with the member roll: the operator has not reconciled yet.
//!
//! ## What the snapshot lacks
//!
//! - **MR0025 `workload-missing`** (warning). Pods name a controller (through
//!   their ReplicaSet, ReplicationController or Job, or directly) that is not in
//!   the snapshot. They are not bare pods: the finding says which kind to add to
//!   the `kubectl get`, and restart advice names the controller.
//! - **MR0026 `incomplete-snapshot`** (warning). Pods in namespaces the snapshot
//!   lacks, pods with no control plane and no webhook configuration at all, or a
//!   Maistra control plane without its member roll: the missing kinds are named.
//! - **MR0027 `empty-snapshot`** (error). Not one object meshrev reads.
//! - **MR0028 `pods-rejected`** (error). A matching injection webhook with
//!   `failurePolicy: Fail` calls a service no istiod serves: new pods are refused.
//! - **MR0029 `tag-target-not-found`** (error). A Sail `IstioRevisionTag` whose
//!   target does not exist: the operator installs nothing for it.
//! - **MR0030 `proxy-version-skew`** (warning). Pods run their revision's proxy
//!   more than one minor version older than the revision's version (InPlace
//!   `spec.version` changes without restarts in between).
//!
//! ## What model discovery found odd
//!
//! Each [`MeshWarning`] becomes a finding:
//! **MR0018 `unreadable-injector-config`**, **MR0019 `invalid-injector-selectors`**,
//! **MR0020 `invalid-discovery-selectors`**, **MR0021 `revision-name-clash`**,
//! **MR0022 `tag-target-mismatch`**, **MR0023 `webhook-without-target`**,
//! and **MR0024 `webhook-to-unknown-revision`**.

mod code;
mod coverage;
mod injection_labels;
mod maistra;
mod mesh_warnings;
mod revisions;
mod webhooks;
mod workloads;

use std::collections::BTreeSet;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

pub use self::code::Code;
use crate::labels::Labels;
use crate::mesh::Mesh;
#[cfg(doc)]
use crate::mesh::MeshWarning;
use crate::resolve::Resolution;
use crate::snapshot::ObjectRef;
use crate::snapshot::{PodTemplate, Snapshot, Workload};
use crate::status::Status;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Pods are (or will be) injected wrongly, twice, or not at all.
    Error,
    /// Something does not do what its labels suggest, or waits for an action.
    Warning,
    /// Worth knowing; nothing is wrong.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the analyzer found: the code, the object, the data the finding is
/// about (other objects, revisions), and the message that says it in prose.
///
/// Programs act on the data; the message is for people and may be reworded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What kind of finding.
    pub code: Code,
    /// How bad (the code's severity).
    pub severity: Severity,
    /// The object it is about.
    pub object: ObjectRef,
    /// The other objects involved, sorted: the pods of a workload whose sidecar
    /// record is wrong, the webhook configuration another one overlaps, the
    /// control plane or tag a label leads to.
    pub objects: Vec<ObjectRef>,
    /// The revisions (or tag and label values) involved, sorted: those that
    /// inject twice, the one a workload runs and the one it should run, a
    /// dangling `istio.io/rev` value.
    pub revisions: Vec<String>,
    /// What is wrong, with the labels involved and what to do.
    pub message: String,
}

impl Finding {
    fn new(code: Code, object: ObjectRef, message: String) -> Self {
        Finding {
            code,
            severity: code.severity(),
            object,
            objects: Vec::new(),
            revisions: Vec::new(),
            message,
        }
    }

    /// Adds revisions (kept sorted and unique).
    fn revisions<S: Into<String>>(&mut self, revisions: impl IntoIterator<Item = S>) -> &mut Self {
        self.revisions.extend(revisions.into_iter().map(Into::into));
        self.revisions.sort();
        self.revisions.dedup();
        self
    }

    /// Adds involved objects (kept sorted and unique).
    fn objects(&mut self, objects: impl IntoIterator<Item = ObjectRef>) -> &mut Self {
        self.objects.extend(objects);
        self.objects.sort();
        self.objects.dedup();
        self
    }
}

impl Serialize for Finding {
    /// `{"code": "MR0001", "slug": "both-injection-labels", "severity": "warning",
    /// "object": {"kind", "namespace", "name"}, "objects": [...], "revisions":
    /// [...], "message": "..."}`; `objects` and `revisions` only when not empty.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields =
            5 + usize::from(!self.objects.is_empty()) + usize::from(!self.revisions.is_empty());
        let mut st = s.serialize_struct("Finding", fields)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("slug", self.code.slug())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("object", &self.object)?;
        if !self.objects.is_empty() {
            st.serialize_field("objects", &self.objects)?;
        }
        if !self.revisions.is_empty() {
            st.serialize_field("revisions", &self.revisions)?;
        }
        st.serialize_field("message", &self.message)?;
        st.end()
    }
}

impl fmt::Display for Finding {
    /// `warning[MR0001 both-injection-labels] Namespace shop: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity, self.code, self.object, self.message
        )
    }
}

/// Every finding about a mesh, sorted by code, then object, then message.
pub fn analyze(mesh: &Mesh) -> Vec<Finding> {
    analyze_with_status(mesh, &Status::of(mesh))
}

/// [`analyze`] with a [`Status`] the caller already computed for the same mesh.
pub fn analyze_with_status(mesh: &Mesh, status: &Status) -> Vec<Finding> {
    let mut a = Analyzer {
        mesh,
        s: mesh.snapshot(),
        out: Vec::new(),
        overlapping: BTreeSet::new(),
    };
    a.webhook_overlap();
    a.namespaces();
    a.templates();
    a.needs_restart(status);
    a.proxy_version_skew(status);
    a.pod_records();
    a.discovery_selectors();
    a.tags();
    a.revisions(status);
    a.mesh_warnings();
    a.coverage();
    let mut out = a.out;
    out.sort_by(|x, y| (x.code, &x.object, &x.message).cmp(&(y.code, &y.object, &y.message)));
    out.dedup();
    out
}

struct Analyzer<'a> {
    mesh: &'a Mesh,
    s: &'a Snapshot,
    out: Vec<Finding>,
    /// Webhook configurations some webhook-overlap finding names.
    overlapping: BTreeSet<String>,
}

/// A pod template or a bare pod: what the template checks look at.
struct Subject<'a> {
    object: ObjectRef,
    namespace: &'a str,
    labels: &'a Labels,
    resolution: Resolution,
    /// `pod template label` or `pod label`.
    what: &'static str,
}

impl<'a> Analyzer<'a> {
    /// Records a finding; the caller adds its data to the returned finding.
    fn push(&mut self, code: Code, object: ObjectRef, message: String) -> &mut Finding {
        let at = self.out.len();
        self.out.push(Finding::new(code, object, message));
        &mut self.out[at]
    }

    /// Workload templates, and pods no workload in the snapshot owns.
    fn subjects(&self) -> Vec<Subject<'a>> {
        let mesh = self.mesh;
        let mut out = Vec::new();
        for w in self.s.workloads().filter(|w| self.s.is_pod_owner(w)) {
            out.push(template_subject(mesh, w, &w.template));
        }
        for pod in self.s.pods().filter(|p| self.s.owner_of(p).is_none()) {
            out.push(Subject {
                object: pod.meta.object_ref("Pod"),
                namespace: pod.namespace(),
                labels: &pod.meta.labels,
                resolution: mesh.resolve_pod(pod),
                what: "pod label",
            });
        }
        out
    }
}

fn template_subject<'a>(mesh: &Mesh, w: &'a Workload, t: &'a PodTemplate) -> Subject<'a> {
    Subject {
        object: w.meta.object_ref(w.kind.as_str()),
        namespace: w.namespace(),
        labels: &t.labels,
        resolution: mesh.resolve_template(w.namespace(), t),
        what: "pod template label",
    }
}

/// The revisions of a conflict, or `None`.
fn conflict_revisions(r: &Resolution) -> Option<BTreeSet<String>> {
    match r {
        Resolution::Conflict { candidates } => {
            Some(candidates.iter().map(|c| c.revision.clone()).collect())
        }
        _ => None,
    }
}

/// A resolution in a few words: `revision X`, `no sidecar`, `several revisions (a, b)`.
fn outcome_words(r: &Resolution) -> String {
    match r {
        Resolution::Injected { revision, .. } => format!("revision {revision}"),
        Resolution::NotInjected { .. } => "no sidecar".to_owned(),
        Resolution::Rejected { service, .. } => {
            format!("nothing: the API server rejects it (service {service} has no istiod)")
        }
        Resolution::Conflict { .. } => format!(
            "several revisions ({})",
            conflict_revisions(r)
                .unwrap_or_default()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
