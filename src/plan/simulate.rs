//! Simulation: apply each step to a copy of the mesh with the snapshot's own
//! [`Edit`]s (the one model of what Kubernetes and the operators do) and re-check
//! the invariants after every step, on what the step touched only.
//!
//! The invariants (design.md "Plans and execution"):
//! - a namespace that had an injector never loses it (a deleted Maistra control
//!   plane's own namespace aside: it held the control plane, not workloads);
//! - no namespace is matched by two control planes' webhooks;
//! - no control plane is removed while it injects a namespace or runs a pod;
//! - no label outside the injection keys changes (the Maistra operator's
//!   `maistra.io/member-of` bookkeeping and a target's discovery label aside);
//! - a namespace is never injected by a revision whose istiod does not discover
//!   it (its sidecars would get no configuration);
//! - every step's postconditions hold once it ran.

use super::Plan;
use super::check::{Check, INJECTION_KEYS, revision_users};
use super::error::{PlanError, Violation};
use super::step::{Step, StepAction};
use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh};
use crate::resolve::Resolution;
use crate::snapshot::{Edit, EditError, Restart};

impl StepAction {
    /// Performs the action on a mesh, with the snapshot's edits: the same
    /// function serves the planner's simulation and an executor's simulated
    /// cluster. A restart (and a template patch, which rolls the pods too) ends
    /// with the finished rollout, [`Mesh::restart`]; the `restartedAt` annotation a
    /// real restart sets is the executor's to stamp, it changes nothing about
    /// injection. A DeploymentConfig's restart is its `instantiate`, which
    /// raises its `status.latestVersion` ([`Edit::Instantiate`]) before the rollout. `await_gone` stands for the operator's prune; `verify` changes
    /// nothing.
    pub fn apply(&self, mesh: &mut Mesh) -> Result<(), EditError> {
        match self {
            StepAction::LabelNamespace {
                namespace,
                set,
                remove,
            } => mesh.apply(&Edit::LabelNamespace {
                namespace: namespace.clone(),
                set: set.clone(),
                remove: remove.clone(),
            }),
            StepAction::LabelTemplate {
                workload,
                set,
                remove,
            } => {
                mesh.apply(&Edit::LabelTemplate {
                    workload: workload.clone(),
                    set: set.clone(),
                    remove: remove.clone(),
                })?;
                let rollout = mesh.restart(workload)?;
                mesh.apply_owned(rollout)
            }
            StepAction::Restart { workload } => {
                let rollout = mesh.restart(workload)?;
                // `oc rollout latest`: the instantiate raises latestVersion first.
                if workload.kind.restart() == Restart::RolloutLatest {
                    mesh.apply(&Edit::Instantiate {
                        workload: workload.clone(),
                    })?;
                }
                mesh.apply_owned(rollout)
            }
            StepAction::MoveTag { tag, revision } => mesh.apply(&Edit::RetargetTag {
                tag: tag.clone(),
                revision: revision.clone(),
            }),
            StepAction::RetargetSailTag { tag, kind, name } => mesh.apply(&Edit::RetargetSailTag {
                tag: tag.clone(),
                kind: *kind,
                name: name.clone(),
            }),
            StepAction::SetIstioVersion { istio, version } => mesh.apply(&Edit::SetIstioVersion {
                istio: istio.clone(),
                version: version.clone(),
            }),
            StepAction::Delete { object } | StepAction::AwaitGone { object } => {
                mesh.apply(&Edit::Delete {
                    object: object.clone(),
                })
            }
            StepAction::Verify { .. } => Ok(()),
        }
    }
}

/// A mesh being walked through a plan, step by step, with the invariants checked
/// after each one.
#[derive(Debug, Clone)]
pub struct Simulation {
    mesh: Mesh,
    /// The mesh before the first step (a cheap copy): what each namespace's
    /// labels and injector were, read when a step touches the namespace, so that
    /// starting a simulation costs nothing per namespace.
    baseline: Mesh,
    /// Label keys a step may change besides the injection keys (a target's
    /// discovery label).
    allowed_keys: Vec<String>,
    /// Maistra control planes removed so far: (revision, its namespace).
    removed: Vec<(String, String)>,
    /// The namespace whose invariants were last checked and held, while every
    /// step since changed only pods (a restart, a template patch) or nothing (a
    /// verification). The invariants read the namespace's labels and the control
    /// planes, which such steps leave as they were, so re-checking it would give
    /// the same answer: a namespace's restarts are checked once, not once each.
    settled: Option<String>,
    /// `WorkloadRunning` checks that held since the workload's pods last
    /// changed (only a restart or a template patch of that workload changes
    /// them): the namespace's verification repeats each restart's check, and
    /// the answer is known. Emptied by any other kind of step.
    running_held: Vec<Check>,
}

impl Simulation {
    /// Starts from a mesh; `allowed_keys` are label keys the plan may change
    /// besides the injection keys.
    pub fn new(mesh: &Mesh, allowed_keys: impl IntoIterator<Item = String>) -> Simulation {
        Simulation {
            mesh: mesh.clone(),
            baseline: mesh.clone(),
            allowed_keys: allowed_keys.into_iter().collect(),
            removed: Vec::new(),
            settled: None,
            running_held: Vec::new(),
        }
    }

    /// The mesh as the steps so far left it.
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    /// Gives the simulated mesh back.
    pub fn into_mesh(self) -> Mesh {
        self.mesh
    }

    /// Applies one step and checks the invariants on what it touched, then its
    /// postconditions.
    pub fn step(&mut self, step: &Step) -> Result<(), PlanError> {
        let unsafe_step = |violation: Violation| PlanError::Unsafe {
            step: step.id,
            action: step.action.to_string(),
            violation,
        };
        // A control plane is removed only when nothing uses it any more.
        let mut idle = None;
        if let StepAction::Delete { object } = &step.action
            && let Some(rev) = self.mesh.revisions().find(|r| r.control_plane == *object)
        {
            let users = revision_users(&self.mesh, &rev.name);
            if !users.is_empty() {
                return Err(unsafe_step(Violation::RemovedWhileInUse {
                    revision: rev.name.clone(),
                    users,
                }));
            }
            if rev.family == Family::Maistra {
                self.removed.push((rev.name.clone(), rev.namespace.clone()));
            }
            idle = Some(rev.name.clone());
        }
        for check in &step.preconditions {
            // Just established on this same mesh (a scan of every pod): not again.
            if let (Check::RevisionIdle { revision }, Some(idle)) = (check, &idle)
                && revision == idle
            {
                continue;
            }
            check
                .evaluate(&self.mesh)
                .map_err(|failure| PlanError::StepFailed {
                    step: step.id,
                    action: step.action.to_string(),
                    message: format!("precondition does not hold: {failure}"),
                })?;
        }
        self.forget_running(&step.action);
        step.action
            .apply(&mut self.mesh)
            .map_err(|e| PlanError::StepFailed {
                step: step.id,
                action: step.action.to_string(),
                message: e.to_string(),
            })?;
        let pods_only = matches!(
            step.action,
            StepAction::Restart { .. }
                | StepAction::LabelTemplate { .. }
                | StepAction::Verify { .. }
        );
        if !pods_only {
            self.settled = None;
        }
        match step.action.namespace() {
            Some(ns) if pods_only && self.settled.as_deref() == Some(ns) => {}
            Some(ns) => {
                self.check_namespace(ns).map_err(unsafe_step)?;
                self.settled = Some(ns.to_owned());
            }
            None => {
                for ns in self.baseline.snapshot().namespaces() {
                    self.check_namespace(ns.name()).map_err(unsafe_step)?;
                }
            }
        }
        for check in &step.postconditions {
            let running = matches!(check, Check::WorkloadRunning { .. });
            if running && self.running_held.contains(check) {
                continue;
            }
            check
                .evaluate(&self.mesh)
                .map_err(|failure| PlanError::StepFailed {
                    step: step.id,
                    action: step.action.to_string(),
                    message: format!("postcondition does not hold: {failure}"),
                })?;
            if running {
                self.running_held.push(check.clone());
            }
        }
        Ok(())
    }

    /// Forgets the `WorkloadRunning` answers a step may change, before it runs.
    fn forget_running(&mut self, action: &StepAction) {
        // Kept for one namespace at a time (its restarts, then its verification),
        // so the list stays as short as a namespace's workloads.
        if let Some(Check::WorkloadRunning { workload, .. }) = self.running_held.first()
            && action.namespace() != Some(workload.namespace.as_str())
        {
            self.running_held.clear();
        }
        match action {
            StepAction::Restart { workload } | StepAction::LabelTemplate { workload, .. } => {
                self.running_held.retain(
                    |c| !matches!(c, Check::WorkloadRunning { workload: w, .. } if w == workload),
                );
            }
            // Namespace labels and a verification leave every pod as it was.
            StepAction::LabelNamespace { .. } | StepAction::Verify { .. } => {}
            _ => self.running_held.clear(),
        }
    }

    /// The invariants for one namespace.
    fn check_namespace(&self, namespace: &str) -> Result<(), Violation> {
        let Some(base) = self.baseline.snapshot().namespace(namespace) else {
            return Ok(());
        };
        let base_labels = &base.meta.labels;
        let no_labels = Labels::new();
        let labels_now = self
            .mesh
            .snapshot()
            .namespace(namespace)
            .map_or(&no_labels, |n| &n.meta.labels);
        for key in base_labels.keys().chain(labels_now.keys()) {
            if base_labels.get(key) != labels_now.get(key)
                && !INJECTION_KEYS.contains(&key.as_str())
                && key != labels::MAISTRA_MEMBER_OF
                && !self.allowed_keys.contains(key)
            {
                return Err(Violation::ForeignLabelChanged {
                    namespace: namespace.to_owned(),
                    key: key.clone(),
                });
            }
        }
        match self.mesh.resolve_namespace(namespace) {
            // A blocker: no restart there can succeed (issue 8.4).
            Resolution::Rejected { service, .. } => Err(Violation::PodsRejected {
                namespace: namespace.to_owned(),
                service,
            }),
            Resolution::Conflict { candidates } => {
                let mut revisions: Vec<String> =
                    candidates.into_iter().map(|c| c.revision).collect();
                revisions.sort();
                revisions.dedup();
                Err(Violation::DoubleInjection {
                    namespace: namespace.to_owned(),
                    revisions,
                })
            }
            Resolution::Injected { revision, .. } => {
                let discovered = self
                    .mesh
                    .revision(&revision)
                    .is_none_or(|r| r.discovers(&self.mesh.namespace_labels(namespace)));
                if discovered {
                    Ok(())
                } else {
                    Err(Violation::Undiscovered {
                        namespace: namespace.to_owned(),
                        revision,
                    })
                }
            }
            Resolution::NotInjected { .. } => {
                match self.baseline.resolve_namespace(namespace).revision() {
                    Some(before)
                        if !self
                            .removed
                            .iter()
                            .any(|(rev, ns)| rev == before && ns == namespace) =>
                    {
                        Err(Violation::InjectorLost {
                            namespace: namespace.to_owned(),
                            before: before.to_owned(),
                        })
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Replays a plan on a copy of the mesh, checking every invariant after every
/// step; returns the mesh the plan leaves. A plan read from a file is checked
/// against the cluster it is about to run on this way.
pub fn simulate(mesh: &Mesh, plan: &Plan) -> Result<Mesh, PlanError> {
    plan.validate()?;
    let mut sim = Simulation::new(mesh, plan.allowed_label_keys());
    for step in plan.steps() {
        sim.step(step)?;
    }
    Ok(sim.into_mesh())
}
