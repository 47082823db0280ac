//! What a plan covers: the namespaces it moves, every workload in them and what
//! the plan does with each (moves it, or leaves it and says why).

use serde::{Deserialize, Serialize};

use crate::labels::Labels;
use crate::snapshot::WorkloadId;
use crate::status::Kind;

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
    /// A namespace's entry (a binary search: the planner lists namespaces by
    /// name; a scope read from a file in another order is searched through).
    pub fn namespace(&self, name: &str) -> Option<&NamespaceScope> {
        match self
            .namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
        {
            Ok(i) => self.namespaces.get(i),
            Err(_) => self.namespaces.iter().find(|n| n.name == name),
        }
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
    /// Live pods no workload of a kind meshrev reads owns: bare pods, and pods of
    /// a controller of another kind (an Argo `Rollout`). Reported, never moved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<OtherScope>,
}

/// Pods in a namespace in scope that no workload meshrev reads owns: a bare pod,
/// or the pods of a controller of a kind meshrev does not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherScope {
    /// `Pod` for a bare pod, else the controller's kind as the pods'
    /// `ownerReferences` give it.
    pub kind: Kind,
    /// The pod's or the controller's name.
    pub name: String,
    /// Live pods.
    pub pods: usize,
    /// Revisions its live pods run before the plan (`unknown` for a sidecar with no record).
    pub running: Vec<String>,
    /// [`WorkloadDisposition::RecreateByHand`] for a bare pod,
    /// [`WorkloadDisposition::NotInSnapshot`] for a controller meshrev does not read.
    pub disposition: WorkloadDisposition,
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
    /// A Job or CronJob ([`Restart::NotRestartable`](crate::snapshot::Restart)):
    /// its pods run to completion and are never replaced, so a running one keeps
    /// its sidecar until it finishes, and the next run is injected by whatever
    /// injects the namespace then. Reported, never restarted, never required to move.
    RunsToCompletion,
    /// Nothing the plan can roll: a ReplicaSet or ReplicationController with no
    /// Deployment(Config) above it ([`Restart::DeletePods`](crate::snapshot::Restart)),
    /// or a bare pod. Deleting its pods is the way to move it (a bare pod must be
    /// re-created from its manifest), which can take the application down, so the
    /// plan reports it with the commands and leaves the timing to the operator.
    RecreateByHand,
    /// Its pods' `ownerReferences` name a controller that is not in the snapshot
    /// (not collected, or of a kind meshrev does not read): the plan cannot tell
    /// what a restart would give, so it reports it with what to collect.
    NotInSnapshot,
}

impl WorkloadDisposition {
    /// Whether the plan moves the workload.
    pub fn moves(self) -> bool {
        self == WorkloadDisposition::Restart
    }

    /// Whether the plan leaves the workload on its current revision although it
    /// may need moving, and reports it for the operator to handle.
    pub fn is_reported(self) -> bool {
        matches!(
            self,
            WorkloadDisposition::RunsToCompletion
                | WorkloadDisposition::RecreateByHand
                | WorkloadDisposition::NotInSnapshot
        )
    }

    /// A few words for a table (`runs to completion (reported)`).
    pub fn describe(self) -> &'static str {
        match self {
            WorkloadDisposition::Restart => "restart",
            WorkloadDisposition::AlreadyOnTarget => "already on target",
            WorkloadDisposition::OptedOut => "opted out (left alone)",
            WorkloadDisposition::HostNetwork => "hostNetwork (never injected)",
            WorkloadDisposition::RunsToCompletion => "runs to completion: reported, not restarted",
            WorkloadDisposition::RecreateByHand => "nothing rolls it: reported, re-create by hand",
            WorkloadDisposition::NotInSnapshot => "controller not in the snapshot: reported",
        }
    }
}
