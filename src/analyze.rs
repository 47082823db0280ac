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
//! ## What model discovery found odd
//!
//! Each [`MeshWarning`] becomes a finding:
//! **MR0018 `unreadable-injector-config`**, **MR0019 `invalid-injector-selectors`**,
//! **MR0020 `invalid-discovery-selectors`**, **MR0021 `revision-name-clash`**,
//! **MR0022 `tag-target-mismatch`**, **MR0023 `webhook-without-target`**,
//! and **MR0024 `webhook-to-unknown-revision`**.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::ObjectRef;
use crate::labels::{self, LabelSelector, Labels, Operator};
use crate::mesh::{Family, Mesh, MeshWarning, Policy, Revision, Via, WarningKind};
use crate::resolve::{NotInjected, Resolution};
use crate::snapshot::{Pod, PodTemplate, Snapshot, Workload, WorkloadKind};
use crate::status::{self, Running, Status};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// The kind of a finding. Ids and slugs are stable: a code is never renumbered
/// or reused for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// MR0001 `both-injection-labels`.
    BothInjectionLabels,
    /// MR0002 `dangling-revision-label`.
    DanglingRevisionLabel,
    /// MR0003 `double-injection`.
    DoubleInjection,
    /// MR0004 `webhook-overlap`.
    WebhookOverlap,
    /// MR0005 `needs-restart`.
    NeedsRestart,
    /// MR0006 `pod-revision-label-ignored`.
    PodRevisionLabelIgnored,
    /// MR0007 `running-revision-gone`.
    RunningRevisionGone,
    /// MR0008 `outside-discovery-selectors`.
    OutsideDiscoverySelectors,
    /// MR0009 `tag-shadows-revision`.
    TagShadowsRevision,
    /// MR0010 `maistra-member-without-ignore`.
    MaistraMemberWithoutIgnore,
    /// MR0011 `maistra-membership-stale`.
    MaistraMembershipStale,
    /// MR0012 `revision-prunable`.
    RevisionPrunable,
    /// MR0013 `malformed-sidecar-status`.
    MalformedSidecarStatus,
    /// MR0014 `sidecar-without-record`.
    SidecarWithoutRecord,
    /// MR0015 `injection-record-disagrees`.
    InjectionRecordDisagrees,
    /// MR0016 `ignored-namespace-labelled`.
    IgnoredNamespaceLabelled,
    /// MR0017 `illegal-injector-policy`.
    IllegalInjectorPolicy,
    /// MR0018 `unreadable-injector-config`.
    UnreadableInjectorConfig,
    /// MR0019 `invalid-injector-selectors`.
    InvalidInjectorSelectors,
    /// MR0020 `invalid-discovery-selectors`.
    InvalidDiscoverySelectors,
    /// MR0021 `revision-name-clash`.
    RevisionNameClash,
    /// MR0022 `tag-target-mismatch`.
    TagTargetMismatch,
    /// MR0023 `webhook-without-target`.
    WebhookWithoutTarget,
    /// MR0024 `webhook-to-unknown-revision`.
    WebhookToUnknownRevision,
}

impl Code {
    /// Every code, in id order.
    pub const ALL: [Code; 24] = [
        Code::BothInjectionLabels,
        Code::DanglingRevisionLabel,
        Code::DoubleInjection,
        Code::WebhookOverlap,
        Code::NeedsRestart,
        Code::PodRevisionLabelIgnored,
        Code::RunningRevisionGone,
        Code::OutsideDiscoverySelectors,
        Code::TagShadowsRevision,
        Code::MaistraMemberWithoutIgnore,
        Code::MaistraMembershipStale,
        Code::RevisionPrunable,
        Code::MalformedSidecarStatus,
        Code::SidecarWithoutRecord,
        Code::InjectionRecordDisagrees,
        Code::IgnoredNamespaceLabelled,
        Code::IllegalInjectorPolicy,
        Code::UnreadableInjectorConfig,
        Code::InvalidInjectorSelectors,
        Code::InvalidDiscoverySelectors,
        Code::RevisionNameClash,
        Code::TagTargetMismatch,
        Code::WebhookWithoutTarget,
        Code::WebhookToUnknownRevision,
    ];

    /// The stable id, `MR0001` to `MR0024`.
    pub fn id(self) -> &'static str {
        match self {
            Code::BothInjectionLabels => "MR0001",
            Code::DanglingRevisionLabel => "MR0002",
            Code::DoubleInjection => "MR0003",
            Code::WebhookOverlap => "MR0004",
            Code::NeedsRestart => "MR0005",
            Code::PodRevisionLabelIgnored => "MR0006",
            Code::RunningRevisionGone => "MR0007",
            Code::OutsideDiscoverySelectors => "MR0008",
            Code::TagShadowsRevision => "MR0009",
            Code::MaistraMemberWithoutIgnore => "MR0010",
            Code::MaistraMembershipStale => "MR0011",
            Code::RevisionPrunable => "MR0012",
            Code::MalformedSidecarStatus => "MR0013",
            Code::SidecarWithoutRecord => "MR0014",
            Code::InjectionRecordDisagrees => "MR0015",
            Code::IgnoredNamespaceLabelled => "MR0016",
            Code::IllegalInjectorPolicy => "MR0017",
            Code::UnreadableInjectorConfig => "MR0018",
            Code::InvalidInjectorSelectors => "MR0019",
            Code::InvalidDiscoverySelectors => "MR0020",
            Code::RevisionNameClash => "MR0021",
            Code::TagTargetMismatch => "MR0022",
            Code::WebhookWithoutTarget => "MR0023",
            Code::WebhookToUnknownRevision => "MR0024",
        }
    }

    /// The stable kebab-case name, e.g. `both-injection-labels`.
    pub fn slug(self) -> &'static str {
        match self {
            Code::BothInjectionLabels => "both-injection-labels",
            Code::DanglingRevisionLabel => "dangling-revision-label",
            Code::DoubleInjection => "double-injection",
            Code::WebhookOverlap => "webhook-overlap",
            Code::NeedsRestart => "needs-restart",
            Code::PodRevisionLabelIgnored => "pod-revision-label-ignored",
            Code::RunningRevisionGone => "running-revision-gone",
            Code::OutsideDiscoverySelectors => "outside-discovery-selectors",
            Code::TagShadowsRevision => "tag-shadows-revision",
            Code::MaistraMemberWithoutIgnore => "maistra-member-without-ignore",
            Code::MaistraMembershipStale => "maistra-membership-stale",
            Code::RevisionPrunable => "revision-prunable",
            Code::MalformedSidecarStatus => "malformed-sidecar-status",
            Code::SidecarWithoutRecord => "sidecar-without-record",
            Code::InjectionRecordDisagrees => "injection-record-disagrees",
            Code::IgnoredNamespaceLabelled => "ignored-namespace-labelled",
            Code::IllegalInjectorPolicy => "illegal-injector-policy",
            Code::UnreadableInjectorConfig => "unreadable-injector-config",
            Code::InvalidInjectorSelectors => "invalid-injector-selectors",
            Code::InvalidDiscoverySelectors => "invalid-discovery-selectors",
            Code::RevisionNameClash => "revision-name-clash",
            Code::TagTargetMismatch => "tag-target-mismatch",
            Code::WebhookWithoutTarget => "webhook-without-target",
            Code::WebhookToUnknownRevision => "webhook-to-unknown-revision",
        }
    }

    /// The severity every finding of this code carries.
    pub fn severity(self) -> Severity {
        match self {
            Code::DanglingRevisionLabel
            | Code::DoubleInjection
            | Code::RunningRevisionGone
            | Code::OutsideDiscoverySelectors
            | Code::TagShadowsRevision
            | Code::MaistraMemberWithoutIgnore
            | Code::IllegalInjectorPolicy
            | Code::UnreadableInjectorConfig
            | Code::RevisionNameClash
            | Code::WebhookToUnknownRevision => Severity::Error,
            Code::RevisionPrunable => Severity::Info,
            Code::BothInjectionLabels
            | Code::WebhookOverlap
            | Code::NeedsRestart
            | Code::PodRevisionLabelIgnored
            | Code::MaistraMembershipStale
            | Code::MalformedSidecarStatus
            | Code::SidecarWithoutRecord
            | Code::InjectionRecordDisagrees
            | Code::IgnoredNamespaceLabelled
            | Code::InvalidInjectorSelectors
            | Code::InvalidDiscoverySelectors
            | Code::TagTargetMismatch
            | Code::WebhookWithoutTarget => Severity::Warning,
        }
    }

    /// One line: what the finding says.
    pub fn summary(self) -> &'static str {
        match self {
            Code::BothInjectionLabels => {
                "namespace has both istio-injection and istio.io/rev; istio-injection wins"
            }
            Code::DanglingRevisionLabel => {
                "istio.io/rev names no revision or tag that injects: pods start without a sidecar"
            }
            Code::DoubleInjection => {
                "webhooks of several revisions match one namespace or workload"
            }
            Code::WebhookOverlap => "two injection webhooks match the same labels (IST0139)",
            Code::NeedsRestart => {
                "running pods were injected by another revision than the current injector"
            }
            Code::PodRevisionLabelIgnored => {
                "pod istio.io/rev is ignored because the namespace has an injection label"
            }
            Code::RunningRevisionGone => "pods run a sidecar of a revision that no longer exists",
            Code::OutsideDiscoverySelectors => {
                "namespace injected by a revision whose discoverySelectors do not select it"
            }
            Code::TagShadowsRevision => "a tag has the name of a revision",
            Code::MaistraMemberWithoutIgnore => {
                "OSSM 2 member namespace asks for an OSSM 3 revision without maistra.io/ignore-namespace"
            }
            Code::MaistraMembershipStale => {
                "maistra.io/member-of disagrees with the member roll (operator not reconciled)"
            }
            Code::RevisionPrunable => "revision used by nothing: safe to remove",
            Code::MalformedSidecarStatus => "sidecar.istio.io/status annotation is not valid JSON",
            Code::SidecarWithoutRecord => "istio-proxy container with no record of its revision",
            Code::InjectionRecordDisagrees => {
                "istio.io/rev annotation and sidecar.istio.io/status revision disagree"
            }
            Code::IgnoredNamespaceLabelled => "injection label on a namespace istiod never injects",
            Code::IllegalInjectorPolicy => {
                "injector policy neither enabled nor disabled: the revision injects nothing"
            }
            Code::UnreadableInjectorConfig => "injector config map cannot be read",
            Code::InvalidInjectorSelectors => {
                "never/always inject selectors in CR values are invalid"
            }
            Code::InvalidDiscoverySelectors => "discoverySelectors cannot be read",
            Code::RevisionNameClash => "two control planes claim one revision name",
            Code::TagTargetMismatch => "IstioRevisionTag and its webhook configuration disagree",
            Code::WebhookWithoutTarget => "injection webhook names no revision and no service",
            Code::WebhookToUnknownRevision => {
                "injection webhook sends to a revision with no control plane"
            }
        }
    }

    /// One paragraph teaching the rule behind the code, naming the upstream
    /// source it comes from.
    pub fn explain(self) -> &'static str {
        match self {
            Code::BothInjectionLabels => {
                "A namespace carries both `istio-injection` and `istio.io/rev`. Every revision's \
                 `rev.namespace.` webhook selects `istio.io/rev In [<revision>]` *and* \
                 `istio-injection DoesNotExist`, and only the default revision (or the `default` \
                 tag) has the `namespace.` webhook, which selects `istio-injection In [enabled]`. \
                 So `istio-injection` wins: with `enabled` only the default revision injects, with \
                 any other value nobody does, and `istio.io/rev` is ignored either way (the Sail \
                 operator still counts it as a reference, so it keeps that revision from being \
                 pruned). Remove the label you do not mean. istioctl reports the same as IST0123. \
                 Source: istio/istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`."
            }
            Code::DanglingRevisionLabel => {
                "`istio.io/rev` on a namespace (or on a pod whose namespace has neither injection \
                 label) names a value no webhook selects: no revision and no tag has that name, a \
                 tag leads to no revision, or it names a Maistra (OSSM 2) control plane, whose \
                 webhook selects `maistra.io/member-of` and ignores `istio.io/rev`. The \
                 `rev.namespace.` and `rev.object.` webhooks select `istio.io/rev In [V]` for their \
                 own V only, so nothing matches and the API server creates the pod unmodified: no \
                 error, no event, no sidecar. Typical after uninstalling a revision, or a typo. \
                 Relabel to an existing revision or tag. Source: istio/istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml` \
                 and `revision-tags.yaml`."
            }
            Code::DoubleInjection => {
                "Webhooks that send to different revisions all match one namespace (for a pod \
                 with no labels) or one workload's pod template. The API server calls every \
                 matching mutating webhook, so the pod is sent to several injectors; which sidecar \
                 it ends up with depends on call order, and it may be mutated twice. Usual causes: \
                 an old default webhook configuration left active next to a `default` tag, a tag \
                 named like a revision, or an OSSM 2 member namespace labelled for OSSM 3 without \
                 `maistra.io/ignore-namespace`. istioctl analyze reports the overlap as IST0139. \
                 Source: istio/istio `pkg/config/analysis/analyzers/webhook/webhook.go`."
            }
            Code::WebhookOverlap => {
                "istioctl's own overlap check, on the webhooks alone: it tries namespace labels \
                 `{}`, `istio-injection=enabled|disabled`, each also with `istio.io/rev=<every \
                 revision a webhook mentions>`, against pod labels `{}`, \
                 `sidecar.istio.io/inject=true|false`, each also with `istio.io/rev=<revision>`, \
                 and reports every pair of webhooks that match one combination, whether or not a \
                 namespace carries those labels today. A correct install never overlaps; an \
                 overlap is double injection waiting for the first namespace that uses the \
                 labels. Fix it by deactivating the old default (`istioctl tag set default \
                 --revision <rev>` points it at `istio.io/deactivated=never-match`) or deleting the \
                 extra configuration. Source: istio/istio \
                 `pkg/config/analysis/analyzers/webhook/webhook.go` (IST0139)."
            }
            Code::NeedsRestart => {
                "A workload's running pods were injected by another revision than the one that \
                 would inject a pod created from its template now (or have a sidecar that would not \
                 be injected now). Injection happens only when a pod is created, so relabelling a \
                 namespace or moving a tag changes nothing until the pods are recreated: \
                 `kubectl rollout restart`. The running revision is the injector's record on the \
                 pod: the `istio.io/rev` annotation, else the `revision` in \
                 `sidecar.istio.io/status`, as istioctl reads it. Source: istio/istio \
                 `pkg/kube/inject/webhook.go`; kiali/kiali#8150 asks for exactly this list."
            }
            Code::PodRevisionLabelIgnored => {
                "A pod template (or bare pod) has `istio.io/rev`, but its namespace has \
                 `istio.io/rev` or `istio-injection`. The `rev.object.` webhooks, the only ones \
                 that read a pod's `istio.io/rev`, require both namespace labels to be absent, so \
                 the namespace decides and the pod label is ignored. Either remove the pod label, \
                 or move the namespace to that revision. Source: istio/istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`."
            }
            Code::RunningRevisionGone => {
                "Live pods record (in their `istio.io/rev` annotation or `sidecar.istio.io/status`) \
                 a revision that has no control plane any more: their proxies were configured by \
                 an istiod that was uninstalled, so they receive no configuration or certificate \
                 updates. Point the namespace at an existing revision and restart the workload. \
                 Source: istio/istio `pkg/kube/inject/webhook.go` (the record) and \
                 `istioctl/pkg/tag` (uninstalling a revision leaves running pods alone)."
            }
            Code::OutsideDiscoverySelectors => {
                "A namespace is injected by a revision whose `meshConfig.discoverySelectors` do \
                 not select it. The injection webhook ignores discovery selectors, so pods get a \
                 sidecar of an istiod that does not watch their namespace: its services, endpoints \
                 and configuration are missing from that control plane's view. The OSSM 2.6 -> 3.0 \
                 migration requires the 3.0 Istio's selectors to match every migrated namespace. \
                 Label the namespace to match a selector, or widen the selectors. Source: \
                 istio/istio `pkg/kube/namespace/filter.go`; openshift-service-mesh/sail-operator \
                 `docs/ossm/ossm2-migration/`."
            }
            Code::TagShadowsRevision => {
                "A revision tag has the name of a revision (other than `default`). Both webhook \
                 configurations then list that name in `istio.io/rev In [...]`, so namespaces and \
                 pods labelled with it match twice. istioctl refuses to create such a tag (\"found \
                 existing control plane revision with same name\"), helm does not, and the Sail \
                 operator keeps the older of the two objects. Rename or delete the tag. Source: \
                 istio/istio `istioctl/pkg/tag/generate.go`; istio-ecosystem/sail-operator \
                 `controllers/istiorevisiontag/istiorevisiontag_controller.go`."
            }
            Code::MaistraMemberWithoutIgnore => {
                "A namespace that belongs to an OSSM 2 (Maistra) control plane asks for an OSSM 3 \
                 (Sail) revision, but has no `maistra.io/ignore-namespace` label. The Maistra \
                 webhook selects `maistra.io/member-of In [<cp namespace>]` and \
                 `maistra.io/ignore-namespace DoesNotExist`, so both control planes want its pods. \
                 The 2.6 -> 3.0 migration guide labels every migrated namespace \
                 `maistra.io/ignore-namespace=\"true\"` and keeps the label until 2.6 is deleted. \
                 Source: openshift-service-mesh/sail-operator `docs/ossm/ossm2-migration/`; the \
                 Maistra istio-discovery chart's `mutatingwebhook.yaml` (maistra/istio-operator)."
            }
            Code::MaistraMembershipStale => {
                "A namespace's `maistra.io/member-of` label disagrees with its membership as the \
                 member roll (`members`, `memberSelectors`) or a ServiceMeshMember defines it. The \
                 Maistra operator adds and removes the label when it reconciles; the injection \
                 webhook selects on the label, so until then injection follows the old \
                 membership. Check the operator, or the roll. Source: maistra/istio-operator \
                 `pkg/apis/maistra/v1/servicemeshmemberroll_types.go` (`IsMember`) and the \
                 member-roll controller."
            }
            Code::RevisionPrunable => {
                "Nothing uses the revision by the Sail operator's rules: no tag leads to it, no \
                 namespace references it, no live pod was injected by it or asks for it, and it is \
                 not an Istio's active revision; no namespace is injected by it either. It is safe \
                 to remove (the Sail operator deletes such inactive revisions itself after \
                 `inactiveRevisionDeletionGracePeriodSeconds`). Source: \
                 istio-ecosystem/sail-operator `pkg/revision/references.go` and \
                 `controllers/istiorevision/istiorevision_controller.go`."
            }
            Code::MalformedSidecarStatus => {
                "The `sidecar.istio.io/status` annotation is not the JSON the injector writes \
                 (`{initContainers, containers, volumes, imagePullSecrets, revision}`): truncated, \
                 or edited by hand. Readers that need it (istioctl, meshrev) fall back to the \
                 `istio.io/rev` annotation; without one the running revision is unknown. A restart \
                 writes a fresh record. Source: istio/istio `pkg/kube/inject/webhook.go` \
                 (`SidecarInjectionStatus`)."
            }
            Code::SidecarWithoutRecord => {
                "A pod has an `istio-proxy` container but no `istio.io/rev` annotation and no \
                 readable `sidecar.istio.io/status`: the sidecar was added by hand or the \
                 annotations were stripped, so nothing says which control plane it belongs to. \
                 Restart the workload to let its injector add a recorded sidecar. Source: \
                 istio/istio `pkg/kube/inject/webhook.go` and the injection template \
                 (`files/injection-template.yaml`)."
            }
            Code::InjectionRecordDisagrees => {
                "The `istio.io/rev` annotation and the `revision` in `sidecar.istio.io/status` \
                 name different revisions. One injection writes both, so one of them was edited. \
                 istioctl (and meshrev) trust the annotation. Restart the workload to get a \
                 consistent record. Source: istio/istio `pkg/kube/inject/webhook.go`; istioctl \
                 `proxy-status` reads the annotation first."
            }
            Code::IgnoredNamespaceLabelled => {
                "istiod never injects pods in `kube-system`, `kube-public`, `kube-node-lease` or \
                 `local-path-storage`, whatever their labels. An injection label on one of them \
                 makes the API server call the webhook for every pod there (with `failurePolicy: \
                 Fail`, a control-plane outage then blocks system pods), and istiod refuses each. \
                 Remove the label. Source: istio/istio `pkg/kube/inject/inject.go` \
                 (`injectRequired`, ignored namespaces)."
            }
            Code::IllegalInjectorPolicy => {
                "The injector config `policy` (helm `global.proxy.autoInject`) is neither \
                 `enabled` nor `disabled`; values are case-sensitive. istiod logs \"Illegal value \
                 for autoInject\" and injects nothing, not even pods labelled \
                 `sidecar.istio.io/inject=true`, although its webhook still receives them. Set \
                 `enabled` or `disabled`. Source: istio/istio `pkg/kube/inject/inject.go` \
                 (`injectRequired`)."
            }
            Code::UnreadableInjectorConfig => {
                "The revision's injector config map `istio-sidecar-injector[-<rev>]` cannot be \
                 read: its `config` is not YAML, its `values` not JSON, or a never/always inject \
                 selector is invalid. istiod cannot load it either. meshrev falls back to the \
                 family's default injector rules for this revision, so its answers about it are \
                 guesses. Source: istio/istio `pkg/kube/inject/watcher.go` and the \
                 istio-discovery chart's `configmap.yaml`."
            }
            Code::InvalidInjectorSelectors => {
                "`sidecarInjectorWebhook.neverInjectSelector` or `alwaysInjectSelector` in a \
                 control plane's `spec.values` is not a list of valid label selectors. meshrev \
                 ignores it, so per-pod decisions for that revision may be wrong. Source: \
                 istio/istio `manifests/charts/istio-control/istio-discovery/values.yaml` and \
                 `pkg/kube/inject/inject.go`."
            }
            Code::InvalidDiscoverySelectors => {
                "`meshConfig.discoverySelectors` (in `spec.values`, or the `mesh` key of the \
                 `istio[-<rev>]` config map) cannot be read as a list of label selectors. meshrev \
                 treats the revision as discovering every namespace. Source: istio/istio \
                 `pkg/kube/namespace/filter.go` and the MeshConfig API (`discoverySelectors`)."
            }
            Code::RevisionNameClash => {
                "Two control-plane objects claim the same revision name (e.g. a \
                 ServiceMeshControlPlane and a Sail Istio both named `basic`): they would share \
                 istiod, webhook and config map names. meshrev models only the first. Rename one. \
                 Source: istio-ecosystem/sail-operator `controllers/istio/istio_controller.go` \
                 (revision naming); maistra/istio-operator names istiod `istiod-<smcp name>`."
            }
            Code::TagTargetMismatch => {
                "An IstioRevisionTag targets one revision, but its webhook configuration \
                 `istio-revision-tag-<tag>` sends pods to another: the operator has not reconciled \
                 the tag, or the configuration was made by istioctl or helm. The API server \
                 follows the webhook configuration. Source: istio-ecosystem/sail-operator \
                 `controllers/istiorevisiontag/istiorevisiontag_controller.go`."
            }
            Code::WebhookWithoutTarget => {
                "An injection webhook names no revision (no `istio.io/rev` label on its \
                 configuration) and no service, only a URL, so meshrev cannot tell which control \
                 plane it sends pods to and leaves it out of every resolution. Source: istio/istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`."
            }
            Code::WebhookToUnknownRevision => {
                "An injection webhook sends pods to a revision that has no control plane in the \
                 snapshot (no istiod Deployment, no Sail or Maistra resource): a partial uninstall \
                 left the webhook configuration behind (with `failurePolicy: Fail`, pod creation \
                 in the namespaces it matches fails), or the snapshot misses the control plane. \
                 Delete the leftover configuration, or add the control plane to the snapshot. \
                 Source: istio/istio `pkg/config/analysis/analyzers/webhook/webhook.go` (its \
                 missing-service check)."
            }
        }
    }
}

impl fmt::Display for Code {
    /// `MR0001 both-injection-labels`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.slug())
    }
}

impl std::str::FromStr for Code {
    type Err = String;

    /// Accepts an id (`MR0001`, any case) or a slug (`both-injection-labels`).
    fn from_str(s: &str) -> Result<Self, String> {
        Code::ALL
            .into_iter()
            .find(|c| c.id().eq_ignore_ascii_case(s) || c.slug() == s)
            .ok_or_else(|| format!("unknown finding code {s:?}: expected MR0001..MR0024 or a slug"))
    }
}

impl Serialize for Code {
    /// The id, `"MR0001"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One thing the analyzer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of finding.
    pub code: Code,
    /// How bad (the code's severity).
    pub severity: Severity,
    /// The object it is about.
    pub object: ObjectRef,
    /// What is wrong, with the labels involved and what to do.
    pub message: String,
}

impl Finding {
    fn new(code: Code, object: ObjectRef, message: String) -> Self {
        Finding {
            code,
            severity: code.severity(),
            object,
            message,
        }
    }
}

impl Serialize for Finding {
    /// `{"code": "MR0001", "slug": "both-injection-labels", "severity": "warning",
    /// "object": {"kind", "namespace", "name"}, "message": "..."}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Finding", 5)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("slug", self.code.slug())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("object", &self.object)?;
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
    a.pod_records();
    a.discovery_selectors();
    a.tags();
    a.revisions(status);
    a.mesh_warnings();
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
    fn push(&mut self, code: Code, object: ObjectRef, message: String) {
        self.out.push(Finding::new(code, object, message));
    }

    /// The revision a name leads to (a revision, or a tag's target).
    fn leads_to(&self, name: &str) -> Option<&'a str> {
        self.mesh.resolve_name(name).map(|r| r.name.as_str())
    }

    /// What `istio-injection=enabled` leads to, in words.
    fn default_revision_words(&self) -> String {
        match (self.mesh.tag("default"), self.mesh.default_revision()) {
            (Some(_), Some(rev)) => format!("the `default` tag (-> revision {rev})"),
            (Some(_), None) => "the `default` tag, which leads to no revision".to_owned(),
            (None, Some(rev)) => format!("the default revision {rev}"),
            (None, None) => "the default revision, and there is none".to_owned(),
        }
    }

    // ------------------------------------------------------------ namespaces

    fn namespaces(&mut self) {
        for ns in self.s.namespaces() {
            let name = ns.name();
            let object = ns.meta.object_ref("Namespace");
            let labels = &ns.meta.labels;
            let injection = labels.get(labels::INJECTION);
            let rev = labels.get(labels::REV);
            let resolution = self.mesh.resolve_namespace(name);

            if let (Some(inj), Some(rev)) = (injection, rev) {
                self.both_labels(name, &object, inj, rev, &resolution);
            }
            if injection.is_none()
                && let Some(rev) = rev
                && let Some(why) = self
                    .dangling(rev, Some(&resolution))
                    .or_else(|| no_webhook_for(rev, &resolution))
            {
                self.push(
                    Code::DanglingRevisionLabel,
                    object.clone(),
                    format!(
                        "namespace label istio.io/rev={rev} {why}, so no injection webhook \
                         matches and new pods in {name} start without a sidecar (no error, no \
                         event). Point it at an existing revision or tag: `kubectl label \
                         namespace {name} istio.io/rev=<revision> --overwrite`{}",
                        self.known_names_hint()
                    ),
                );
            }
            if let Resolution::Conflict { .. } = &resolution {
                self.push(
                    Code::DoubleInjection,
                    object.clone(),
                    format!(
                        "{} a new pod in namespace {name} (with no labels of its own) {}",
                        conflict_words(&resolution),
                        self.conflict_fix(name, &resolution)
                    ),
                );
            }
            if labels::IGNORED_NAMESPACES.contains(&name)
                && (injection.is_some() || rev.is_some())
                && matches!(
                    resolution,
                    Resolution::Injected { .. } | Resolution::Conflict { .. }
                )
            {
                let label = injection
                    .map(|v| (labels::INJECTION, v))
                    .or(rev.map(|v| (labels::REV, v)));
                if let Some((k, v)) = label {
                    self.push(
                        Code::IgnoredNamespaceLabelled,
                        object.clone(),
                        format!(
                            "namespace {name} has {k}={v}, so the API server calls the injection \
                             webhook for every pod here, but istiod never injects {name} (one of \
                             {}): the label has no effect except a failure point. Remove it: \
                             `kubectl label namespace {name} {k}-`",
                            labels::IGNORED_NAMESPACES.join(", ")
                        ),
                    );
                }
            }
            self.maistra(name, &object, labels, &resolution);
        }
    }

    fn both_labels(
        &mut self,
        name: &str,
        object: &ObjectRef,
        inj: &str,
        rev: &str,
        resolution: &Resolution,
    ) {
        let effect = if inj == "enabled" {
            format!(
                "istio-injection=enabled sends pods only to {}",
                self.default_revision_words()
            )
        } else {
            format!(
                "istio-injection={inj} makes every webhook skip the namespace, so nobody injects"
            )
        };
        let sail_note = match self.mesh.resolve_name(rev) {
            Some(r) if r.family == Family::Sail && inj != "enabled" => format!(
                " (the Sail operator still counts istio.io/rev={rev} as a use of revision {}, so \
                 it is never pruned)",
                r.name
            ),
            _ => String::new(),
        };
        let keep_inj = if inj == "enabled" {
            "to keep the default revision"
        } else {
            "to keep the namespace uninjected"
        };
        self.push(
            Code::BothInjectionLabels,
            object.clone(),
            format!(
                "namespace {name} has both istio-injection={inj} and istio.io/rev={rev}; \
                 istio-injection wins and istio.io/rev={rev} is ignored{sail_note}: {effect} \
                 (now: {}). To inject with {rev}: `kubectl label namespace {name} \
                 istio-injection-`; {keep_inj}: `kubectl label namespace {name} istio.io/rev-`",
                outcome_words(resolution),
            ),
        );
    }

    /// Why an `istio.io/rev` value leads no webhook anywhere, or `None` when it is fine.
    /// `resolution` (namespace labels only) enables the Maistra check.
    fn dangling(&self, value: &str, resolution: Option<&Resolution>) -> Option<String> {
        if value.is_empty() {
            return Some("is empty".to_owned());
        }
        if let Some(r) = self.mesh.revision(value) {
            return match (r.family, resolution) {
                (Family::Maistra, Some(res)) if res.revision() != Some(value) => Some(format!(
                    "names the Maistra (OSSM 2) control plane {value}, whose webhook selects \
                     members by maistra.io/member-of and ignores istio.io/rev"
                )),
                _ => None,
            };
        }
        match self.mesh.tag(value) {
            Some(t) if self.leads_to(value).is_none() => Some(format!(
                "names tag {value} ({}), which leads to no revision{}",
                t.source,
                t.revision
                    .as_deref()
                    .map(|r| format!(" (its target {r} does not exist)"))
                    .unwrap_or_default()
            )),
            Some(_) => None,
            None if value == "default" => Some(
                "names `default`, but there is no revision named default and no `default` tag"
                    .to_owned(),
            ),
            None => Some("names no revision or tag".to_owned()),
        }
    }

    fn known_names_hint(&self) -> String {
        let names: BTreeSet<&str> = self
            .mesh
            .revisions()
            .filter(|r| r.family != Family::Maistra)
            .map(|r| r.name.as_str())
            .chain(self.mesh.tags().map(|t| t.name.as_str()))
            .collect();
        if names.is_empty() {
            " (the snapshot has no revision or tag that selects on istio.io/rev)".to_owned()
        } else {
            format!(
                " (revisions and tags: {})",
                names.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
    }

    fn conflict_fix(&self, namespace: &str, resolution: &Resolution) -> String {
        let Resolution::Conflict { candidates } = resolution else {
            return String::new();
        };
        let ns = self.s.namespace(namespace);
        let labels = ns.map(|n| &n.meta.labels);
        let ignored = labels.is_some_and(|l| l.contains_key(labels::MAISTRA_IGNORE_NAMESPACE));
        let others: BTreeSet<&str> = candidates
            .iter()
            .filter(|c| c.via != Via::Membership)
            .map(|c| c.revision.as_str())
            .collect();
        let maistra = candidates.iter().any(|c| c.via == Via::Membership);
        if maistra && !ignored && !others.is_empty() {
            return format!(
                "would be injected by each. The namespace is an OSSM 2 member: `kubectl label \
                 namespace {namespace} maistra.io/ignore-namespace=\"true\"` leaves it to {}",
                others.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        let named = candidates
            .iter()
            .any(|c| self.overlapping.contains(&c.webhook.configuration));
        if named {
            "would be injected by each, in configuration-name order. Remove the overlap (see \
             the webhook-overlap findings on the configurations named), then restart what was \
             created meanwhile"
                .to_owned()
        } else {
            "would be injected by each, in configuration-name order. Change the labels so one \
             webhook matches, or remove one of the webhook configurations named, then restart \
             what was created meanwhile"
                .to_owned()
        }
    }

    // ------------------------------------------------------------- maistra

    fn maistra(&mut self, name: &str, object: &ObjectRef, labels: &Labels, res: &Resolution) {
        let label = labels.get(labels::MAISTRA_MEMBER_OF).map(String::as_str);
        let roll = self.mesh.maistra_member_of(name);
        let ignored = labels.contains_key(labels::MAISTRA_IGNORE_NAMESPACE);

        // 13: label against roll.
        let roll_ns = roll.map(|r| r.namespace.as_str());
        // The operator labels a control plane's own namespace too (its network
        // policies select on the label), although it is never a member.
        let own_namespace = label == Some(name)
            && self
                .mesh
                .revisions()
                .any(|r| r.family == Family::Maistra && r.namespace == name);
        if label != roll_ns && !own_namespace {
            let msg = match (label, roll) {
                (Some(l), Some(r)) => Some(format!(
                    "namespace {name} is labelled maistra.io/member-of={l}, but by the member \
                     roll it belongs to ServiceMeshControlPlane {}/{}: the operator has not \
                     reconciled yet, and until it does the webhook of the control plane in {l} \
                     selects it. Check the Maistra operator, or fix the rolls",
                    r.namespace, r.name
                )),
                (Some(l), None) => {
                    let cp = self
                        .mesh
                        .revisions()
                        .find(|r| r.family == Family::Maistra && r.namespace == l);
                    let why = match cp {
                        None => format!("the snapshot has no ServiceMeshControlPlane in {l}"),
                        Some(r) => {
                            let has_roll = self.s.member_rolls().any(|m| {
                                m.meta.namespace.as_deref() == Some(l) && m.meta.name == "default"
                            });
                            if has_roll {
                                format!(
                                    "neither the member roll default in {l} nor a \
                                     ServiceMeshMember includes it for {}",
                                    r.name
                                )
                            } else {
                                format!(
                                    "the snapshot has no ServiceMeshMemberRoll default in {l} \
                                     and no ServiceMeshMember includes it for {}",
                                    r.name
                                )
                            }
                        }
                    };
                    Some(format!(
                        "namespace {name} is labelled maistra.io/member-of={l}, but {why}: the \
                         operator has not removed the label yet, and until it does the \
                         control plane in {l} still selects the namespace. Check the Maistra \
                         operator, or add the namespace to the roll if it should be a member"
                    ))
                }
                (None, Some(r)) => Some(format!(
                    "the member roll of ServiceMeshControlPlane {}/{} includes namespace {name}, \
                     but it has no maistra.io/member-of label: the operator has not reconciled \
                     yet, and once it adds maistra.io/member-of={} that control plane's webhook \
                     selects the namespace{}",
                    r.namespace,
                    r.name,
                    r.namespace,
                    if ignored {
                        " (maistra.io/ignore-namespace will keep it from injecting)"
                    } else {
                        ""
                    }
                )),
                // Excluded by `label != roll_ns`.
                (None, None) => None,
            };
            if let Some(msg) = msg {
                self.push(Code::MaistraMembershipStale, object.clone(), msg);
            }
        }

        // 9: a member asking for a Sail revision without the ignore label.
        if ignored || (label.is_none() && roll.is_none()) {
            return;
        }
        let maistra = roll.or_else(|| {
            self.mesh
                .revisions()
                .find(|r| r.family == Family::Maistra && Some(r.namespace.as_str()) == label)
        });
        let (asks, target) = match (labels.get(labels::INJECTION), labels.get(labels::REV)) {
            (Some(v), _) if v == "enabled" => (
                "istio-injection=enabled".to_owned(),
                self.mesh
                    .default_revision()
                    .and_then(|d| self.mesh.revision(d)),
            ),
            (Some(_), _) => return,
            (None, Some(rev)) => (format!("istio.io/rev={rev}"), self.mesh.resolve_name(rev)),
            (None, None) => return,
        };
        let Some(target) = target.filter(|t| t.family == Family::Sail) else {
            return;
        };
        let cp = maistra.map_or_else(
            || format!("the OSSM 2 control plane in {}", label.unwrap_or_default()),
            |m| format!("OSSM 2 control plane {} ({})", m.name, m.control_plane),
        );
        let by = if label.is_some() {
            format!(
                "labelled maistra.io/member-of={}",
                label.unwrap_or_default()
            )
        } else {
            "in its member roll".to_owned()
        };
        self.push(
            Code::MaistraMemberWithoutIgnore,
            object.clone(),
            format!(
                "namespace {name} is a member of {cp} ({by}) and has {asks}, which leads to OSSM 3 \
                 revision {} ({}), but no maistra.io/ignore-namespace label: both control planes \
                 want its pods (now: {}). The 2.6 -> 3.0 migration requires `kubectl label \
                 namespace {name} maistra.io/ignore-namespace=\"true\"`, then `kubectl rollout \
                 restart deployment -n {name}`",
                target.name,
                target.control_plane,
                outcome_words(res)
            ),
        );
    }

    // ------------------------------------------------------------ templates

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

    fn templates(&mut self) {
        let ns_conflicts: BTreeMap<String, BTreeSet<String>> = self
            .s
            .namespaces()
            .filter_map(|n| {
                let r = self.mesh.resolve_namespace(n.name());
                conflict_revisions(&r).map(|revs| (n.name().to_owned(), revs))
            })
            .collect();
        for sub in self.subjects() {
            let ns_labels = self
                .s
                .namespace(sub.namespace)
                .map(|n| &n.meta.labels)
                .cloned()
                .unwrap_or_default();
            let ns_rev = ns_labels.get(labels::REV);
            let ns_inj = ns_labels.get(labels::INJECTION);

            if let Some(revs) = conflict_revisions(&sub.resolution)
                && ns_conflicts.get(sub.namespace) != Some(&revs)
            {
                self.push(
                    Code::DoubleInjection,
                    sub.object.clone(),
                    format!(
                        "{} new pods of {} {}",
                        conflict_words(&sub.resolution),
                        sub.object,
                        self.conflict_fix(sub.namespace, &sub.resolution)
                    ),
                );
            }

            let Some(pod_rev) = sub.labels.get(labels::REV) else {
                continue;
            };
            if ns_rev.is_none() && ns_inj.is_none() {
                if let Some(why) = self.dangling(pod_rev, None) {
                    self.push(
                        Code::DanglingRevisionLabel,
                        sub.object.clone(),
                        format!(
                            "{} istio.io/rev={pod_rev} on {} {why}, so no injection webhook \
                             matches and its pods start without a sidecar. Set it to an \
                             existing revision or tag{}",
                            capitalize(sub.what),
                            sub.object,
                            self.known_names_hint()
                        ),
                    );
                }
                continue;
            }
            self.pod_rev_ignored(&sub, pod_rev, ns_rev, ns_inj);
        }
    }

    fn pod_rev_ignored(
        &mut self,
        sub: &Subject<'_>,
        pod_rev: &str,
        ns_rev: Option<&String>,
        ns_inj: Option<&String>,
    ) {
        let ns = sub.namespace;
        let pod_leads = self.leads_to(pod_rev);
        let (ns_label, differs) = match (ns_inj, ns_rev) {
            (Some(inj), _) if inj == "enabled" => (
                "istio-injection=enabled".to_owned(),
                pod_leads.is_none() || pod_leads != self.mesh.default_revision(),
            ),
            (Some(inj), _) => (format!("istio-injection={inj}"), true),
            (None, Some(rev)) => (
                format!("istio.io/rev={rev}"),
                pod_rev != rev && (pod_leads.is_none() || pod_leads != self.leads_to(rev)),
            ),
            (None, None) => return,
        };
        if !differs {
            return;
        }
        let dangling = self
            .dangling(pod_rev, None)
            .map(|why| format!(" (and it {why})"))
            .unwrap_or_default();
        let fix = match sub.object.kind.as_str() {
            "Pod" => format!(
                "remove it (`kubectl label pod {} -n {ns} istio.io/rev-`, effective for pods \
                 created later)",
                sub.object.name
            ),
            kind => format!(
                "remove it from the template (`kubectl patch {} {} -n {ns} --type=json -p \
                 '[{{\"op\":\"remove\",\"path\":\"/spec/template/metadata/labels/istio.io~1rev\"}}]'`)",
                kind.to_lowercase(),
                sub.object.name
            ),
        };
        self.push(
            Code::PodRevisionLabelIgnored,
            sub.object.clone(),
            format!(
                "{} istio.io/rev={pod_rev} on {} is ignored{dangling}: namespace {ns} has \
                 {ns_label}, which wins (the rev.object. webhooks require both namespace labels \
                 absent), so its pods get {}. Either {fix}, or move the whole namespace: \
                 `kubectl label namespace {ns}{} istio.io/rev={pod_rev} --overwrite`",
                capitalize(sub.what),
                sub.object,
                outcome_words(&sub.resolution),
                if ns_inj.is_some() {
                    " istio-injection-"
                } else {
                    ""
                },
            ),
        );
    }

    // -------------------------------------------------------------- webhooks

    /// istioctl's IST0139 overlap check on the webhooks alone.
    fn webhook_overlap(&mut self) {
        let hooks = self.mesh.webhooks();
        let mut revs: BTreeSet<&str> = BTreeSet::new();
        for w in hooks {
            revs.insert(&w.revision);
            if let Via::Tag(t) = &w.via {
                revs.insert(t);
            }
            for s in [&w.namespace_selector, &w.object_selector]
                .into_iter()
                .flatten()
            {
                revs.extend(selector_revisions(s));
            }
        }
        let bases = |key: &str, values: [&str; 2]| -> Vec<Labels> {
            let mut out = vec![Labels::new()];
            out.extend(
                values
                    .iter()
                    .map(|v| Labels::from([(key.to_owned(), (*v).to_owned())])),
            );
            let with_rev: Vec<Labels> = revs
                .iter()
                .flat_map(|r| {
                    out.iter().map(move |b| {
                        let mut l = b.clone();
                        l.insert(labels::REV.to_owned(), (*r).to_owned());
                        l
                    })
                })
                .collect();
            out.extend(with_rev);
            out
        };
        let ns_sets = bases(labels::INJECTION, ["enabled", "disabled"]);
        let obj_sets = bases(labels::SIDECAR_INJECT, ["true", "false"]);
        // (i, j) -> first witness
        let mut pairs: BTreeMap<(usize, usize), (&Labels, &Labels)> = BTreeMap::new();
        for nl in &ns_sets {
            let ns_match: Vec<usize> = (0..hooks.len())
                .filter(|&i| hooks[i].matches_namespace(nl))
                .collect();
            if ns_match.len() < 2 {
                continue;
            }
            for ol in &obj_sets {
                let m: Vec<usize> = ns_match
                    .iter()
                    .copied()
                    .filter(|&i| hooks[i].matches_object(ol))
                    .collect();
                for (a, &i) in m.iter().enumerate() {
                    for &j in &m[a + 1..] {
                        pairs.entry((i, j)).or_insert((nl, ol));
                    }
                }
            }
        }
        for ((i, j), (nl, ol)) in pairs {
            let (a, b) = (&hooks[i], &hooks[j]);
            let (a, b) = if (&a.configuration, &a.name) <= (&b.configuration, &b.name) {
                (a, b)
            } else {
                (b, a)
            };
            let synth = match (a.synthesized, b.synthesized) {
                (true, true) => " (both synthesized from their control planes' resources)",
                (true, false) => " (the first synthesized from its control plane's resources)",
                (false, true) => " (the second synthesized from its control plane's resources)",
                (false, false) => "",
            };
            self.overlapping.insert(a.configuration.clone());
            self.overlapping.insert(b.configuration.clone());
            let sends = if a.revision == b.revision {
                format!("both send to revision {}", a.revision)
            } else {
                format!("they send to revisions {} and {}", a.revision, b.revision)
            };
            let hint = self.overlap_hint(a, b);
            self.push(
                Code::WebhookOverlap,
                ObjectRef::new(
                    "MutatingWebhookConfiguration",
                    None,
                    a.configuration.clone(),
                ),
                format!(
                    "webhook {}/{} overlaps {}/{}{synth}: both match a namespace with {} and a \
                     pod with {}, and {sends}: a pod there is injected twice (IST0139). {hint}",
                    a.configuration,
                    a.name,
                    b.configuration,
                    b.name,
                    labels_words(nl),
                    labels_words(ol),
                ),
            );
        }
    }

    fn overlap_hint(&self, a: &crate::mesh::Webhook, b: &crate::mesh::Webhook) -> String {
        for w in [a, b] {
            if let Via::Tag(t) = &w.via
                && t != "default"
                && self.mesh.revision(t).is_some()
            {
                return format!(
                    "Tag {t} has the name of revision {t} (see tag-shadows-revision): delete or \
                     rename the tag (`kubectl delete mutatingwebhookconfiguration {}`, or \
                     `istioctl tag remove {t}`)",
                    w.configuration
                );
            }
        }
        let is_default = |w: &crate::mesh::Webhook| {
            w.via == Via::DefaultRevision || w.via == Via::Tag("default".to_owned())
        };
        let untagged_default = [a, b].into_iter().find(|w| {
            w.via == Via::DefaultRevision && !w.configuration.starts_with("istio-revision-tag-")
        });
        if is_default(a)
            && is_default(b)
            && let Some(old) = untagged_default
        {
            let target = self.mesh.default_revision().unwrap_or("<revision>");
            return format!(
                "Two default webhooks are active: deactivate the old one in {} with `istioctl tag \
                 set default --revision {target} --overwrite`, which points it at \
                 istio.io/deactivated=never-match",
                old.configuration
            );
        }
        "Delete or deactivate one of the two configurations".to_owned()
    }

    // --------------------------------------------------------------- restart

    fn needs_restart(&mut self, status: &Status) {
        for (ns, w) in status.needs_restart() {
            let object = ObjectRef::new(w.kind.clone(), Some(&ns.name), w.name.clone());
            let resolution = match WorkloadKind::from_kind(&w.kind) {
                Some(kind) => self
                    .s
                    .workload(&ns.name, kind, &w.name)
                    .map(|wl| self.mesh.resolve_workload(wl)),
                None => self
                    .s
                    .pod(&ns.name, &w.name)
                    .map(|p| self.mesh.resolve_pod(p)),
            };
            let running: Vec<&str> = w
                .running
                .iter()
                .map(String::as_str)
                .filter(|r| *r != "unknown")
                .collect();
            let running_words = if running.is_empty() {
                "no sidecar".to_owned()
            } else {
                format!("a sidecar of {}", running.join(", "))
            };
            let injector = w.injector.as_deref();
            let (injector_words, effect) = match (&resolution, injector) {
                (Some(r @ Resolution::Conflict { .. }), _) => (
                    outcome_words(r),
                    "a restart now would be injected twice: fix the double injection first"
                        .to_owned(),
                ),
                (_, Some(rev)) if running.is_empty() => (
                    format!("revision {rev}"),
                    format!("a restart adds a sidecar of {rev}"),
                ),
                (_, Some(rev)) => (
                    format!("revision {rev}"),
                    format!("a restart moves it to {rev}"),
                ),
                (_, None) => (
                    "nothing".to_owned(),
                    "a restart removes its sidecar: relabel the namespace first if that is not \
                     what you want"
                        .to_owned(),
                ),
            };
            let cmd = restart_command(&w.kind, &ns.name, &w.name);
            let bare = if w.kind == "Pod" {
                " (a bare pod is not recreated: apply it again)"
            } else {
                ""
            };
            self.push(
                Code::NeedsRestart,
                object.clone(),
                format!(
                    "{object} runs {running_words} ({} live pod{}), but a pod created now would \
                     be injected by {injector_words}: {effect}. `{cmd}`{bare}",
                    w.pods,
                    if w.pods == 1 { "" } else { "s" }
                ),
            );
        }
    }

    // --------------------------------------------------------- pod records

    fn pod_records(&mut self) {
        // (object, revision) -> pods, for running-revision-gone.
        let mut gone: BTreeMap<(ObjectRef, String), Vec<String>> = BTreeMap::new();
        for pod in self.s.pods() {
            let object = pod.meta.object_ref("Pod");
            let (running, malformed) = status::running_revision(pod);
            // `running_revision` stops at the `istio.io/rev` annotation and only
            // parses the status without one; a broken status is worth reporting anyway.
            let malformed = malformed.map(|m| m.message).or_else(|| {
                let text = pod.meta.annotations.get(labels::SIDECAR_STATUS)?;
                serde_json::from_str::<serde_json::Value>(text)
                    .err()
                    .map(|e| e.to_string())
            });
            let live = status::is_live(pod);
            if let Some(m) = &malformed {
                let then = match &running {
                    Running::Revision(r) => format!(
                        "its running revision {r} is read from the istio.io/rev annotation instead"
                    ),
                    _ => "with no istio.io/rev annotation either, its running revision is unknown"
                        .to_owned(),
                };
                self.push(
                    Code::MalformedSidecarStatus,
                    object.clone(),
                    format!(
                        "annotation sidecar.istio.io/status on {object} is not valid JSON ({}): \
                         {then}. {}",
                        m,
                        restart_hint(self.s, pod)
                    ),
                );
            } else if live && running == Running::Unknown {
                self.push(
                    Code::SidecarWithoutRecord,
                    object.clone(),
                    format!(
                        "{object} has an istio-proxy container but no istio.io/rev annotation and \
                         no sidecar.istio.io/status revision: nothing says which revision it \
                         belongs to (added by hand, or annotations stripped). {}",
                        restart_hint(self.s, pod)
                    ),
                );
            }
            if let Some((anno, st)) = record_disagreement(pod) {
                self.push(
                    Code::InjectionRecordDisagrees,
                    object.clone(),
                    format!(
                        "{object} has annotation istio.io/rev={anno} but its \
                         sidecar.istio.io/status says revision {st}: one of them was edited; \
                         meshrev and istioctl trust the annotation ({anno}). {}",
                        restart_hint(self.s, pod)
                    ),
                );
            }
            if live
                && let Running::Revision(r) = &running
                && self.mesh.revision(r).is_none()
            {
                let owner = self
                    .s
                    .owner_of(pod)
                    .map_or_else(|| object.clone(), |w| w.meta.object_ref(w.kind.as_str()));
                gone.entry((owner, r.clone()))
                    .or_default()
                    .push(pod.meta.name.clone());
            }
        }
        for ((object, rev), pods) in gone {
            let ns = object.namespace.clone().unwrap_or_default();
            let target = self
                .s
                .namespace(&ns)
                .map(|_| self.mesh.resolve_namespace(&ns))
                .and_then(|r| r.revision().map(str::to_owned));
            let next = match target {
                Some(t) => format!(
                    "A restart moves it to {t}, the injector of namespace {ns}: `{}`",
                    restart_command(&object.kind, &ns, &object.name)
                ),
                None => format!(
                    "Point namespace {ns} at an existing revision first (`kubectl label namespace \
                     {ns} istio.io/rev=<revision> --overwrite`), then `{}`",
                    restart_command(&object.kind, &ns, &object.name)
                ),
            };
            self.push(
                Code::RunningRevisionGone,
                object.clone(),
                format!(
                    "{object} runs a sidecar of revision {rev} ({} pod{}: {}), which has no \
                     control plane any more (no istiod-{rev}, no webhook configuration): its \
                     proxies get no configuration or certificate updates. {next}",
                    pods.len(),
                    if pods.len() == 1 { "" } else { "s" },
                    pods.join(", ")
                ),
            );
        }
    }

    // -------------------------------------------------- discovery selectors

    fn discovery_selectors(&mut self) {
        // (namespace, revision) -> what it injects there.
        let mut injected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for ns in self.s.namespaces() {
            if let Some(r) = self.mesh.resolve_namespace(ns.name()).revision() {
                injected
                    .entry((ns.name().to_owned(), r.to_owned()))
                    .or_default()
                    .push("the namespace".to_owned());
            }
        }
        for sub in self.subjects() {
            if let Some(r) = sub.resolution.revision() {
                injected
                    .entry((sub.namespace.to_owned(), r.to_owned()))
                    .or_default()
                    .push(format!("{} {}", sub.object.kind, sub.object.name));
            }
        }
        for ((ns, rev), what) in injected {
            let (Some(namespace), Some(revision)) =
                (self.s.namespace(&ns), self.mesh.revision(&rev))
            else {
                continue;
            };
            let labels = namespace.selector_labels();
            if revision.discovers(&labels) {
                continue;
            }
            let selectors: Vec<String> = revision
                .discovery_selectors
                .iter()
                .map(|s| format!("`{s}`"))
                .collect();
            self.push(
                Code::OutsideDiscoverySelectors,
                namespace.meta.object_ref("Namespace"),
                format!(
                    "revision {rev} injects namespace {ns} ({}), but its \
                     meshConfig.discoverySelectors ({}) do not select it: the proxies get a \
                     sidecar of {}, which does not watch {ns}, so its services and \
                     configuration are missing there. {}",
                    what.join(", "),
                    selectors.join(" or "),
                    revision.istiod,
                    discovery_fix(&ns, revision)
                ),
            );
        }
    }

    // ------------------------------------------------------------------ tags

    fn tags(&mut self) {
        for t in self.mesh.tags() {
            if t.name == "default" {
                continue;
            }
            let Some(rev) = self.mesh.revision(&t.name) else {
                continue;
            };
            let target = t.revision.as_deref().unwrap_or("nothing");
            let remove = if t.source.kind == "IstioRevisionTag" {
                format!("`kubectl delete istiorevisiontag {}`", t.name)
            } else {
                format!(
                    "`istioctl tag remove {}` (or `kubectl delete mutatingwebhookconfiguration \
                     {}`)",
                    t.name, t.source.name
                )
            };
            self.push(
                Code::TagShadowsRevision,
                t.source.clone(),
                format!(
                    "tag {} ({} -> {target}) has the name of revision {} ({}): \
                     istio.io/rev={} matches the webhooks of both, so such namespaces and pods \
                     are injected twice. istioctl refuses such a tag; rename it: create the tag \
                     under another name, move its namespaces, then {remove}",
                    t.name, t.source, rev.name, rev.control_plane, t.name
                ),
            );
        }
    }

    // ------------------------------------------------------------- revisions

    fn revisions(&mut self, status: &Status) {
        for r in self.mesh.revisions() {
            if let Policy::Other(v) = &r.injector.policy {
                let object =
                    config_map_ref(&r.injector.source).unwrap_or_else(|| r.control_plane.clone());
                self.push(
                    Code::IllegalInjectorPolicy,
                    object,
                    format!(
                        "revision {}'s injector policy is {v:?} (from {}): only `enabled` and \
                         `disabled` are legal (case-sensitive), so istiod-{} injects nothing, \
                         not even pods labelled sidecar.istio.io/inject=true, although its \
                         webhook receives them. Set policy (helm value global.proxy.autoInject) \
                         to enabled or disabled",
                        r.name, r.injector.source, r.name
                    ),
                );
            }
        }
        for rs in status.revisions.iter().filter(|r| r.prunable) {
            let Some(r) = self.mesh.revision(&rs.name) else {
                continue;
            };
            self.push(
                Code::RevisionPrunable,
                r.control_plane.clone(),
                format!(
                    "revision {} ({}) is used by nothing: no tag leads to it, no namespace or \
                     live pod references it, and it injects no namespace. It is safe to remove: \
                     {}",
                    r.name,
                    r.control_plane,
                    removal(r)
                ),
            );
        }
    }

    // ---------------------------------------------------------- mesh warnings

    fn mesh_warnings(&mut self) {
        for w in self.mesh.warnings() {
            let code = classify(w);
            self.push(code, w.object.clone(), w.message.clone());
        }
    }
}

/// Which code a discovery warning is.
fn classify(w: &MeshWarning) -> Code {
    match w.kind {
        WarningKind::UnreadableInjectorConfig => Code::UnreadableInjectorConfig,
        WarningKind::InvalidInjectorSelectors => Code::InvalidInjectorSelectors,
        WarningKind::InvalidDiscoverySelectors => Code::InvalidDiscoverySelectors,
        WarningKind::RevisionNameClash => Code::RevisionNameClash,
        WarningKind::TagTargetMismatch => Code::TagTargetMismatch,
        WarningKind::WebhookWithoutTarget => Code::WebhookWithoutTarget,
        WarningKind::WebhookToUnknownRevision => Code::WebhookToUnknownRevision,
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

/// For a namespace whose `istio.io/rev` names a known revision or tag: why no
/// webhook matched it anyway (the snapshot holds no webhook selecting the value).
fn no_webhook_for(value: &str, resolution: &Resolution) -> Option<String> {
    match resolution {
        Resolution::NotInjected {
            reason: NotInjected::NoWebhook { .. },
            ..
        } => Some(format!(
            "names {value}, but no webhook configuration in the snapshot selects \
             istio.io/rev={value} (its own `istio-sidecar-injector-{value}` is missing or \
             deactivated)"
        )),
        _ => None,
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

/// `webhooks of revisions a (via ...) and b (via ...) all match:`.
fn conflict_words(r: &Resolution) -> String {
    let Resolution::Conflict { candidates } = r else {
        return String::new();
    };
    let parts: Vec<String> = candidates
        .iter()
        .map(|c| {
            format!(
                "{} via {} ({} of {})",
                c.revision, c.via, c.webhook.name, c.webhook.configuration
            )
        })
        .collect();
    format!(
        "webhooks of several revisions match (double injection, IST0139): {};",
        parts.join(", ")
    )
}

/// A resolution in a few words: `revision X`, `no sidecar`, `several revisions (a, b)`.
fn outcome_words(r: &Resolution) -> String {
    match r {
        Resolution::Injected { revision, .. } => format!("revision {revision}"),
        Resolution::NotInjected { .. } => "no sidecar".to_owned(),
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

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `istio.io/rev` values a selector mentions.
fn selector_revisions(s: &LabelSelector) -> Vec<&str> {
    let mut out: Vec<&str> = s
        .match_labels
        .get(labels::REV)
        .map(String::as_str)
        .into_iter()
        .collect();
    for r in &s.match_expressions {
        if r.key == labels::REV && matches!(r.operator, Operator::In | Operator::NotIn) {
            out.extend(r.values.iter().map(String::as_str));
        }
    }
    out
}

/// `istio-injection=enabled, istio.io/rev=x` or `no labels`.
fn labels_words(l: &Labels) -> String {
    if l.is_empty() {
        "no labels".to_owned()
    } else {
        l.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn restart_command(kind: &str, ns: &str, name: &str) -> String {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            format!(
                "kubectl rollout restart {}/{name} -n {ns}",
                kind.to_lowercase()
            )
        }
        "Pod" => format!("kubectl delete pod {name} -n {ns}"),
        _ => format!("kubectl delete pods -n {ns} -l <the selector of {kind} {name}>"),
    }
}

fn restart_hint(s: &Snapshot, pod: &Pod) -> String {
    let ns = pod.namespace();
    match s.owner_of(pod) {
        Some(w) => format!(
            "A restart writes a fresh record: `{}`",
            restart_command(w.kind.as_str(), ns, &w.meta.name)
        ),
        None => format!(
            "Recreating the pod writes a fresh record: `{}`",
            restart_command("Pod", ns, &pod.meta.name)
        ),
    }
}

/// `(annotation, status revision)` when both are present and differ.
fn record_disagreement(pod: &Pod) -> Option<(String, String)> {
    let anno = pod
        .meta
        .annotations
        .get(labels::REV)
        .filter(|r| !r.is_empty())?;
    let status = pod.meta.annotations.get(labels::SIDECAR_STATUS)?;
    let v: serde_json::Value = serde_json::from_str(status).ok()?;
    let st = v
        .get("revision")
        .and_then(serde_json::Value::as_str)
        .filter(|r| !r.is_empty())?;
    (st != anno).then(|| (anno.clone(), st.to_owned()))
}

/// `ConfigMap ns/name` (an injector config source) as an object.
fn config_map_ref(source: &str) -> Option<ObjectRef> {
    let rest = source.strip_prefix("ConfigMap ")?;
    let (ns, name) = rest.split_once('/')?;
    Some(ObjectRef::new("ConfigMap", Some(ns), name))
}

fn discovery_fix(ns: &str, r: &Revision) -> String {
    let label = r.discovery_selectors.iter().find_map(|s| {
        s.match_labels
            .iter()
            .next()
            .map(|(k, v)| format!("{k}={v}"))
            .or_else(|| {
                s.match_expressions.iter().find_map(|e| match e.operator {
                    Operator::In => e.values.first().map(|v| format!("{}={v}", e.key)),
                    Operator::Exists => Some(format!("{}=true", e.key)),
                    _ => None,
                })
            })
    });
    match label {
        Some(l) => format!(
            "Label the namespace so a selector matches (`kubectl label namespace {ns} {l}`), or \
             widen the selectors of {}",
            r.control_plane
        ),
        None => format!(
            "Label the namespace so one of the selectors matches, or widen the selectors of {}",
            r.control_plane
        ),
    }
}

fn removal(r: &Revision) -> String {
    let ns = &r.namespace;
    match (r.family, r.control_plane.kind.as_str()) {
        (Family::Sail, "IstioRevision") => format!(
            "the Sail operator deletes an inactive revision itself after its grace period; \
             otherwise `kubectl delete istiorevision {}`",
            r.name
        ),
        (Family::Sail, _) => format!("`kubectl delete istio {}`", r.control_plane.name),
        (Family::Maistra, _) => format!(
            "`kubectl delete smcp {} -n {ns}` (then its ServiceMeshMemberRoll)",
            r.name
        ),
        (Family::Istio, _) => format!(
            "`istioctl uninstall --revision {}` (or `helm uninstall` of its istiod release in \
             {ns})",
            r.name
        ),
    }
}
