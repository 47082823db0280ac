//! The `Executor` trait and a blocking loop over it, for callers that want one call.

use std::time::{Duration, SystemTime};

use super::journal::Entry;
use super::run::{Action, Event, Outcome, Run, State};

/// A client that performs a run's actions: kubectl, kube-rs, a test double, or
/// [`SimulatedCluster`](super::SimulatedCluster).
pub trait Executor {
    /// What stops the client itself (a lost connection, a crash), as opposed to
    /// a failed request, which is an [`Outcome::Failed`].
    type Error;

    /// Performs an action: sends its requests, or reads back what it names.
    fn perform(&mut self, action: &Action) -> Result<Outcome, Self::Error>;

    /// The time now, for a restart's `kubectl.kubernetes.io/restartedAt`
    /// ([`Run::poll_action`]). The system clock by default.
    fn now(&mut self) -> SystemTime {
        SystemTime::now()
    }

    /// Waits before an action (a retry, a rollout settling). Sleeps by default.
    fn wait(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    /// Persists a journal entry (append one line). Nothing by default.
    fn record(&mut self, entry: &Entry) -> Result<(), Self::Error> {
        let _ = entry;
        Ok(())
    }

    /// Shows an event. Nothing by default.
    fn event(&mut self, event: &Event) {
        let _ = event;
    }
}

/// Drives `run` with `executor` until it finishes or stops, recording every
/// journal entry before the next action is performed. Returns the run's state;
/// an executor error ends the loop at once (the journal says where).
pub fn run<E: Executor>(run: &mut Run, executor: &mut E) -> Result<State, E::Error> {
    loop {
        flush(run, executor)?;
        let Some(action) = run.poll_action(executor.now()) else {
            break;
        };
        // `Sent` is in the journal before the request leaves.
        flush(run, executor)?;
        if !action.wait.is_zero() {
            executor.wait(action.wait);
        }
        let outcome = executor.perform(&action)?;
        // The id is the one just polled, so it is always awaited.
        let _ = run.handle_outcome(action.id, outcome);
    }
    flush(run, executor)?;
    Ok(run.state().clone())
}

fn flush<E: Executor>(run: &mut Run, executor: &mut E) -> Result<(), E::Error> {
    while let Some(entry) = run.poll_journal() {
        executor.record(&entry)?;
    }
    while let Some(event) = run.poll_event() {
        executor.event(&event);
    }
    Ok(())
}
