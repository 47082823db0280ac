//! Plans: how to move namespaces from one control-plane revision to another
//! without breaking anything, as data.
//!
//! A [`Plan`] is an ordered list of [`Wave`]s (a canary namespace first, then
//! batches), each an ordered list of [`Step`]s. A step is one idempotent action on
//! one object ([`StepAction`]: relabel a namespace, restart a workload, move a tag,
//! patch an Istio's version, delete a control plane, verify), with the reason it
//! exists and the [`Check`]s that must hold before and after it. Plans serialize
//! to JSON and YAML, so they can be saved, reviewed, approved and executed later
//! by any client.
//!
//! The planner proves a plan on the model before anyone runs it: every step is
//! applied to a copy of the mesh, and after each one no namespace that had an
//! injector loses it, no namespace is matched by two control planes, no control
//! plane is removed while it injects or runs a pod, and no label outside the
//! injection keys changes ([`Violation`]). A plan that would break one is refused
//! ([`PlanError`]), naming the step and the namespace.

mod build;
mod check;
mod end_state;
mod error;
pub mod render;
mod request;
mod rollback;
mod scope;
mod simulate;
mod step;
mod strategy;
mod target;
mod validate;
mod version_upgrade;
mod waves;

use serde::{Deserialize, Serialize};

pub use self::build::plan;
pub use self::check::{Check, CheckFailure, INJECTION_KEYS};
pub use self::end_state::{EndState, NamespaceEnd, RevisionEnd, WorkloadEnd};
pub use self::error::{PlanError, Violation};
pub use self::request::Request;
pub use self::scope::{
    NamespaceDisposition, NamespaceScope, OtherScope, Scope, WorkloadDisposition, WorkloadScope,
};
pub use self::simulate::{Simulation, simulate};
pub use self::step::{Step, StepAction, StepId};
pub use self::strategy::Strategy;
pub use self::waves::waves;
use crate::labels::Labels;
use crate::snapshot::ObjectRef;

/// A migration plan: target, strategy, sources, scope, waves of steps, and the
/// simulated end state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Where the plan goes.
    pub target: Target,
    /// How.
    pub strategy: Strategy,
    /// The revisions namespaces are moved away from.
    pub sources: Vec<SourceRevision>,
    /// The namespaces covered, with every workload and what happens to it.
    pub scope: Scope,
    /// The waves, in execution order.
    pub waves: Vec<Wave>,
    /// What the cluster looks like after the last step, by simulation.
    pub end_state: EndState,
    /// Labels the target's `discoverySelectors` need, which the plan adds to
    /// namespaces besides the injection keys (MultiTenant's tenant label).
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub discovery_labels: Labels,
    /// What a reviewer should know that no step says (skipped namespaces,
    /// workloads that gain a sidecar, ...), as sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The revision a plan moves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// What the caller asked for (a revision or a tag).
    pub name: String,
    /// The revision it leads to.
    pub revision: String,
    /// The revision's version, when known (for InPlace: the version moved to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A revision namespaces are moved away from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRevision {
    /// The revision.
    pub name: String,
    /// The object that defines it (`ServiceMeshControlPlane`, `IstioRevision`, ...).
    pub control_plane: ObjectRef,
    /// Its version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One wave: steps that belong together (the canary namespace, a batch, the
/// clean-up), run in order; an operator can pause between waves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    /// 1-based position.
    pub number: usize,
    /// What the wave is for.
    pub kind: WaveKind,
    /// The namespaces it moves (empty for cluster-wide waves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// What a wave is for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveKind {
    /// Cluster-wide changes before any namespace moves (a version patch, a tag move).
    Prepare,
    /// The first namespace, on its own, to find problems early.
    Canary,
    /// The next namespaces.
    Batch,
    /// A cluster-wide change between namespace waves (the OSSM default tag).
    Switch,
    /// Removing what is no longer used, once everything runs on the target.
    Cleanup,
    /// Undoing a plan or a prefix of one.
    Rollback,
}

impl std::fmt::Display for WaveKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WaveKind::Prepare => "prepare",
            WaveKind::Canary => "canary",
            WaveKind::Batch => "batch",
            WaveKind::Switch => "switch",
            WaveKind::Cleanup => "clean-up",
            WaveKind::Rollback => "rollback",
        })
    }
}

impl Plan {
    /// Every step, in execution order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.waves.iter().flat_map(|w| &w.steps)
    }

    /// A step by id.
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps().find(|s| s.id == id)
    }

    /// How many steps the plan has.
    pub fn len(&self) -> usize {
        self.waves.iter().map(|w| w.steps.len()).sum()
    }

    /// Whether the plan has no step (everything already on the target).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Label keys a step may change besides the injection keys.
    pub fn allowed_label_keys(&self) -> impl Iterator<Item = String> + '_ {
        self.discovery_labels.keys().cloned()
    }

    /// The namespaces the plan moves, in wave order.
    pub fn moved_namespaces(&self) -> impl Iterator<Item = &str> {
        self.waves
            .iter()
            .flat_map(|w| w.namespaces.iter().map(String::as_str))
    }
}
