//! `meshrev exec`: rehearse a saved plan on the simulated cluster, resumable
//! from its journal, showing progress as a line on a terminal and as JSON lines
//! otherwise.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};

use meshrev::exec::{self, Entry, Event, Executor, Fault, Limits, Run, SimulatedCluster, State};
use meshrev::plan::Plan;
use meshrev::{Mesh, Snapshot};

use crate::Failure;

/// Reads a plan saved by `plan --format json` (or `yaml`).
pub fn read_plan(path: &str) -> Result<Plan, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let parsed = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_yaml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| Failure::Message(format!("{path}: not a meshrev plan: {e}")))
}

/// The simulated cluster wrapped with the journal file and the progress display.
struct Rehearsal {
    cluster: SimulatedCluster,
    journal: Option<std::fs::File>,
    journal_path: String,
    tty: bool,
    line: Progress,
}

#[derive(Default)]
struct Progress {
    wave: String,
    step: String,
    namespaces: String,
    pods: String,
}

impl Executor for Rehearsal {
    type Error = String;

    fn perform(&mut self, action: &exec::Action) -> Result<exec::Outcome, String> {
        self.cluster.perform(action).map_err(|e| e.to_string())
    }

    fn wait(&mut self, _duration: std::time::Duration) {}

    fn record(&mut self, entry: &Entry) -> Result<(), String> {
        if let Some(file) = &mut self.journal {
            // One line per entry, on disk before the next action is performed.
            writeln!(file, "{}", entry.to_line())
                .and_then(|()| file.sync_data())
                .map_err(|e| format!("{}: {e}", self.journal_path))?;
        }
        Ok(())
    }

    fn event(&mut self, event: &Event) {
        if !self.tty {
            println!("{}", serde_json::to_string(event).unwrap_or_default());
            return;
        }
        let p = &mut self.line;
        match event {
            Event::WaveStarted {
                wave, waves, kind, ..
            } => p.wave = format!("wave {wave}/{waves} {kind}"),
            Event::StepStarted {
                step,
                steps,
                action,
            } => p.step = format!("step {step}/{steps} {action}"),
            Event::NamespaceDone { done, total, .. } => {
                p.namespaces = format!("namespaces {done}/{total}")
            }
            Event::Pods { revisions } => {
                p.pods = revisions
                    .iter()
                    .map(|(r, n)| format!("{r}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            Event::Retrying { step, message, .. } => {
                eprintln!("\r\x1b[2Kstep {step}: retrying: {message}");
            }
            Event::Stopped { reason, .. } => eprintln!("\r\x1b[2Kstopped: {reason}"),
            Event::Finished => {}
            _ => {}
        }
        let text = [&p.wave, &p.step, &p.namespaces, &p.pods]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" | ");
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        if matches!(event, Event::Finished) {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

/// Runs (or resumes) `plan` on a simulated copy of `snapshot`. `Ok(true)` when
/// the run finished, `Ok(false)` when it stopped (the reason is on standard error).
pub fn exec(
    plan: Plan,
    snapshot: Snapshot,
    fail_at: Option<usize>,
    journal: Option<&str>,
) -> Result<bool, Failure> {
    if let Some(k) = fail_at
        && plan.step(k).is_none()
    {
        return Err(format!("--fail-at {k}: the plan has steps 1 to {}", plan.len()).into());
    }
    let mesh = Mesh::new(snapshot);
    let entries = match journal {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => exec::journal::parse(&text).map_err(|e| format!("{path}: {e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{path}: {e}").into()),
        },
        None => Vec::new(),
    };
    let mut cluster = SimulatedCluster::from_mesh(mesh);
    // A rehearsal changes no cluster: its journal says so, so that no executor
    // that applies takes its steps as done.
    let limits = Limits {
        dry_run: true,
        ..Limits::default()
    };
    let mut run = if entries.is_empty() {
        Run::with_limits(plan.clone(), limits)
    } else {
        let run = Run::resume_with_limits(plan.clone(), &entries, limits)
            .map_err(|e| format!("{}: {e}", journal.unwrap_or_default()))?;
        // The simulated cluster lives in memory only: bring it to where the
        // journal says the last run left it.
        cluster
            .replay(&plan, &entries)
            .map_err(|e| format!("replaying the journal: {e}"))?;
        run
    };
    if let Some(k) = fail_at {
        cluster.inject(Fault::Fail { step: k });
    }
    let file = match journal {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{path}: {e}"))?,
        ),
        None => None,
    };
    let mut rehearsal = Rehearsal {
        cluster,
        journal: file,
        journal_path: journal.unwrap_or_default().to_owned(),
        tty: std::io::stdout().is_terminal(),
        line: Progress::default(),
    };
    let state = exec::run(&mut run, &mut rehearsal)?;
    match state {
        State::Finished => Ok(true),
        State::Stopped(reason) => {
            let resume = match journal {
                Some(path) => format!("run the same command again to resume from {path}"),
                None => "give --journal FILE to be able to resume".to_owned(),
            };
            eprintln!("meshrev: the run stopped: {reason}");
            eprintln!("meshrev: {resume}");
            if let Some(done) = run.rollback_through() {
                eprintln!(
                    "meshrev: to undo steps 1 to {done} instead: meshrev plan SNAPSHOT --to {} --rollback --done {done}",
                    plan.target.name
                );
            }
            Ok(false)
        }
        State::Running => Err("the run ended while still running".into()),
    }
}
