//! Why the planner refuses: a target it cannot reach, a path upstream does not
//! support, or a plan whose simulation would break the mesh. Each message names
//! the object and says what to do about it.

use serde::{Deserialize, Serialize};

use super::step::StepId;
use super::strategy::Strategy;
use crate::snapshot::ObjectRef;
use crate::snapshot::WorkloadId;

/// A refusal to plan (or to roll back). Its own type, not the snapshot-reading
/// [`Error`](crate::Error): nothing here is wrong with the input file, the cluster
/// is just not in a state the requested migration can start from safely.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// `--to` names neither a revision nor a tag.
    #[error(
        "target {name:?} is neither a revision nor a tag in this snapshot (revisions: {}; tags: {}); pass one of them to --to",
        list(revisions),
        list(tags)
    )]
    UnknownTarget {
        /// What was asked for.
        name: String,
        /// Revisions that exist.
        revisions: Vec<String>,
        /// Tags that exist.
        tags: Vec<String>,
    },
    /// `--to` names a tag that leads to no installed revision.
    #[error(
        "target tag {tag:?} ({defined_by}) leads to no installed revision; point it at an installed revision first, or pass a revision to --to"
    )]
    TagResolvesNowhere {
        /// The tag.
        tag: String,
        /// The object defining it.
        defined_by: ObjectRef,
    },
    /// `--from` names no revision.
    #[error(
        "source revision {name:?} does not exist (revisions: {}); fix --from",
        list(revisions)
    )]
    UnknownSource {
        /// What was asked for.
        name: String,
        /// Revisions that exist.
        revisions: Vec<String>,
    },
    /// `--namespaces` or `--canary` names a namespace the snapshot lacks.
    #[error(
        "namespace {namespace:?} is not in the snapshot; check the name, or add it to the kubectl get that made the snapshot"
    )]
    UnknownNamespace {
        /// The namespace.
        namespace: String,
    },
    /// `--canary` names a namespace the plan does not move.
    #[error(
        "canary namespace {namespace:?} is not among the namespaces this plan moves ({}); pick one of them",
        list(in_scope)
    )]
    CanaryNotInScope {
        /// The namespace.
        namespace: String,
        /// The namespaces the plan moves.
        in_scope: Vec<String>,
    },
    /// `--batch 0`.
    #[error("batch size 0: pass --batch 1 or more")]
    ZeroBatch,
    /// The strategy (chosen or forced) does not fit the mesh and target.
    #[error("strategy {strategy} does not apply: {why}")]
    StrategyNotApplicable {
        /// The strategy.
        strategy: Strategy,
        /// Why, naming the objects, and what to do instead.
        why: String,
    },
    /// More minor versions between source and target than the path allows.
    #[error(
        "{from} ({from_version}) -> {to} ({to_version}) skips {minors} minor versions; {strategy} allows at most {allowed}: upgrade through the versions in between first"
    )]
    VersionSkew {
        /// The source revision.
        from: String,
        /// Its version.
        from_version: String,
        /// The target revision (or Istio, for InPlace).
        to: String,
        /// Its version.
        to_version: String,
        /// Minor versions between them.
        minors: u64,
        /// What the path allows.
        allowed: u64,
        /// The strategy.
        strategy: Strategy,
    },
    /// InPlace needs the version to move to.
    #[error(
        "strategy in-place patches Istio {istio}'s spec.version: pass the version to move to (--version vX.Y.Z)"
    )]
    MissingVersion {
        /// The Istio.
        istio: String,
    },
    /// The OSSM 2 control plane is older than 2.6.
    #[error(
        "{smcp} is at {version}; the OSSM 3 migration starts from the latest 2.6: upgrade the SMCP to v2.6 first"
    )]
    SmcpTooOld {
        /// The SMCP.
        smcp: ObjectRef,
        /// Its `spec.version`.
        version: String,
    },
    /// The OSSM 2 control plane still manages what 3.0 does not take over.
    #[error(
        "{smcp} still has {} enabled; the OSSM 3 migration requires them disabled in the SMCP first (spec.gateways, spec.addons, spec.tracing, spec.security.manageNetworkPolicy)",
        features.join(", ")
    )]
    SmcpFeaturesEnabled {
        /// The SMCP.
        smcp: ObjectRef,
        /// The features, e.g. `gateways`, `addons.kiali`.
        features: Vec<String>,
    },
    /// A gateway Deployment managed by the SMCP.
    #[error(
        "{workload} is a gateway managed by {smcp}; the OSSM 3 migration requires SMCP-managed gateways disabled first (spec.gateways.enabled: false) and re-created as injected gateway Deployments"
    )]
    SmcpManagedGateway {
        /// The SMCP.
        smcp: ObjectRef,
        /// The gateway.
        workload: WorkloadId,
    },
    /// The 3.0 `Istio` is not in the SMCP's namespace.
    #[error(
        "Istio {istio} runs its control plane in {namespace}, but {smcp} is in {smcp_namespace}; the migration guide requires the 3.0 Istio in the SMCP's namespace (set spec.namespace: {smcp_namespace})"
    )]
    IstioNamespaceMismatch {
        /// The Istio.
        istio: String,
        /// Its `spec.namespace`.
        namespace: String,
        /// The SMCP.
        smcp: ObjectRef,
        /// The SMCP's namespace.
        smcp_namespace: String,
    },
    /// The target's `discoverySelectors` do not cover a namespace to migrate.
    #[error(
        "revision {revision}'s discoverySelectors ({selectors}) do not select namespace {namespace}: its istiod would not configure the sidecars it injects there; widen the selectors or label the namespace to match"
    )]
    NotDiscovered {
        /// The namespace.
        namespace: String,
        /// The target revision.
        revision: String,
        /// Its selectors, in `kubectl -l` syntax.
        selectors: String,
    },
    /// The chosen variant forbids an `Istio` named `default`.
    #[error(
        "Istio {istio} is named default, which strategy {strategy} does not allow (its revision would answer istio-injection=enabled next to the 2.6 control plane); use ossm-simple, or rename the Istio"
    )]
    DefaultIstioForbidden {
        /// The Istio.
        istio: String,
        /// The strategy.
        strategy: Strategy,
    },
    /// A workload in a namespace being moved would not follow it.
    #[error(
        "{workload}: once its namespace moves, a new pod would get {} instead of {target}; check its pod-template labels (istio.io/rev, sidecar.istio.io/inject) and fix them or leave its namespace out (--namespaces)",
        injector.as_deref().unwrap_or("no sidecar")
    )]
    Stranded {
        /// The workload.
        workload: WorkloadId,
        /// What it would get.
        injector: Option<String>,
        /// The target revision.
        target: String,
    },
    /// A step of the plan would break an invariant of the mesh in simulation.
    #[error("step {step} ({action}) would break the mesh: {violation}")]
    Unsafe {
        /// The step.
        step: StepId,
        /// The step's action, in words.
        action: String,
        /// What breaks.
        violation: Violation,
    },
    /// A step cannot be applied to the model (e.g. a plan read from a file that
    /// names an object the snapshot lacks).
    #[error("step {step} ({action}) cannot be applied: {message}")]
    StepFailed {
        /// The step.
        step: StepId,
        /// The step's action, in words.
        action: String,
        /// What the model said.
        message: String,
    },
    /// A rollback was asked for past a step that deleted a control plane.
    #[error(
        "no automatic rollback past step {step} ({object} deleted): meshrev never re-creates a deleted control plane silently; reinstall it by hand, then plan back to it"
    )]
    NoRollback {
        /// The delete step.
        step: StepId,
        /// What it deleted.
        object: ObjectRef,
    },
    /// A plan (read from a file) names something the API server would refuse.
    #[error("step {step}: invalid {field} {value:?}: {message}")]
    InvalidStep {
        /// The step.
        step: StepId,
        /// What the bad text is (`namespace`, `label key`, ...).
        field: String,
        /// The text.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// A step number beyond the plan.
    #[error("step {step} does not exist: the plan has {steps} steps")]
    NoSuchStep {
        /// The step asked for.
        step: StepId,
        /// How many steps the plan has.
        steps: usize,
    },
}

/// An invariant a step would break.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "violation", rename_all = "snake_case")]
pub enum Violation {
    /// A namespace that had an injector would have none.
    #[error("namespace {namespace} would lose its injector (was {before})")]
    InjectorLost {
        /// The namespace.
        namespace: String,
        /// Its injector before the plan.
        before: String,
    },
    /// The API server would reject the namespace's new pods: a matching webhook
    /// with `failurePolicy: Fail` calls a service no istiod serves.
    #[error("namespace {namespace}'s new pods would be rejected: service {service} has no istiod")]
    PodsRejected {
        /// The namespace.
        namespace: String,
        /// The webhook's service, `namespace/name`.
        service: String,
    },
    /// Two control planes' webhooks would both match a namespace.
    #[error("namespace {namespace} would be matched by {}", revisions.join(" and "))]
    DoubleInjection {
        /// The namespace.
        namespace: String,
        /// The revisions, sorted.
        revisions: Vec<String>,
    },
    /// A control plane would be removed while it still injects or runs pods.
    #[error("revision {revision} would be removed while in use: {}", users.join(", "))]
    RemovedWhileInUse {
        /// The revision.
        revision: String,
        /// What still uses it.
        users: Vec<String>,
    },
    /// A label outside the injection keys would change.
    #[error("label {key} of namespace {namespace} would change, and it is not an injection label")]
    ForeignLabelChanged {
        /// The namespace.
        namespace: String,
        /// The label key.
        key: String,
    },
    /// A namespace would be injected by a revision whose istiod does not discover it.
    #[error(
        "namespace {namespace} would be injected by {revision}, whose istiod does not discover it (its sidecars would get no configuration)"
    )]
    Undiscovered {
        /// The namespace.
        namespace: String,
        /// The revision.
        revision: String,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
