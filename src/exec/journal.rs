//! The journal: a run's progress as JSON lines, appended after every outcome, so
//! that a run can be resumed after a crash without trusting memory.
//!
//! A journal belongs to one plan: its first entry carries the plan's fingerprint
//! ([`fingerprint`]), and [`Run::resume`](super::Run::resume) refuses a journal
//! written for another plan.

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, StepId};

/// One line of a journal.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    /// The run began (or was resumed) on this plan.
    Begin {
        /// [`fingerprint`] of the plan.
        plan: String,
        /// How many steps the plan has.
        steps: usize,
        /// The run's changes were dry runs ([`Limits::dry_run`](super::Limits::dry_run)).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dry_run: bool,
    },
    /// A step's change is about to be sent. Written before the request, so a
    /// crash between the two leaves the step in flight, to be re-observed.
    Sent {
        /// The step.
        step: StepId,
        /// 1-based attempt.
        attempt: u32,
        /// For a restart: the `kubectl.kubernetes.io/restartedAt` value the
        /// request carries, the same for every attempt of the step. A resumed run
        /// that finds it on the workload's pod template knows the restart reached
        /// the cluster and does not send it again; otherwise it sends it with this
        /// same value, which cannot cause a second rollout. Absent for other
        /// steps, and in journals written before meshrev recorded it (such a
        /// restart in flight is re-observed and, if its effect is not seen, sent
        /// again with a new value).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restarted_at: Option<String>,
        /// For a DeploymentConfig's rollout (an `instantiate`, which is not
        /// idempotent: each one is a new deployment): its `status.latestVersion`
        /// as the run observed it just before sending. Each instantiate raises it
        /// by one, so a resumed run (or a retry after a timeout, which
        /// re-observes first) that observes a greater value knows the request
        /// took effect and does not send it again. Absent for other steps, when
        /// the observed DeploymentConfig did not show its `latestVersion`, and in
        /// journals written before meshrev recorded it (then, as for those, the
        /// step is re-observed and sent again unless its postconditions hold).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latest_version: Option<i64>,
    },
    /// The cluster accepted the step's change, or a resumed run saw on the
    /// cluster that a change in flight had reached it.
    Applied {
        /// The step.
        step: StepId,
    },
    /// An attempt failed.
    Failed {
        /// The step.
        step: StepId,
        /// 1-based attempt.
        attempt: u32,
        /// What the client reported.
        message: String,
        /// Whether trying again may help.
        retryable: bool,
    },
    /// The step is finished: its postconditions held on the observed cluster.
    Done {
        /// The step.
        step: StepId,
        /// The postconditions held before anything was sent (done by an
        /// earlier run, or by hand), so nothing was.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        already: bool,
    },
    /// The run stopped at a step.
    Stopped {
        /// The step.
        step: StepId,
        /// Why, in one line.
        reason: String,
        /// Where a resumed run picks the step up.
        #[serde(default)]
        resume: ResumeAt,
    },
    /// Every step is done.
    Finished,
}

impl Entry {
    /// The entry as one JSON line (no trailing newline).
    pub fn to_line(&self) -> String {
        // An enum of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a resumed run picks up a step that stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeAt {
    /// Observe, then send the change again if the cluster is still as the step
    /// expects it before (a refused change, one whose effect is missing).
    #[default]
    Check,
    /// Only observe again (a rollout was partial: restarting again would not help).
    Verify,
}

/// Why a journal cannot be read or used.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// A line is not a journal entry.
    #[error("journal line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What serde said.
        message: String,
    },
    /// The journal does not start with a `begin` entry.
    #[error("the journal does not start with a begin entry; it was not written by meshrev exec")]
    NoBegin,
    /// The journal was written for another plan.
    #[error(
        "the journal belongs to plan {found}, not to this plan ({expected}); resume with the plan it was written for, or start a new journal"
    )]
    OtherPlan {
        /// This plan's fingerprint.
        expected: String,
        /// The journal's.
        found: String,
    },
    /// A dry run's journal resumed by a run that applies, or the reverse: the
    /// steps one records as done are not done for the other.
    #[error(
        "the journal was written by {}, and this run {}: its steps recorded as done are not done here; start a new journal",
        if *journal_dry_run { "a dry run" } else { "a run that applied its changes" },
        if *journal_dry_run { "applies" } else { "is a dry run" }
    )]
    OtherMode {
        /// Whether the journal's run was a dry run.
        journal_dry_run: bool,
    },
    /// An entry names a step the plan does not have.
    #[error("journal line {line}: step {step} is not in the plan (it has {steps} steps)")]
    NoSuchStep {
        /// 1-based line number.
        line: usize,
        /// The step named.
        step: StepId,
        /// How many steps the plan has.
        steps: usize,
    },
}

/// Reads a journal's JSON lines (blank lines ignored). A torn last line (the
/// process died while writing it) is dropped: the step it was about is then
/// re-observed, which is what resuming does anyway.
pub fn parse(text: &str) -> Result<Vec<Entry>, JournalError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let mut entries = Vec::with_capacity(lines.len());
    for (n, (line, l)) in lines.iter().enumerate() {
        match serde_json::from_str(l) {
            Ok(e) => entries.push(e),
            Err(_) if n + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(JournalError::Syntax {
                    line: *line,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(entries)
}

/// A plan's fingerprint: 16 hex digits of FNV-1a over its JSON form. Any change
/// to a step, a check or the order changes it.
pub fn fingerprint(plan: &Plan) -> String {
    // Plans hold sorted maps and vectors only, so the JSON form is canonical.
    let text = serde_json::to_string(plan).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
