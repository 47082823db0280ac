//! What a plan covers: the namespaces it moves, every workload in them and what
//! the plan does with each (moves it, or leaves it and says why).

use serde::{Deserialize, Serialize};

use crate::labels::Labels;
use crate::snapshot::WorkloadId;

/// The namespaces a plan covers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Whether the caller named the namespaces (`--namespaces`) rather than the
    /// planner choosing the source revisions' data planes.
    pub explicit: bool,
    /// Every namespace in scope, by name, with what happens to it.
    pub namespaces: Vec<NamespaceScope>,
}

impl Scope {
    /// A namespace's entry.
    pub fn namespace(&self, name: &str) -> Option<&NamespaceScope> {
        self.namespaces.iter().find(|n| n.name == name)
    }
}

/// One namespace in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceScope {
    /// The namespace.
    pub name: String,
    /// Its injector before the plan.
    pub injector: Option<String>,
    /// What the plan does with it.
    pub disposition: NamespaceDisposition,
    /// Live pods in it.
    pub pods: usize,
    /// Every workload (pod owner) in it, by kind and name.
    pub workloads: Vec<WorkloadScope>,
}

/// What a plan does with a namespace.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceDisposition {
    /// Moved to the target (labels and/or restarts).
    Migrate,
    /// Already injected by the target, and every workload runs it: skipped.
    AlreadyOnTarget,
}

/// One workload in a namespace in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadScope {
    /// The workload.
    pub workload: WorkloadId,
    /// Live pods.
    pub pods: usize,
    /// Revisions its live pods run before the plan (`unknown` for a sidecar with no record).
    pub running: Vec<String>,
    /// What the plan does with it.
    pub disposition: WorkloadDisposition,
    /// Its pod-template labels: every pod of the current template carries them, so
    /// a script can select the pods with `-l`.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub template_labels: Labels,
}

/// What a plan does with a workload, and for one it leaves alone, why.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadDisposition {
    /// Restarted onto the target.
    Restart,
    /// Its pods already run the target and keep getting it: nothing to do.
    AlreadyOnTarget,
    /// Opted out (`sidecar.istio.io/inject=false`, or a policy that leaves it out):
    /// no sidecar before or after; never required to move.
    OptedOut,
    /// `hostNetwork: true`: istiod never injects it.
    HostNetwork,
    /// Owned by something a rollout restart does not apply to (a ReplicaSet with no
    /// Deployment, a bare pod): reported, not moved.
    NotRestartable,
}

impl WorkloadDisposition {
    /// Whether the plan moves the workload.
    pub fn moves(self) -> bool {
        self == WorkloadDisposition::Restart
    }
}
