//! Execution: carrying out a [`Plan`](crate::plan::Plan) with any client, safely.
//!
//! meshrev does no I/O here either. A [`Run`] is a state machine the caller
//! steps, the way quinn-proto drives a connection: [`Run::poll_action`] says what
//! to do next (send these API requests, or read these objects back),
//! the caller does it with its own client (kubectl, kube-rs, a test double) and
//! reports with [`Run::handle_outcome`]. The run decides: continue, retry after a
//! wait it names (the caller owns the clock), or stop with a [`StopReason`] and
//! offer the rollback of what was done ([`Run::rollback_through`]).
//!
//! - Verification is against what the cluster shows, never against the plan: each
//!   step's postconditions are evaluated on the observed snapshot, so a partial
//!   rollout stops the run with the pods named.
//! - The [`journal`] (JSON lines, persisted by the caller after each outcome)
//!   lets [`Run::resume`] continue after a crash, re-observing the step in flight
//!   instead of trusting it; a journal of another plan is refused.
//! - Nothing is applied twice by surprise. The run reads no clock: the caller
//!   passes the time to [`Run::poll_action`], and a restart's
//!   `kubectl.kubernetes.io/restartedAt` value is chosen from it once, journaled
//!   before the request is handed out, and reused by every retry and resumed
//!   run. A resumed run that finds the value on the workload's template knows
//!   the restart was made; otherwise it sends the same value again, which rolls
//!   nothing if it did arrive. Label patches are merge patches and a delete of
//!   an absent object succeeds, so sending those again is harmless. A
//!   DeploymentConfig's `instantiate` is not: the DeploymentConfig's
//!   `status.latestVersion`, which each one raises, is journaled as observed
//!   just before the request, and a greater value observed on resume (or
//!   after a timeout, which is observed before anything is sent again) means
//!   it was made.
//! - [`Executor`] and [`run()`] drive a run in one call; [`SimulatedCluster`] is an
//!   executor over a snapshot, with faults to inject, for rehearsals and tests.
//! - On a cluster, the repository has two executors built on this module: one
//!   over `kubectl` (`examples/kubectl_executor.rs`) and the
//!   `meshrev-kube-executor` program over kube-rs (`examples/kube-executor/`, a
//!   separate package so this crate needs no cluster client). Both dry-run on
//!   the server unless told to apply, and resume from their journal file.
//!
//! ```
//! use meshrev::exec::{self, Fault, Run, SimulatedCluster, State, StopReason};
//! # use meshrev::plan::Plan;
//! # let plan: Plan = serde_json::from_str(r#"{"target":{"name":"ossm3","revision":"ossm3"},
//! #   "strategy":"canary-relabel","sources":[],"scope":{"explicit":false,"namespaces":[]},
//! #   "waves":[{"number":1,"kind":"canary","namespaces":["mercury"],"steps":[
//! #     {"id":1,"action":{"action":"label_namespace","namespace":"mercury","set":{"istio.io/rev":"ossm3"}},"reason":"move",
//! #      "postconditions":[{"check":"namespace_labels","namespace":"mercury","labels":{"istio.io/rev":"ossm3"}}]}]}],
//! #   "end_state":{"namespaces":[],"revisions":[]}}"#).unwrap();
//! # let snapshot = meshrev::Snapshot::from_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: mercury}\n")?;
//! // Step 1 is refused once: the run stops, and a new run resumes from the journal.
//! let mut cluster = SimulatedCluster::new(snapshot).with_fault(Fault::Fail { step: 1 });
//! let mut run = Run::new(plan.clone());
//! let state = exec::run(&mut run, &mut cluster)?;
//! assert!(matches!(state, State::Stopped(StopReason::Failed { step: 1, .. })));
//! let mut run = Run::resume(plan, cluster.journal())?;
//! assert_eq!(exec::run(&mut run, &mut cluster)?, State::Finished);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod executor;
pub mod journal;
mod request;
mod run;
mod simulated;

pub use self::executor::{Executor, run};
pub use self::journal::{Entry, JournalError, ResumeAt, fingerprint};
pub use self::request::{
    PatchKind, RESTARTED_AT, RenderError, Request, Resource, instantiate_body, render, resource,
};
pub use self::run::{
    Action, ActionId, ActionKind, Event, ExecError, Limits, NAMESPACE_KINDS, OBSERVED_KINDS,
    Observation, Outcome, Run, State, StopReason,
};
pub use self::simulated::{Crashed, Fault, SimulatedCluster};
