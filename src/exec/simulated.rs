//! A simulated cluster: an in-memory executor over a snapshot, for rehearsing a
//! plan offline and for testing what a run does when the cluster misbehaves.
//!
//! It performs every step through [`StepAction::apply`](crate::plan::StepAction),
//! the planner's own mapping onto the snapshot's edits ([`Mesh::apply`],
//! [`Mesh::restart`]), so a rehearsal and the plan's simulation can never disagree
//! about what Kubernetes does. Faults are injected by step.
//!
//! A restart is the request's `kubectl.kubernetes.io/restartedAt` merge patch,
//! as the API server and the workload controller take it: a new value changes
//! the pod template and rolls the pods; the value the template already carries
//! changes nothing. A DeploymentConfig's restart is an `instantiate`, as the
//! API server takes it: every one is a new rollout, and raises the
//! DeploymentConfig's `status.latestVersion` by one (when the snapshot shows
//! it), which is how a resumed run tells that it was made.
//! [`SimulatedCluster::restarts`] counts the rollouts, so tests can prove that no
//! workload is restarted twice by a retry or a resume.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::executor::Executor;
use super::journal::Entry;
use super::request::RESTARTED_AT;
use super::run::{Action, ActionKind, Event, Outcome};
use crate::mesh::Mesh;
use crate::plan::{Plan, StepAction, StepId};
use crate::snapshot::{Edit, Pod, Restart, Snapshot, WorkloadId};
use crate::status::is_live;

/// Something to go wrong at a step. Each fires once (or `times` times).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// The step's change is refused (not retryable): the run stops.
    Fail {
        /// The step.
        step: StepId,
    },
    /// The step's change times out `times` times (retryable), then succeeds.
    FailTimes {
        /// The step.
        step: StepId,
        /// Failures before success.
        times: u32,
    },
    /// The change is made, then the executor dies before reporting it: the
    /// caller must resume from the journal.
    CrashAfter {
        /// The step.
        step: StepId,
    },
    /// The executor dies after the run handed it the change (the journal says
    /// it was sent) and before the request reached the cluster: the caller
    /// must resume from the journal.
    CrashBefore {
        /// The step.
        step: StepId,
    },
    /// A restart leaves `held` old pods running (a PodDisruptionBudget) for
    /// `observations` observations, then finishes.
    PartialRollout {
        /// The step (a restart).
        step: StepId,
        /// Old pods kept.
        held: usize,
        /// Observations before the rollout finishes.
        observations: u32,
    },
    /// The change is reported applied but has no effect (a mutating webhook or
    /// an operator undid it).
    MissingEffect {
        /// The step.
        step: StepId,
    },
}

impl Fault {
    fn step(&self) -> StepId {
        match self {
            Fault::Fail { step }
            | Fault::FailTimes { step, .. }
            | Fault::CrashAfter { step }
            | Fault::CrashBefore { step }
            | Fault::PartialRollout { step, .. }
            | Fault::MissingEffect { step } => *step,
        }
    }
}

/// The executor died (a [`Fault::CrashAfter`] or [`Fault::CrashBefore`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("simulated crash while sending step {step}")]
pub struct Crashed {
    /// The step whose change was in flight.
    pub step: StepId,
}

/// A rollout held back by a fault.
#[derive(Debug, Clone)]
struct Held {
    workload: WorkloadId,
    observations: u32,
}

/// An in-memory cluster that performs a run's actions on a [`Mesh`].
///
/// ```
/// use meshrev::exec::{self, Run, SimulatedCluster, State};
/// # use meshrev::plan::Plan;
/// # let plan: Plan = serde_json::from_str(r#"{"target":{"name":"ossm3","revision":"ossm3"},
/// #   "strategy":"canary-relabel","sources":[],"scope":{"explicit":false,"namespaces":[]},
/// #   "waves":[{"number":1,"kind":"canary","namespaces":["mercury"],"steps":[
/// #     {"id":1,"action":{"action":"label_namespace","namespace":"mercury","set":{"istio.io/rev":"ossm3"}},"reason":"move",
/// #      "postconditions":[{"check":"namespace_labels","namespace":"mercury","labels":{"istio.io/rev":"ossm3"}}]}]}],
/// #   "end_state":{"namespaces":[],"revisions":[]}}"#).unwrap();
/// let snapshot = meshrev::Snapshot::from_yaml(
///     "apiVersion: v1\nkind: Namespace\nmetadata: {name: mercury}\n")?;
/// let mut cluster = SimulatedCluster::new(snapshot);
/// let mut run = Run::new(plan);
/// assert_eq!(exec::run(&mut run, &mut cluster)?, State::Finished);
/// assert_eq!(cluster.mesh().snapshot().namespace("mercury").unwrap().meta.labels["istio.io/rev"], "ossm3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimulatedCluster {
    mesh: Mesh,
    faults: Vec<Fault>,
    /// Failures already injected per step.
    failures: BTreeMap<StepId, u32>,
    held: Option<Held>,
    now: SystemTime,
    journal: Vec<Entry>,
    events: Vec<Event>,
    changes: usize,
    restarts: BTreeMap<WorkloadId, u32>,
}

impl SimulatedCluster {
    /// A cluster holding `snapshot`, with no faults.
    pub fn new(snapshot: Snapshot) -> SimulatedCluster {
        SimulatedCluster::from_mesh(Mesh::new(snapshot))
    }

    /// A cluster holding `mesh`'s snapshot.
    pub fn from_mesh(mesh: Mesh) -> SimulatedCluster {
        SimulatedCluster {
            mesh,
            faults: Vec::new(),
            failures: BTreeMap::new(),
            held: None,
            // 2026-01-01T00:00:00Z.
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
            journal: Vec::new(),
            events: Vec::new(),
            changes: 0,
            restarts: BTreeMap::new(),
        }
    }

    /// Adds a fault.
    pub fn with_fault(mut self, fault: Fault) -> SimulatedCluster {
        self.faults.push(fault);
        self
    }

    /// Adds a fault to a running cluster.
    pub fn inject(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// The time [`Executor::now`] gives the run, which stamps it into restarts
    /// (`kubectl.kubernetes.io/restartedAt`); the simulation has no clock of
    /// its own. 2026-01-01T00:00:00Z unless set.
    pub fn set_now(&mut self, now: SystemTime) {
        self.now = now;
    }

    /// The cluster now.
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    /// The journal entries recorded so far (across runs, when reused).
    pub fn journal(&self) -> &[Entry] {
        &self.journal
    }

    /// Forgets the journal (a new journal file).
    pub fn clear_journal(&mut self) {
        self.journal.clear();
    }

    /// The events shown so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many changes were performed (attempts that reached the cluster).
    pub fn changes(&self) -> usize {
        self.changes
    }

    /// How many times `workload` was rolled by a restart: requests that
    /// changed its `restartedAt` value (one that repeats the value the
    /// template carries rolls nothing, as on a real cluster).
    pub fn restarts(&self, workload: &WorkloadId) -> u32 {
        self.restarts.get(workload).copied().unwrap_or(0)
    }

    /// [`SimulatedCluster::restarts`] of every workload restarted at least once.
    pub fn restart_counts(&self) -> &BTreeMap<WorkloadId, u32> {
        &self.restarts
    }

    fn take_fault(&mut self, step: StepId, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.step() == step && pick(f))?;
        Some(self.faults.remove(i))
    }

    fn change(
        &mut self,
        step: StepId,
        action: &StepAction,
        restarted_at: &str,
    ) -> Result<Outcome, Crashed> {
        if self
            .take_fault(step, |f| matches!(f, Fault::CrashBefore { .. }))
            .is_some()
        {
            return Err(Crashed { step });
        }
        if self
            .take_fault(step, |f| matches!(f, Fault::Fail { .. }))
            .is_some()
        {
            return Ok(Outcome::Failed {
                message: format!("simulated refusal of step {step}"),
                retryable: false,
            });
        }
        if let Some(Fault::FailTimes { times, .. }) = self
            .faults
            .iter()
            .find(|f| f.step() == step && matches!(f, Fault::FailTimes { .. }))
            .cloned()
        {
            let n = self.failures.entry(step).or_insert(0);
            if *n < times {
                *n += 1;
                return Ok(Outcome::Failed {
                    message: format!("simulated timeout of step {step} ({n} of {times})"),
                    retryable: true,
                });
            }
            self.take_fault(step, |f| matches!(f, Fault::FailTimes { .. }));
        }
        if self
            .take_fault(step, |f| matches!(f, Fault::MissingEffect { .. }))
            .is_some()
        {
            return Ok(Outcome::Applied);
        }
        self.changes += 1;
        let rolls = match action {
            StepAction::Restart { workload } => !self.carries(workload, restarted_at),
            _ => false,
        };
        let partial = self.take_fault(step, |f| matches!(f, Fault::PartialRollout { .. }));
        let result = match (action, partial) {
            (
                StepAction::Restart { workload },
                Some(Fault::PartialRollout {
                    held, observations, ..
                }),
            ) if rolls => self
                .stamp(workload, restarted_at)
                .and_then(|()| self.partial_restart(workload, held))
                .and_then(|()| self.instantiate(workload))
                .map(|()| {
                    *self.restarts.entry(workload.clone()).or_insert(0) += 1;
                    self.held = Some(Held {
                        workload: workload.clone(),
                        observations,
                    });
                }),
            _ => self.perform_step(action, restarted_at),
        };
        if let Err(e) = result {
            // What the API server would answer: 404 for a missing object, 422 for bad syntax.
            return Ok(Outcome::Failed {
                message: e.to_string(),
                retryable: false,
            });
        }
        if self
            .take_fault(step, |f| matches!(f, Fault::CrashAfter { .. }))
            .is_some()
        {
            return Err(Crashed { step });
        }
        Ok(Outcome::Applied)
    }

    /// Performs a step's change as the API server and the controllers would:
    /// a restart with the `restartedAt` value the template already carries
    /// leaves the template, and so the pods, as they are.
    fn perform_step(
        &mut self,
        action: &StepAction,
        restarted_at: &str,
    ) -> Result<(), crate::EditError> {
        if let StepAction::Restart { workload } = action {
            if self.carries(workload, restarted_at) {
                return Ok(());
            }
            self.stamp(workload, restarted_at)?;
            action.apply(&mut self.mesh)?;
            *self.restarts.entry(workload.clone()).or_insert(0) += 1;
            return Ok(());
        }
        action.apply(&mut self.mesh)
    }

    /// Whether the workload's pod template carries this `restartedAt` value
    /// (never for a DeploymentConfig: each `instantiate` is a new rollout).
    fn carries(&self, workload: &WorkloadId, restarted_at: &str) -> bool {
        workload.kind.restart() == Restart::RolloutRestart
            && self
                .mesh
                .snapshot()
                .workload(&workload.namespace, workload.kind, &workload.name)
                .is_some_and(|w| {
                    w.template.annotations.get(RESTARTED_AT).map(String::as_str)
                        == Some(restarted_at)
                })
    }

    /// Brings the cluster to where a journal says an earlier run left it, by
    /// performing again every change the journal records as applied: the
    /// simulated cluster lives in memory, so a resumed rehearsal needs this.
    pub fn replay(&mut self, plan: &Plan, journal: &[Entry]) -> Result<(), crate::EditError> {
        // A restart's value is in the `sent` entries before its `applied`.
        let mut restarted_at: BTreeMap<StepId, String> = BTreeMap::new();
        for entry in journal {
            match entry {
                Entry::Sent {
                    step,
                    restarted_at: Some(at),
                    ..
                } => {
                    restarted_at.insert(*step, at.clone());
                }
                Entry::Applied { step } => {
                    if let Some(s) = plan.step(*step) {
                        let at = restarted_at
                            .get(step)
                            .cloned()
                            .unwrap_or_else(|| super::run::rfc3339(self.now));
                        self.perform_step(&s.action, &at)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `kubectl rollout restart`'s annotation. `oc rollout latest` (a
    /// DeploymentConfig) leaves the template alone: it posts a `DeploymentRequest`
    /// instead ([`Request::Post`](super::Request)).
    fn stamp(&mut self, workload: &WorkloadId, restarted_at: &str) -> Result<(), crate::EditError> {
        if workload.kind.restart() != Restart::RolloutRestart {
            return Ok(());
        }
        self.mesh.apply(&Edit::AnnotateTemplate {
            workload: workload.clone(),
            set: [(RESTARTED_AT.to_owned(), restarted_at.to_owned())].into(),
            remove: Default::default(),
        })
    }

    /// A DeploymentConfig's `instantiate` raises its `status.latestVersion`
    /// ([`Edit::Instantiate`]; [`StepAction::apply`](crate::plan::StepAction)
    /// does it for a whole rollout, this is for one a fault holds back).
    fn instantiate(&mut self, workload: &WorkloadId) -> Result<(), crate::EditError> {
        if workload.kind.restart() != Restart::RolloutLatest {
            return Ok(());
        }
        self.mesh.apply(&Edit::Instantiate {
            workload: workload.clone(),
        })
    }

    /// The rollout [`Mesh::restart`] describes, with `held` old pods left in place.
    fn partial_restart(
        &mut self,
        workload: &WorkloadId,
        held: usize,
    ) -> Result<(), crate::EditError> {
        let Edit::ReplacePods { pods: new, .. } = self.mesh.restart(workload)? else {
            return Ok(());
        };
        let s = self.mesh.snapshot();
        let old: Vec<Pod> = s
            .pods_owned_by(&workload.namespace, workload.kind, &workload.name)
            .filter(|p| is_live(p))
            .take(held)
            .cloned()
            .collect();
        let keep = new.len().saturating_sub(old.len());
        let mut pods: Vec<Pod> = new
            .into_iter()
            .filter(|p| !old.iter().any(|o| o.meta.name == p.meta.name))
            .take(keep)
            .collect();
        pods.extend(old);
        self.mesh.apply(&Edit::ReplacePods {
            workload: workload.clone(),
            pods,
        })
    }

    fn observe(&mut self) -> Outcome {
        if let Some(held) = &mut self.held {
            held.observations = held.observations.saturating_sub(1);
            if held.observations == 0 {
                let workload = held.workload.clone();
                self.held = None;
                // The held pods are let go: the rollout finishes.
                if let Ok(edit) = self.mesh.restart(&workload) {
                    let _ = self.mesh.apply(&edit);
                }
            }
        }
        Outcome::Observed(self.mesh.snapshot().clone())
    }
}

impl Executor for SimulatedCluster {
    type Error = Crashed;

    fn perform(&mut self, action: &Action) -> Result<Outcome, Crashed> {
        match &action.kind {
            ActionKind::Change { requests } => {
                // The value the run chose; a request not stamped by a run
                // gets the cluster's clock, as kubectl would.
                let restarted_at = requests
                    .iter()
                    .find_map(|r| r.restarted_at().filter(|at| !at.is_empty()))
                    .map_or_else(|| super::run::rfc3339(self.now), str::to_owned);
                self.change(action.step, &action.step_action, &restarted_at)
            }
            ActionKind::Observe(_) => {
                if let StepAction::AwaitGone { .. } = &action.step_action {
                    // The operator prunes what the step waits for (the Sail
                    // operator, an unused IstioRevision), as the plan's simulation has it.
                    let _ = action.step_action.apply(&mut self.mesh);
                }
                Ok(self.observe())
            }
        }
    }

    /// The simulation does not wait: its clock is the sequence of actions.
    fn wait(&mut self, _duration: Duration) {}

    /// The time set with [`SimulatedCluster::set_now`].
    fn now(&mut self) -> SystemTime {
        self.now
    }

    fn record(&mut self, entry: &Entry) -> Result<(), Crashed> {
        self.journal.push(entry.clone());
        Ok(())
    }

    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}
