//! The run: a plan carried out step by step, driven by the caller.
//!
//! Each step goes through three phases. **Check**: observe the cluster; if the
//! step's postconditions already hold, it is done (an earlier run, or a person,
//! did it) and nothing is sent (unless they hold whatever happens: an InPlace
//! restart's pods whose proxy version no image tag tells, see
//! [`Check::ProxyCurrent`]); if its preconditions do not hold, the run stops
//! rather than act on a cluster that is not the one planned for. **Change**: send
//! the step's requests, retrying a retryable failure a bounded number of times.
//! **Verify**: observe again until the postconditions hold (a rollout takes
//! time), or stop naming what is wrong: for a partial rollout, the pods still on
//! another revision.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::journal::{self, Entry, JournalError, ResumeAt};
use super::request::RESTARTED_AT;
use super::request::{self, RenderError, Request};
use crate::mesh::{Mesh, Version};
use crate::plan::{Check, CheckFailure, Plan, Step, StepAction, StepId, WaveKind};
use crate::snapshot::{Snapshot, WorkloadId};
use crate::status::{Running, is_live, running_revision};

/// An action's number, unique in its run; outcomes are reported against it.
pub type ActionId = u64;

/// How patient a run is. The run owns no clock: it only tells the caller how
/// long to wait before an action ([`Action::wait`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Attempts at a step's change (and at each observation) before a
    /// retryable failure stops the run.
    pub attempts: u32,
    /// Observations after a change before unmet postconditions stop the run.
    pub observations: u32,
    /// Wait before retrying a failed request.
    pub retry_after: Duration,
    /// Wait between observations while a change settles (a rollout runs).
    pub settle: Duration,
    /// The caller's changes are dry runs (`kubectl --dry-run=server`, kube's
    /// `dryRun=All`, a simulated cluster): they change nothing. Recorded in the
    /// journal's `begin` entry, because a dry run's "applied" steps must never
    /// count as done for a run that applies, nor the reverse.
    #[serde(default)]
    pub dry_run: bool,
}

impl Default for Limits {
    /// 3 attempts 5 s apart; 30 observations 10 s apart (5 minutes for a
    /// rollout, as `kubectl rollout status`'s usual timeouts allow).
    fn default() -> Limits {
        Limits {
            attempts: 3,
            observations: 30,
            retry_after: Duration::from_secs(5),
            settle: Duration::from_secs(10),
            dry_run: false,
        }
    }
}

/// What the caller must do next.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Report the outcome against this.
    pub id: ActionId,
    /// The plan step the action belongs to.
    pub step: StepId,
    /// 1-based attempt of this phase of the step.
    pub attempt: u32,
    /// Wait this long before performing it (a retry, or a rollout settling).
    pub wait: Duration,
    /// The plan step's action (what a simulated cluster performs, or, for an
    /// observation, what it waits for).
    pub step_action: StepAction,
    /// What to do.
    pub kind: ActionKind,
}

/// Change the cluster, or read it back: the two things a run ever asks for, so
/// callers match on them exhaustively.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// Send these requests, in order; report [`Outcome::Applied`] once all were
    /// accepted.
    Change {
        /// The step's action as API requests.
        requests: Vec<Request>,
    },
    /// Read these objects back and report [`Outcome::Observed`].
    Observe(Observation),
}

/// What to read back from the cluster for a step's checks: the mesh's
/// cluster-wide objects ([`OBSERVED_KINDS`]) and, in the namespaces named, the
/// namespace itself, its pods and workloads (with their ReplicaSets, so pods are
/// traced to their workload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Namespaces to read.
    pub namespaces: BTreeSet<String>,
    /// Read every namespace (a check about a whole revision).
    pub all_namespaces: bool,
}

/// The kinds an observation reads cluster-wide, whatever its namespaces: what
/// decides who injects (webhooks, control planes, tags, injector config maps).
pub const OBSERVED_KINDS: [&str; 8] = [
    "MutatingWebhookConfiguration",
    "ConfigMap",
    "ServiceMeshControlPlane",
    "ServiceMeshMemberRoll",
    "ServiceMeshMember",
    "Istio",
    "IstioRevision",
    "IstioRevisionTag",
];

/// The kinds an observation reads in each of its namespaces, besides the
/// `Namespace` itself: pods, and every owner kind the snapshot reads, so that a
/// plan's steps on OpenShift `DeploymentConfig`s (and its reports of Jobs and
/// CronJobs) verify against what the cluster shows. A kind the cluster does not
/// serve (`DeploymentConfig` outside OpenShift) reads as none.
pub const NAMESPACE_KINDS: [&str; 9] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "DeploymentConfig",
    "Job",
    "CronJob",
];

/// What happened when the caller performed an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every request was accepted.
    Applied,
    /// A request failed (or the observation could not be made).
    Failed {
        /// What the client reported.
        message: String,
        /// Whether trying again may help (a timeout, a conflict, 5xx), as
        /// opposed to a refusal (403, 422, an admission webhook's denial).
        retryable: bool,
    },
    /// What the cluster holds now.
    Observed(Snapshot),
}

/// Something a progress display may show.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A wave begins.
    WaveStarted {
        /// 1-based wave number.
        wave: usize,
        /// How many waves the plan has.
        waves: usize,
        /// What the wave is for.
        kind: WaveKind,
        /// The namespaces it moves.
        namespaces: Vec<String>,
    },
    /// A step begins.
    StepStarted {
        /// The step.
        step: StepId,
        /// How many steps the plan has.
        steps: usize,
        /// The action, in words.
        action: String,
    },
    /// An action is repeated after a wait.
    Retrying {
        /// The step.
        step: StepId,
        /// The attempt about to be made.
        attempt: u32,
        /// The wait first, in milliseconds.
        wait_ms: u64,
        /// Why.
        message: String,
    },
    /// A step is finished.
    StepFinished {
        /// The step.
        step: StepId,
        /// How many steps the plan has.
        steps: usize,
        /// It was already done; nothing was sent.
        already: bool,
    },
    /// Every step of a namespace's wave is finished.
    NamespaceDone {
        /// The namespace.
        namespace: String,
        /// Namespaces done so far.
        done: usize,
        /// Namespaces the plan moves.
        total: usize,
    },
    /// Live pods per running revision in what was just observed (`none`: no sidecar).
    Pods {
        /// Revision -> pods.
        revisions: BTreeMap<String, usize>,
    },
    /// The run stopped.
    Stopped {
        /// The step.
        step: StepId,
        /// Why.
        reason: String,
    },
    /// Every step is done.
    Finished,
}

/// Why a run stopped. Every variant names the step; [`Run::retry`] continues.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StopReason {
    /// The step's change failed, and trying again will not help or was tried enough.
    #[error("step {step}: {message} (after {attempts} attempt(s))")]
    Failed {
        /// The step.
        step: StepId,
        /// The last failure.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The cluster is not what the plan was made for (and the step is not done
    /// either): nothing was sent.
    #[error(
        "step {step}: the cluster is not as planned, nothing was sent: {}",
        list(failures)
    )]
    Precondition {
        /// The step.
        step: StepId,
        /// What did not hold.
        failures: Vec<CheckFailure>,
    },
    /// Pods of a restarted workload still run another revision (a
    /// PodDisruptionBudget, a failing readiness probe, a node short of room).
    #[error("step {step}: rollout of {workload} is partial: {} still on another revision", pods.join(", "))]
    PartialRollout {
        /// The step.
        step: StepId,
        /// The workload.
        workload: WorkloadId,
        /// Its pods not on the planned revision.
        pods: Vec<String>,
    },
    /// The change was accepted but the cluster does not show its effect.
    #[error(
        "step {step}: applied, but the cluster does not show it: {}",
        list(failures)
    )]
    Unverified {
        /// The step.
        step: StepId,
        /// What did not hold.
        failures: Vec<CheckFailure>,
    },
    /// The step could not be turned into requests.
    #[error("step {step}: {error}")]
    Render {
        /// The step.
        step: StepId,
        /// Why.
        error: RenderError,
    },
}

fn list(failures: &[CheckFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl StopReason {
    /// The step the run stopped at.
    pub fn step(&self) -> StepId {
        match self {
            StopReason::Failed { step, .. }
            | StopReason::Precondition { step, .. }
            | StopReason::PartialRollout { step, .. }
            | StopReason::Unverified { step, .. }
            | StopReason::Render { step, .. } => *step,
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Actions remain.
    Running,
    /// Stopped; see the reason, then [`Run::retry`] or roll back.
    Stopped(StopReason),
    /// Every step is done.
    Finished,
}

/// A caller mistake in driving the run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The outcome names no action awaiting one.
    #[error("no action {id} awaits an outcome (the run expects {expected:?})")]
    UnknownAction {
        /// The id reported.
        id: ActionId,
        /// The id awaited, if any.
        expected: Option<ActionId>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Check,
    Change(Vec<Request>),
    Verify,
}

/// A plan being carried out. Drive it with [`Run::poll_action`] and
/// [`Run::handle_outcome`]; persist [`Run::poll_journal`]'s entries after each
/// outcome; show [`Run::poll_event`]'s events.
///
/// ```
/// use meshrev::exec::{Outcome, Run, ActionKind};
/// use meshrev::plan::{Plan, Step, StepAction};
/// # let plan: Plan = serde_json::from_str(r#"{"target":{"name":"ossm3","revision":"ossm3"},
/// #   "strategy":"canary-relabel","sources":[],"scope":{"explicit":false,"namespaces":[]},
/// #   "waves":[{"number":1,"kind":"canary","namespaces":["mercury"],"steps":[
/// #     {"id":1,"action":{"action":"label_namespace","namespace":"mercury","set":{"istio.io/rev":"ossm3"}},"reason":"move",
/// #      "postconditions":[{"check":"namespace_labels","namespace":"mercury","labels":{"istio.io/rev":"ossm3"}}]}]}],
/// #   "end_state":{"namespaces":[],"revisions":[]}}"#).unwrap();
/// let mut cluster = meshrev::Snapshot::from_yaml(
///     "apiVersion: v1\nkind: Namespace\nmetadata: {name: mercury}\n")?;
/// let mut run = Run::new(plan);
/// while let Some(action) = run.poll_action(std::time::SystemTime::now()) {
///     let outcome = match &action.kind {
///         // A real caller sends `requests` with its client.
///         ActionKind::Change { requests, .. } => {
///             assert_eq!(requests[0].path(), "/api/v1/namespaces/mercury");
///             cluster.apply(&meshrev::Edit::label_namespace("mercury", [("istio.io/rev", "ossm3")], []))?;
///             Outcome::Applied
///         }
///         ActionKind::Observe(_) => Outcome::Observed(cluster.clone()),
///     };
///     run.handle_outcome(action.id, outcome)?;
/// }
/// assert_eq!(run.state(), &meshrev::exec::State::Finished);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Run {
    plan: Plan,
    fingerprint: String,
    limits: Limits,
    /// The plan's steps with their wave's index.
    steps: Vec<(usize, Step)>,
    /// Position in `steps`.
    index: usize,
    phase: Phase,
    /// Attempts made in this phase.
    attempts: u32,
    /// The step's start was announced.
    announced: bool,
    pending: Option<Action>,
    wait: Duration,
    next_id: ActionId,
    /// Steps whose change the cluster accepted (this run or an earlier one).
    applied: BTreeSet<StepId>,
    /// The current step's `restartedAt` value, once chosen (or read back from
    /// the journal): every attempt sends the same.
    restarted_at: Option<String>,
    /// The value the restarted workload's template carried when the step was
    /// checked: the chosen value must differ, or the patch would roll nothing
    /// (a rollback's restart in the same second as the run's own).
    restarted_before: Option<String>,
    /// For a DeploymentConfig's rollout: its `status.latestVersion` observed
    /// just before the `instantiate` was sent (or read back from the journal).
    /// A greater value observed later means the instantiate was made.
    latest_before: Option<i64>,
    /// The attempts at the current step's change, kept while a retry of a
    /// DeploymentConfig's instantiate re-observes the cluster first.
    resend_attempts: Option<u32>,
    namespaces_done: usize,
    namespaces_total: usize,
    state: State,
    journal: VecDeque<Entry>,
    events: VecDeque<Event>,
}

impl Run {
    /// A run of the whole plan from its first step, with default [`Limits`].
    pub fn new(plan: Plan) -> Run {
        Run::with_limits(plan, Limits::default())
    }

    /// A run with the given limits.
    pub fn with_limits(plan: Plan, limits: Limits) -> Run {
        let fingerprint = journal::fingerprint(&plan);
        let steps: Vec<(usize, Step)> = plan
            .waves
            .iter()
            .enumerate()
            .flat_map(|(w, wave)| wave.steps.iter().map(move |s| (w, s.clone())))
            .collect();
        let namespaces_total = plan.moved_namespaces().count();
        let mut run = Run {
            fingerprint,
            limits,
            steps,
            index: 0,
            phase: Phase::Check,
            attempts: 0,
            announced: false,
            pending: None,
            wait: Duration::ZERO,
            next_id: 1,
            applied: BTreeSet::new(),
            restarted_at: None,
            restarted_before: None,
            latest_before: None,
            resend_attempts: None,
            namespaces_done: 0,
            namespaces_total,
            state: State::Running,
            journal: VecDeque::new(),
            events: VecDeque::new(),
            plan,
        };
        run.journal.push_back(Entry::Begin {
            plan: run.fingerprint.clone(),
            steps: run.steps.len(),
            dry_run: limits.dry_run,
        });
        run
    }

    /// Continues a run from its journal: steps the journal records as done are
    /// skipped; the step in flight is re-observed, never trusted. A step whose
    /// change was accepted is only verified, not sent again. Refuses a journal
    /// written for another plan.
    pub fn resume(plan: Plan, journal: &[Entry]) -> Result<Run, JournalError> {
        Run::resume_with_limits(plan, journal, Limits::default())
    }

    /// [`Run::resume`] with the given limits.
    pub fn resume_with_limits(
        plan: Plan,
        journal: &[Entry],
        limits: Limits,
    ) -> Result<Run, JournalError> {
        let mut run = Run::with_limits(plan, limits);
        if !matches!(journal.first(), Some(Entry::Begin { .. })) {
            return Err(JournalError::NoBegin);
        }
        let mut done = BTreeSet::new();
        // Where each step would be picked up, by its last entry.
        let mut resume_at: BTreeMap<StepId, ResumeAt> = BTreeMap::new();
        // The restartedAt value each restart was sent with, by its last `sent`;
        // the latestVersion each DeploymentConfig was seen at before its instantiate.
        let mut restarted_at: BTreeMap<StepId, String> = BTreeMap::new();
        let mut latest_before: BTreeMap<StepId, i64> = BTreeMap::new();
        for (i, entry) in journal.iter().enumerate() {
            let step = match entry {
                Entry::Begin { plan, dry_run, .. } => {
                    if *plan != run.fingerprint {
                        return Err(JournalError::OtherPlan {
                            expected: run.fingerprint.clone(),
                            found: plan.clone(),
                        });
                    }
                    if *dry_run != limits.dry_run {
                        return Err(JournalError::OtherMode {
                            journal_dry_run: *dry_run,
                        });
                    }
                    continue;
                }
                Entry::Finished => continue,
                Entry::Sent {
                    step,
                    restarted_at: at,
                    latest_version,
                    ..
                } => {
                    resume_at.insert(*step, ResumeAt::Check);
                    if let Some(at) = at {
                        restarted_at.insert(*step, at.clone());
                    }
                    match latest_version {
                        Some(v) => latest_before.insert(*step, *v),
                        None => latest_before.remove(step),
                    };
                    *step
                }
                Entry::Failed { step, .. } => {
                    resume_at.insert(*step, ResumeAt::Check);
                    *step
                }
                Entry::Stopped { step, resume, .. } => {
                    resume_at.insert(*step, *resume);
                    *step
                }
                Entry::Applied { step } => {
                    run.applied.insert(*step);
                    resume_at.insert(*step, ResumeAt::Verify);
                    *step
                }
                Entry::Done { step, .. } => {
                    done.insert(*step);
                    *step
                }
            };
            if run.plan.step(step).is_none() {
                return Err(JournalError::NoSuchStep {
                    line: i + 1,
                    step,
                    steps: run.steps.len(),
                });
            }
        }
        run.index = run
            .steps
            .iter()
            .position(|(_, s)| !done.contains(&s.id))
            .unwrap_or(run.steps.len());
        run.namespaces_done = run
            .plan
            .waves
            .iter()
            .filter(|w| w.steps.iter().all(|s| done.contains(&s.id)))
            .map(|w| w.namespaces.len())
            .sum();
        // A change the cluster accepted is verified, not sent again; one in
        // flight (sent, no answer) is re-observed from its check, where a
        // restart whose restartedAt value the workload shows counts as
        // accepted, and so does an instantiate whose DeploymentConfig shows a
        // greater latestVersion than was seen before it was sent.
        if let Some((_, step)) = run.steps.get(run.index) {
            if resume_at.get(&step.id) == Some(&ResumeAt::Verify) {
                run.phase = Phase::Verify;
            }
            run.restarted_at = restarted_at.remove(&step.id);
            run.latest_before = latest_before.remove(&step.id);
        }
        Ok(run)
    }

    /// The plan being run.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan's fingerprint, as the journal records it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Where the run stands.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The step the run is at (`None` once finished).
    pub fn current_step(&self) -> Option<StepId> {
        self.steps.get(self.index).map(|(_, s)| s.id)
    }

    /// The last step whose change may have reached the cluster: roll back
    /// through it ([`Plan::rollback`](crate::plan::Plan) with `Some(step)`) to
    /// restore what the run changed. `None` when nothing was changed.
    pub fn rollback_through(&self) -> Option<StepId> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(i, (_, s))| {
                s.action.is_change() && (*i < self.index || self.applied.contains(&s.id))
            })
            .map(|(_, (_, s))| s.id)
            .next_back()
    }

    /// The next journal entry to persist (append it as a line, [`Entry::to_line`]).
    pub fn poll_journal(&mut self) -> Option<Entry> {
        self.journal.pop_front()
    }

    /// The next event for a progress display.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next action to perform; `None` when the run is finished or stopped.
    /// The same action is returned until its outcome is handled.
    ///
    /// `now` is the caller's clock (the run reads none): when the action is the
    /// first attempt at a restart, it becomes the step's
    /// `kubectl.kubernetes.io/restartedAt` value (RFC 3339, seconds, UTC, as
    /// kubectl writes it), recorded in the journal's `sent` entry before the
    /// action is handed out and reused by every later attempt and resumed run,
    /// so that no restart is ever sent twice with different values.
    pub fn poll_action(&mut self, now: SystemTime) -> Option<Action> {
        if self.state != State::Running {
            return None;
        }
        if let Some(a) = &self.pending {
            return Some(a.clone());
        }
        let Some((wave, step)) = self.steps.get(self.index).cloned() else {
            self.state = State::Finished;
            self.journal.push_back(Entry::Finished);
            self.events.push_back(Event::Finished);
            return None;
        };
        if !self.announced {
            self.announced = true;
            if self.index == 0 || self.steps[self.index - 1].0 != wave {
                let w = &self.plan.waves[wave];
                self.events.push_back(Event::WaveStarted {
                    wave: w.number,
                    waves: self.plan.waves.len(),
                    kind: w.kind,
                    namespaces: w.namespaces.clone(),
                });
            }
            self.events.push_back(Event::StepStarted {
                step: step.id,
                steps: self.steps.len(),
                action: step.action.to_string(),
            });
            // Steps that only observe start at their verification.
            if !step.action.is_change() && self.phase == Phase::Check {
                self.phase = Phase::Verify;
            }
        }
        let kind = match &self.phase {
            Phase::Check | Phase::Verify => ActionKind::Observe(observation(&step)),
            Phase::Change(requests) => {
                let mut requests = requests.clone();
                let mut restarted_at = None;
                if requests.iter().any(|r| r.restarted_at().is_some()) {
                    let before = self.restarted_before.as_deref();
                    let at = self
                        .restarted_at
                        .get_or_insert_with(|| {
                            let mut t = now;
                            while Some(rfc3339(t).as_str()) == before {
                                t += Duration::from_secs(1);
                            }
                            rfc3339(t)
                        })
                        .clone();
                    for r in &mut requests {
                        r.stamp(&at);
                    }
                    restarted_at = Some(at);
                }
                // An instantiate's baseline, observed at the step's check.
                let latest_version = requests
                    .iter()
                    .any(is_instantiate)
                    .then_some(self.latest_before)
                    .flatten();
                self.journal.push_back(Entry::Sent {
                    step: step.id,
                    attempt: self.attempts + 1,
                    restarted_at,
                    latest_version,
                });
                ActionKind::Change { requests }
            }
        };
        let action = Action {
            id: self.next_id,
            step: step.id,
            attempt: self.attempts + 1,
            wait: std::mem::take(&mut self.wait),
            step_action: step.action.clone(),
            kind,
        };
        self.next_id += 1;
        self.pending = Some(action.clone());
        Some(action)
    }

    /// Reports what performing an action did. An outcome of the wrong kind (an
    /// observation for a change) counts as a failure that trying again will not fix.
    pub fn handle_outcome(&mut self, id: ActionId, outcome: Outcome) -> Result<(), ExecError> {
        let expected = self.pending.as_ref().map(|a| a.id);
        if expected != Some(id) {
            return Err(ExecError::UnknownAction { id, expected });
        }
        self.pending = None;
        let Some((_, step)) = self.steps.get(self.index).cloned() else {
            return Ok(());
        };
        let is_change = matches!(self.phase, Phase::Change(_));
        match (outcome, is_change) {
            (Outcome::Failed { message, retryable }, _) => {
                self.failed(&step, message, retryable, is_change)
            }
            (Outcome::Applied, true) => {
                self.journal.push_back(Entry::Applied { step: step.id });
                self.applied.insert(step.id);
                self.phase = Phase::Verify;
                self.attempts = 0;
            }
            (Outcome::Observed(snapshot), false) => self.observed(&step, snapshot),
            (Outcome::Applied, false) => self.failed(
                &step,
                "the executor reported a change for an observation".into(),
                false,
                false,
            ),
            (Outcome::Observed(_), true) => self.failed(
                &step,
                "the executor reported an observation for a change".into(),
                false,
                true,
            ),
        }
        Ok(())
    }

    /// Continues a stopped run at the step it stopped at: after a partial
    /// rollout, by observing again; otherwise from the step's check, so a change
    /// whose effect is missing is sent again only if the cluster is still as
    /// the step expects it before.
    pub fn retry(&mut self) {
        if let State::Stopped(reason) = &self.state {
            self.phase = match self.resume_at(reason) {
                ResumeAt::Verify => Phase::Verify,
                ResumeAt::Check => Phase::Check,
            };
            self.state = State::Running;
            self.attempts = 0;
            self.resend_attempts = None;
            self.announced = false;
        }
    }

    fn failed(&mut self, step: &Step, message: String, retryable: bool, change: bool) {
        self.attempts += 1;
        if change {
            self.journal.push_back(Entry::Failed {
                step: step.id,
                attempt: self.attempts,
                message: message.clone(),
                retryable,
            });
        }
        if retryable && self.attempts < self.limits.attempts {
            self.wait = self.limits.retry_after;
            self.events.push_back(Event::Retrying {
                step: step.id,
                attempt: self.attempts + 1,
                wait_ms: millis(self.wait),
                message,
            });
            // A DeploymentConfig's instantiate is not idempotent, and a timeout
            // may have reached the server: observe again before sending again
            // (the step's check sees whether its latestVersion went up).
            if let Phase::Change(requests) = &self.phase
                && requests.iter().any(is_instantiate)
            {
                self.resend_attempts = Some(self.attempts);
                self.attempts = 0;
                self.phase = Phase::Check;
            }
        } else {
            self.stop(StopReason::Failed {
                step: step.id,
                message,
                attempts: self.attempts,
            });
        }
    }

    fn observed(&mut self, step: &Step, snapshot: Snapshot) {
        let obs = observation(step);
        self.events.push_back(Event::Pods {
            revisions: pods_per_revision(&snapshot, &obs),
        });
        let mesh = Mesh::new(snapshot);
        let post = postconditions(step);
        let post_failures = evaluate(&post, &mesh);
        match self.phase {
            Phase::Check => {
                // A relabel or restart of an object the observation does not
                // show is never "already done" (a check over no pods holds).
                let target = match &step.action {
                    StepAction::LabelNamespace { .. }
                    | StepAction::LabelTemplate { .. }
                    | StepAction::Restart { .. } => Some(Check::ObjectPresent {
                        object: step.action.object(),
                    }),
                    _ => None,
                };
                if let Some(Err(missing)) = target.map(|c| c.evaluate(&mesh)) {
                    return self.stop(StopReason::Precondition {
                        step: step.id,
                        failures: vec![missing],
                    });
                }
                // A restart sent before (a crash before its outcome, a timeout
                // that did reach the server, an earlier stop): if the template
                // carries its value, or the DeploymentConfig's latestVersion
                // went up since, it was made; only its rollout is awaited.
                if self.restart_seen(step, mesh.snapshot()) {
                    self.journal.push_back(Entry::Applied { step: step.id });
                    self.applied.insert(step.id);
                    self.phase = Phase::Verify;
                    self.attempts = 0;
                    self.resend_attempts = None;
                    return self.verify(step, &mesh, post_failures);
                }
                if !post.is_empty() && post_failures.is_empty() && !proxies_unknown(step, &mesh) {
                    return self.done(step, true);
                }
                let pre_failures = evaluate(&step.preconditions, &mesh);
                if !pre_failures.is_empty() {
                    return self.stop(StopReason::Precondition {
                        step: step.id,
                        failures: pre_failures,
                    });
                }
                if let StepAction::Restart { workload } = &step.action {
                    let w = mesh.snapshot().workload(
                        &workload.namespace,
                        workload.kind,
                        &workload.name,
                    );
                    self.restarted_before =
                        w.and_then(|w| w.template.annotations.get(RESTARTED_AT).cloned());
                    // The baseline an instantiate is judged by: what the
                    // cluster shows now, just before it is sent.
                    self.latest_before = w.and_then(|w| w.latest_version);
                }
                match request::render(&step.action, mesh.snapshot()) {
                    Ok(requests) => {
                        self.phase = Phase::Change(requests);
                        // A retry that re-observed first keeps its count.
                        self.attempts = self.resend_attempts.take().unwrap_or(0);
                    }
                    Err(error) => self.stop(StopReason::Render {
                        step: step.id,
                        error,
                    }),
                }
            }
            Phase::Verify => self.verify(step, &mesh, post_failures),
            // Outcomes of changes are handled before.
            Phase::Change(_) => {}
        }
    }

    /// Whether `step` is a restart that the observed workload shows was made:
    /// its pod template carries the chosen `restartedAt` value, or (a
    /// DeploymentConfig) its `status.latestVersion` is greater than it was
    /// just before the `instantiate` was sent.
    fn restart_seen(&self, step: &Step, observed: &Snapshot) -> bool {
        let StepAction::Restart { workload } = &step.action else {
            return false;
        };
        let Some(w) = observed.workload(&workload.namespace, workload.kind, &workload.name) else {
            return false;
        };
        let stamped = self
            .restarted_at
            .as_ref()
            .is_some_and(|at| w.template.annotations.get(RESTARTED_AT) == Some(at));
        let instantiated = matches!(
            (self.latest_before, w.latest_version),
            (Some(before), Some(now)) if now > before
        );
        stamped || instantiated
    }

    /// Verification of a change on an observation: done, observe again after a
    /// wait, or stop naming what is wrong.
    fn verify(&mut self, step: &Step, mesh: &Mesh, post_failures: Vec<CheckFailure>) {
        if post_failures.is_empty() {
            return self.done(step, false);
        }
        self.attempts += 1;
        if self.attempts < self.limits.observations {
            self.wait = self.limits.settle;
            self.events.push_back(Event::Retrying {
                step: step.id,
                attempt: self.attempts + 1,
                wait_ms: millis(self.wait),
                message: list(&post_failures),
            });
            return;
        }
        let partial = post_failures.iter().find_map(|f| match &f.check {
            Check::WorkloadRunning { workload, revision } => {
                Some((workload.clone(), revision.clone()))
            }
            _ => None,
        });
        // Some pods moved and some did not: the rollout is partial. None
        // moved: the restart shows no effect at all.
        let partial = partial.and_then(|(workload, revision)| {
            let (off, on) = split_pods(mesh.snapshot(), &workload, revision.as_deref());
            (!on.is_empty()).then_some((workload, off))
        });
        let reason = match partial {
            Some((workload, pods)) => StopReason::PartialRollout {
                step: step.id,
                pods,
                workload,
            },
            None => StopReason::Unverified {
                step: step.id,
                failures: post_failures,
            },
        };
        self.stop(reason);
    }

    fn done(&mut self, step: &Step, already: bool) {
        self.journal.push_back(Entry::Done {
            step: step.id,
            already,
        });
        self.events.push_back(Event::StepFinished {
            step: step.id,
            steps: self.steps.len(),
            already,
        });
        let wave = self.steps[self.index].0;
        self.index += 1;
        self.restarted_at = None;
        self.restarted_before = None;
        self.latest_before = None;
        self.resend_attempts = None;
        self.phase = Phase::Check;
        self.attempts = 0;
        self.announced = false;
        let wave_over = self.steps.get(self.index).is_none_or(|(w, _)| *w != wave);
        if wave_over {
            for namespace in self.plan.waves[wave].namespaces.clone() {
                self.namespaces_done += 1;
                self.events.push_back(Event::NamespaceDone {
                    namespace,
                    done: self.namespaces_done,
                    total: self.namespaces_total,
                });
            }
        }
    }

    /// Where continuing after a stop picks the step up: a change whose effect
    /// is missing from its check (sent again only if the cluster is still as
    /// the step expects it before); a stop while verifying anything else (a
    /// partial rollout, a failed observation) by observing again, since a second
    /// restart would not help.
    fn resume_at(&self, reason: &StopReason) -> ResumeAt {
        match reason {
            StopReason::Unverified { .. } => ResumeAt::Check,
            _ if self.phase == Phase::Verify => ResumeAt::Verify,
            _ => ResumeAt::Check,
        }
    }

    fn stop(&mut self, reason: StopReason) {
        self.journal.push_back(Entry::Stopped {
            step: reason.step(),
            reason: reason.to_string(),
            resume: self.resume_at(&reason),
        });
        self.events.push_back(Event::Stopped {
            step: reason.step(),
            reason: reason.to_string(),
        });
        self.state = State::Stopped(reason);
    }
}

/// `now` as RFC 3339 in UTC to the second (`2026-12-02T04:26:56Z`), the form
/// `kubectl rollout restart` writes. A time before 1970 is written as 1970.
pub(crate) fn rfc3339(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whether a step verified by its proxies' version ([`Check::ProxyCurrent`],
/// an InPlace upgrade's restart) meets a live pod whose proxy version the
/// image does not tell (pinned by digest) while the revision's is known: its
/// postconditions then hold whether or not the pod was restarted, so they
/// cannot say the step is already done.
fn proxies_unknown(step: &Step, mesh: &Mesh) -> bool {
    let snapshot = mesh.snapshot();
    step.postconditions.iter().any(|check| {
        let Check::ProxyCurrent { workload, revision } = check else {
            return false;
        };
        let known = mesh
            .revision(revision)
            .and_then(|r| r.version.as_deref())
            .and_then(Version::parse)
            .is_some();
        known
            && snapshot.pods_in(&workload.namespace).any(|p| {
                is_live(p)
                    && running_revision(p).0.revision() == Some(revision.as_str())
                    && snapshot
                        .owner_of(p)
                        .is_some_and(|w| w.kind == workload.kind && w.meta.name == workload.name)
                    && p.proxy_image
                        .as_deref()
                        .and_then(Version::from_image)
                        .is_none()
            })
    })
}

/// A DeploymentConfig's `instantiate`: each one is a new deployment.
fn is_instantiate(r: &Request) -> bool {
    matches!(r, Request::Post { subresource, .. } if subresource == "instantiate")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A step's postconditions; waiting for an object to be gone is one.
fn postconditions(step: &Step) -> Vec<Check> {
    let mut post = step.postconditions.clone();
    if let StepAction::AwaitGone { object } = &step.action {
        let absent = Check::ObjectAbsent {
            object: object.clone(),
        };
        if !post.contains(&absent) {
            post.push(absent);
        }
    }
    post
}

fn evaluate(checks: &[Check], mesh: &Mesh) -> Vec<CheckFailure> {
    checks
        .iter()
        .filter_map(|c| c.evaluate(mesh).err())
        .collect()
}

/// What to read back for a step: the namespaces its action and checks name,
/// every namespace when a check is about a whole revision.
pub(crate) fn observation(step: &Step) -> Observation {
    let mut namespaces = BTreeSet::new();
    let mut all_namespaces = false;
    if let Some(ns) = step.action.namespace() {
        namespaces.insert(ns.to_owned());
    }
    for check in step.preconditions.iter().chain(&step.postconditions) {
        match check {
            Check::NamespaceLabels { namespace, .. }
            | Check::NamespaceInjector { namespace, .. } => {
                namespaces.insert(namespace.clone());
            }
            Check::WorkloadInjector { workload, .. }
            | Check::WorkloadRunning { workload, .. }
            | Check::ProxyCurrent { workload, .. } => {
                namespaces.insert(workload.namespace.clone());
            }
            Check::ObjectPresent { object } | Check::ObjectAbsent { object } => {
                if let Some(ns) = &object.namespace {
                    namespaces.insert(ns.clone());
                }
            }
            Check::RevisionIdle { .. } => all_namespaces = true,
            _ => {}
        }
    }
    // Deleting a control plane: what still uses it is cluster-wide.
    if matches!(step.action, StepAction::Delete { .. }) {
        all_namespaces = true;
    }
    Observation {
        namespaces,
        all_namespaces,
    }
}

fn pods_per_revision(snapshot: &Snapshot, obs: &Observation) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for pod in snapshot.pods().filter(|p| is_live(p)) {
        let ns = pod.meta.namespace.as_deref().unwrap_or_default();
        if !obs.all_namespaces && !obs.namespaces.contains(ns) {
            continue;
        }
        let key = running_revision(pod).0.label().unwrap_or("none").to_owned();
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// The live pods of a workload: (not running `revision`, running it).
fn split_pods(
    snapshot: &Snapshot,
    workload: &WorkloadId,
    revision: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    snapshot
        .pods_owned_by(&workload.namespace, workload.kind, &workload.name)
        .filter(|p| is_live(p))
        .map(|p| {
            let on = match (running_revision(p).0, revision) {
                (Running::Revision(r), Some(want)) => *r == *want,
                (Running::None, None) => true,
                _ => false,
            };
            (p.meta.name.clone(), on)
        })
        .fold((Vec::new(), Vec::new()), |(mut off, mut on), (name, ok)| {
            if ok {
                on.push(name)
            } else {
                off.push(name)
            }
            (off, on)
        })
}

#[cfg(test)]
mod tests {
    use super::rfc3339;
    use std::time::{Duration, SystemTime};

    #[test]
    fn times_are_written_as_kubectl_writes_them() {
        let at = |secs| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @...`: a leap day, the last second of a year, 2100 (no leap day).
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(at(1_796_099_216), "2026-12-01T04:26:56Z");
        // Before 1970 is not a time a cluster has.
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00Z"
        );
    }
}
