//! The finding codes: stable ids and slugs, their severity, and the teaching
//! behind each ([`Code::explain`]).

use std::fmt;

use serde::{Serialize, Serializer};

use super::Severity;

/// The kind of a finding. Ids and slugs are stable: a code is never renumbered
/// or reused for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
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
    /// MR0025 `workload-missing`.
    WorkloadMissing,
    /// MR0026 `incomplete-snapshot`.
    IncompleteSnapshot,
    /// MR0027 `empty-snapshot`.
    EmptySnapshot,
    /// MR0028 `pods-rejected`.
    PodsRejected,
    /// MR0029 `tag-target-not-found`.
    TagTargetNotFound,
    /// MR0030 `proxy-version-skew`.
    ProxyVersionSkew,
}

impl Code {
    /// Every code, in id order.
    pub const ALL: [Code; 30] = [
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
        Code::WorkloadMissing,
        Code::IncompleteSnapshot,
        Code::EmptySnapshot,
        Code::PodsRejected,
        Code::TagTargetNotFound,
        Code::ProxyVersionSkew,
    ];

    /// The stable id, `MR0001` to `MR0030`.
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
            Code::WorkloadMissing => "MR0025",
            Code::IncompleteSnapshot => "MR0026",
            Code::EmptySnapshot => "MR0027",
            Code::PodsRejected => "MR0028",
            Code::TagTargetNotFound => "MR0029",
            Code::ProxyVersionSkew => "MR0030",
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
            Code::WorkloadMissing => "workload-missing",
            Code::IncompleteSnapshot => "incomplete-snapshot",
            Code::EmptySnapshot => "empty-snapshot",
            Code::PodsRejected => "pods-rejected",
            Code::TagTargetNotFound => "tag-target-not-found",
            Code::ProxyVersionSkew => "proxy-version-skew",
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
            | Code::WebhookToUnknownRevision
            | Code::EmptySnapshot
            | Code::PodsRejected
            | Code::TagTargetNotFound => Severity::Error,
            Code::RevisionPrunable => Severity::Info,
            Code::BothInjectionLabels
            | Code::WebhookOverlap
            | Code::NeedsRestart
            | Code::ProxyVersionSkew
            | Code::PodRevisionLabelIgnored
            | Code::MaistraMembershipStale
            | Code::MalformedSidecarStatus
            | Code::SidecarWithoutRecord
            | Code::InjectionRecordDisagrees
            | Code::IgnoredNamespaceLabelled
            | Code::InvalidInjectorSelectors
            | Code::InvalidDiscoverySelectors
            | Code::TagTargetMismatch
            | Code::WebhookWithoutTarget
            | Code::WorkloadMissing
            | Code::IncompleteSnapshot => Severity::Warning,
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
            Code::WorkloadMissing => {
                "pods name a controller that is not in the snapshot: judged from the pods alone"
            }
            Code::IncompleteSnapshot => {
                "the snapshot lacks kinds the answer depends on: no finding is not a clean bill"
            }
            Code::EmptySnapshot => {
                "the snapshot holds no object meshrev reads: nothing was answered"
            }
            Code::PodsRejected => {
                "a matching webhook calls a service no istiod serves: new pods are refused"
            }
            Code::TagTargetNotFound => {
                "IstioRevisionTag targets a revision or Istio that does not exist: nothing installed"
            }
            Code::ProxyVersionSkew => {
                "pods run a proxy more than one minor version older than their revision's control plane"
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
            Code::WorkloadMissing => {
                "A pod's `ownerReferences` name its controller (a StatefulSet, a Deployment \
                 through its ReplicaSet, a DeploymentConfig through its ReplicationController, a \
                 CronJob through its Job), but the snapshot does not hold that object: it was not \
                 collected. The pod is not a bare pod, and deleting it is not the way to move \
                 it: its controller recreates it from a template meshrev cannot see, so what a \
                 restart gets is judged from the pods' labels. Add the kind to the `kubectl \
                 get` (the collection command in the README lists every kind meshrev reads). \
                 Source: Kubernetes garbage-collection owner references (`controller: true`)."
            }
            Code::IncompleteSnapshot => {
                "The answer rests on objects the snapshot does not hold: pods or workloads in \
                 namespaces that are not in it (their labels decide injection, and meshrev \
                 then reads them as unlabelled), no control plane of any family and no injection \
                 webhook configuration (every namespace then reads as not injected), or a \
                 Maistra control plane without a member roll (membership unknown). The finding \
                 names the missing kinds and what to add to the `kubectl get`. Source: the \
                 objects resolution reads (webhook selectors see namespace labels; Maistra \
                 `IsMember` reads the member roll, maistra/istio-operator \
                 `servicemeshmemberroll_types.go`)."
            }
            Code::EmptySnapshot => {
                "Not one object of a kind meshrev reads: an empty file, a `kubectl get` of the \
                 wrong kinds or namespace, or output redirected from a command that failed. Zero \
                 other findings then mean nothing. The finding lists the kinds that were read and \
                 skipped, if any. Source: meshrev's snapshot reader (`Snapshot::skipped`)."
            }
            Code::PodsRejected => {
                "The API server calls every injection webhook whose selectors match a new pod. \
                 The istio charts render them with `failurePolicy: Fail` and \
                 `clientConfig.service: istiod-<revision>` (istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`, \
                 `revision-tags-mwc.yaml`). When that istiod is gone (a tag left pointing at an \
                 uninstalled revision, a configuration left behind by `helm uninstall`), the call \
                 fails and the API server rejects the pod: a restart or a scale-up of any \
                 workload there leaves it without new pods. The webhook's \
                 `clientConfig.service`, not its configuration's `istio.io/rev` label, is what \
                 the API server calls. Fix: point the tag at an installed revision (`istioctl \
                 tag set <tag> --revision <revision> --overwrite`), or remove the configuration \
                 (`istioctl tag remove <tag>`, `kubectl delete mutatingwebhookconfiguration \
                 <name>`). Source: istio/istio \
                 `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`; \
                 Kubernetes `admissionregistration.k8s.io/v1` `failurePolicy`."
            }
            Code::TagTargetNotFound => {
                "An `IstioRevisionTag` whose `spec.targetRef` names an `IstioRevision` or \
                 `Istio` that does not exist is refused by the Sail operator: it sets the \
                 tag's condition to ReferenceNotFound and renders no webhook configuration, so \
                 namespaces and pods labelled `istio.io/rev=<tag>` get no sidecar (no error, \
                 no event on the pods). Fix: point `spec.targetRef` at an existing revision \
                 or Istio, or relabel the namespaces. Source: istio-ecosystem/sail-operator \
                 `controllers/istiorevisiontag/istiorevisiontag_controller.go` (`validate`)."
            }
            Code::ProxyVersionSkew => {
                "A pod keeps the proxy it was injected with until it is recreated. After an \
                 InPlace `spec.version` change (Sail) or an in-place upgrade of a revision, the \
                 revision keeps its name and its webhook now injects the new proxy, but running \
                 pods still run the old one (meshrev reads the `istio-proxy` image tag). Upgrades \
                 go one minor version per step and workloads are restarted after each step; a \
                 proxy more than one minor version behind its control plane missed a whole step \
                 and runs against an istiod that was not tested with it. Restart the workload \
                 (`kubectl rollout restart`). Source: istio-ecosystem/sail-operator \
                 `docs/update-strategy/update-strategy.adoc` (InPlace: restart the pods to get \
                 the new sidecar version)."
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
            .ok_or_else(|| format!("unknown finding code {s:?}: expected MR0001..MR0027 or a slug"))
    }
}

impl Serialize for Code {
    /// The id, `"MR0001"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
