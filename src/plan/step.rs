//! One step of a plan: one idempotent action on one object, why it exists, and
//! what must hold before and after it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::check::Check;
use crate::labels::Labels;
use crate::snapshot::ObjectRef;
use crate::snapshot::{TagTargetKind, WorkloadId};

/// A step's number: 1-based, unique in its plan, in execution order. Executors
/// journal progress by it and `--fail-at K` names it.
pub type StepId = usize;

/// One step of a [`Plan`](super::Plan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based position in the whole plan.
    pub id: StepId,
    /// What to do.
    pub action: StepAction,
    /// Why the step exists, in one sentence (rendered as a comment).
    pub reason: String,
    /// What must hold before the step runs. An executor that finds one false stops
    /// instead of acting on a cluster that is not what was planned for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconditions: Vec<Check>,
    /// What holds once the step has done its work (for a restart: once the rollout
    /// finished). Executors verify these against what they observe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postconditions: Vec<Check>,
}

/// The action of a step. Cluster changes map one-to-one onto the snapshot's
/// `Edit`s, so the planner's simulation and an executor's simulated cluster share
/// one model of what Kubernetes does; `Verify` and `AwaitGone` only observe.
///
/// Every action is idempotent: performing it twice leaves the cluster as
/// performing it once does (a second restart rolls the pods again, onto the same
/// revision).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum StepAction {
    /// `kubectl label namespace NS k=v ... k- --overwrite=true`: set (overwriting)
    /// then remove labels. Only injection keys (`istio-injection`, `istio.io/rev`,
    /// `maistra.io/ignore-namespace`) and a label the target's `discoverySelectors`
    /// need are ever touched; every other label is kept.
    LabelNamespace {
        /// The namespace.
        namespace: String,
        /// Labels to set.
        #[serde(default, skip_serializing_if = "Labels::is_empty")]
        set: Labels,
        /// Label keys to remove.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        remove: BTreeSet<String>,
    },
    /// Patch a workload's pod-template labels (`spec.template.metadata.labels`),
    /// when a template-level `istio.io/rev` or `sidecar.istio.io/inject` pins it to
    /// the old revision. Triggers a rollout by itself.
    LabelTemplate {
        /// The workload.
        workload: WorkloadId,
        /// Labels to set.
        #[serde(default, skip_serializing_if = "Labels::is_empty")]
        set: Labels,
        /// Label keys to remove.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        remove: BTreeSet<String>,
    },
    /// Replace the workload's pods and wait for the rollout: the new pods get the
    /// sidecar of the revision that resolves for the template at that moment.
    /// How depends on the kind ([`WorkloadKind::restart`](crate::snapshot::WorkloadKind::restart)):
    /// a Deployment, StatefulSet or DaemonSet by `kubectl rollout restart` (the
    /// `kubectl.kubernetes.io/restartedAt` template annotation) and `kubectl
    /// rollout status`; an OpenShift DeploymentConfig by `oc rollout latest
    /// dc/NAME` (a `DeploymentRequest` posted to its `instantiate` subresource)
    /// and `oc rollout status dc/NAME`. The planner never restarts a Job or
    /// CronJob (its pods run to completion), nor a ReplicaSet or
    /// ReplicationController with nothing above it, nor a bare pod: those are
    /// reported in the plan's scope and notes
    /// ([`WorkloadDisposition`](super::WorkloadDisposition)).
    Restart {
        /// The workload (Deployment, StatefulSet, DaemonSet or DeploymentConfig).
        workload: WorkloadId,
    },
    /// Upstream tag move, `istioctl tag set TAG --revision REV --overwrite`: the
    /// tag's MutatingWebhookConfiguration `istio-revision-tag-TAG` gets
    /// `istio.io/rev=REV` and its webhooks call `istiod-REV`.
    MoveTag {
        /// The tag.
        tag: String,
        /// The revision it will lead to.
        revision: String,
    },
    /// Sail tag move: `IstioRevisionTag.spec.targetRef` (created when absent, e.g.
    /// the `default` tag of the OSSM default-tag variant).
    RetargetSailTag {
        /// The IstioRevisionTag name.
        tag: String,
        /// `spec.targetRef.kind`.
        kind: TagTargetKind,
        /// `spec.targetRef.name`.
        name: String,
    },
    /// Sail InPlace upgrade: patch `Istio.spec.version`.
    SetIstioVersion {
        /// The Istio name.
        istio: String,
        /// The new `spec.version`, e.g. `v1.25.1`.
        version: String,
    },
    /// Delete an object and what it owns (for a SMCP: its istiod, webhook
    /// configuration and config maps; its SMMR and SMMs are separate steps).
    Delete {
        /// The object.
        object: ObjectRef,
    },
    /// Wait until an object the operator prunes by itself is gone (a Sail
    /// `IstioRevision` no longer in use, after its grace period); nothing is sent.
    AwaitGone {
        /// The object.
        object: ObjectRef,
    },
    /// Observe a namespace and check the step's postconditions: the expected
    /// injector, and every moved workload's pods on the target revision.
    Verify {
        /// The namespace.
        namespace: String,
    },
}

impl StepAction {
    /// The namespace the action is confined to, if any (`None` for cluster-wide
    /// changes: a tag, an Istio version, a control-plane delete).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            StepAction::LabelNamespace { namespace, .. } | StepAction::Verify { namespace } => {
                Some(namespace)
            }
            StepAction::LabelTemplate { workload, .. } | StepAction::Restart { workload } => {
                Some(&workload.namespace)
            }
            StepAction::MoveTag { .. }
            | StepAction::RetargetSailTag { .. }
            | StepAction::SetIstioVersion { .. }
            | StepAction::Delete { .. }
            | StepAction::AwaitGone { .. } => None,
        }
    }

    /// The object the action is performed on.
    pub fn object(&self) -> ObjectRef {
        match self {
            StepAction::LabelNamespace { namespace, .. } | StepAction::Verify { namespace } => {
                ObjectRef::new("Namespace", None, namespace.clone())
            }
            StepAction::LabelTemplate { workload, .. } | StepAction::Restart { workload } => {
                ObjectRef::new(
                    workload.kind.as_str(),
                    Some(&workload.namespace),
                    workload.name.clone(),
                )
            }
            StepAction::MoveTag { tag, .. } => ObjectRef::new(
                "MutatingWebhookConfiguration",
                None,
                format!("istio-revision-tag-{tag}"),
            ),
            StepAction::RetargetSailTag { tag, .. } => {
                ObjectRef::new("IstioRevisionTag", None, tag.clone())
            }
            StepAction::SetIstioVersion { istio, .. } => {
                ObjectRef::new("Istio", None, istio.clone())
            }
            StepAction::Delete { object } | StepAction::AwaitGone { object } => object.clone(),
        }
    }

    /// Whether the action changes the cluster (`Verify` and `AwaitGone` only observe).
    pub fn is_change(&self) -> bool {
        !matches!(
            self,
            StepAction::Verify { .. } | StepAction::AwaitGone { .. }
        )
    }

    /// The action's kind as a short word (`label_namespace`, `restart`, ...), the
    /// same as its serde tag.
    pub fn kind(&self) -> &'static str {
        match self {
            StepAction::LabelNamespace { .. } => "label_namespace",
            StepAction::LabelTemplate { .. } => "label_template",
            StepAction::Restart { .. } => "restart",
            StepAction::MoveTag { .. } => "move_tag",
            StepAction::RetargetSailTag { .. } => "retarget_sail_tag",
            StepAction::SetIstioVersion { .. } => "set_istio_version",
            StepAction::Delete { .. } => "delete",
            StepAction::AwaitGone { .. } => "await_gone",
            StepAction::Verify { .. } => "verify",
        }
    }
}

impl std::fmt::Display for StepAction {
    /// A short human form: `label namespace mercury: istio.io/rev=ossm3, istio-injection-`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn changes(set: &Labels, remove: &BTreeSet<String>) -> String {
            set.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(remove.iter().map(|k| format!("{k}-")))
                .collect::<Vec<_>>()
                .join(" ")
        }
        match self {
            StepAction::LabelNamespace {
                namespace,
                set,
                remove,
            } => write!(f, "label namespace {namespace}: {}", changes(set, remove)),
            StepAction::LabelTemplate {
                workload,
                set,
                remove,
            } => write!(
                f,
                "label the pod template of {workload}: {}",
                changes(set, remove)
            ),
            StepAction::Restart { workload } => write!(f, "restart {workload}"),
            StepAction::MoveTag { tag, revision } => write!(f, "move tag {tag} to {revision}"),
            StepAction::RetargetSailTag { tag, kind, name } => {
                write!(f, "point IstioRevisionTag {tag} at {kind:?} {name}")
            }
            StepAction::SetIstioVersion { istio, version } => {
                write!(f, "set Istio {istio} spec.version to {version}")
            }
            StepAction::Delete { object } => write!(f, "delete {object}"),
            StepAction::AwaitGone { object } => write!(f, "wait until {object} is gone"),
            StepAction::Verify { namespace } => write!(f, "verify namespace {namespace}"),
        }
    }
}
