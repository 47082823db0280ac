//! Carries out a saved meshrev plan with `kubectl`: an [`Executor`] over
//! `std::process::Command` (an argument vector, never a shell string).
//!
//! ```text
//! cargo run --example meshrev -- plan cluster.yaml --to ossm3 --format json > plan.json
//! cargo run --example kubectl_executor -- plan.json --journal run.jsonl           # server-side dry run
//! cargo run --example kubectl_executor -- plan.json --journal run.jsonl --apply   # for real
//! ```
//!
//! Without `--apply` every change is sent with `--dry-run=server`: the API server
//! and its admission webhooks validate it, nothing is persisted, and the cluster
//! the run observes afterwards is the first observation with the accepted changes
//! applied by meshrev's simulated cluster. With `--journal`, running the same
//! command again after a stop or a crash resumes where the journal ends.
//!
//! Exit codes: 0 finished, 1 stopped (the reason on standard error), 2 could not run.

use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use meshrev::exec::{
    self, Action, ActionKind, Entry, Event, Executor, Limits, Outcome, PatchKind, Request, Run,
    SimulatedCluster, State,
};
use meshrev::plan::{Plan, StepAction};
use meshrev::{Snapshot, SnapshotBuilder};

/// Kinds read in one `kubectl get -A`: every cluster has them.
const CORE: &str = "namespaces,pods,deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,mutatingwebhookconfigurations,configmaps";
/// The mesh's own kinds and OpenShift's, read one by one: a cluster without
/// the CRD or API group refuses its name.
const MESH_KINDS: [&str; 7] = [
    "deploymentconfigs.apps.openshift.io",
    "servicemeshcontrolplanes.maistra.io",
    "servicemeshmemberrolls.maistra.io",
    "servicemeshmembers.maistra.io",
    "istios.sailoperator.io",
    "istiorevisions.sailoperator.io",
    "istiorevisiontags.sailoperator.io",
];

/// kubectl's own message from its standard error, without the klog lines
/// (`E1202 04:45:51.909215    5071 memcache.go:265] ...`) that client-go prints
/// before it, a dozen at a time when the server is unreachable.
fn kubectl_error(stderr: &str) -> String {
    let is_klog = |line: &str| {
        let mut chars = line.chars();
        matches!(chars.next(), Some('E' | 'W' | 'I' | 'F'))
            && chars.take(4).all(|c| c.is_ascii_digit())
            && line.contains("] ")
    };
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let message: Vec<&str> = lines.iter().copied().filter(|l| !is_klog(l)).collect();
    match (message.is_empty(), lines.last()) {
        (false, _) => message.join("\n"),
        (true, Some(last)) => (*last).to_owned(),
        (true, None) => "kubectl failed with no message".to_owned(),
    }
}

struct Kubectl {
    program: String,
    apply: bool,
    /// In a dry run: the cluster as the accepted changes would leave it.
    rehearsal: Option<SimulatedCluster>,
    journal: Option<(String, std::fs::File)>,
}

impl Kubectl {
    /// Runs kubectl; `Err` carries its standard error.
    fn call(&self, args: &[String]) -> Result<String, String> {
        self.call_with(args, None)
    }

    /// Runs kubectl with `input` on its standard input.
    fn call_with(&self, args: &[String], input: Option<&str>) -> Result<String, String> {
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.program))?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to {}: {e}", self.program))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("cannot run {}: {e}", self.program))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(kubectl_error(&String::from_utf8_lossy(&out.stderr)))
        }
    }

    fn observe(&mut self) -> Outcome {
        if let Some(cluster) = &mut self.rehearsal {
            return Outcome::Observed(cluster.mesh().snapshot().clone());
        }
        match self.read_cluster() {
            Ok(snapshot) => Outcome::Observed(snapshot),
            Err(message) => Outcome::Failed {
                message,
                retryable: true,
            },
        }
    }

    fn read_cluster(&self) -> Result<Snapshot, String> {
        let mut builder = SnapshotBuilder::new();
        let core = self.call(&args(["get", CORE, "-A", "-o", "json"]))?;
        builder
            .add_reader("kubectl get", core.as_bytes())
            .map_err(|e| e.to_string())?;
        for kind in MESH_KINDS {
            match self.call(&args(["get", kind, "-A", "-o", "json"])) {
                Ok(text) => {
                    builder
                        .add_reader(kind, text.as_bytes())
                        .map_err(|e| e.to_string())?;
                }
                Err(e) if e.contains("doesn't have a resource type") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(builder.build())
    }

    fn change(&mut self, action: &Action, step: &StepAction, requests: &[Request]) -> Outcome {
        for request in requests {
            let mut argv = command(step, request);
            let input = match request {
                Request::Post { body, .. } => {
                    if !self.apply {
                        // A raw request takes the dry run as a query parameter.
                        if let Some(path) = argv.iter_mut().find(|a| a.starts_with('/')) {
                            path.push_str("?dryRun=All");
                        }
                    }
                    Some(body.to_string())
                }
                _ => {
                    if !self.apply {
                        argv.push("--dry-run=server".to_owned());
                    }
                    None
                }
            };
            if let Err(message) = self.call_with(&argv, input.as_deref()) {
                // Refusals (forbidden, invalid, denied by a webhook) will not heal.
                let retryable = !["Forbidden", "Invalid", "denied", "NotFound", "not found"]
                    .iter()
                    .any(|w| message.contains(w));
                return Outcome::Failed { message, retryable };
            }
        }
        if let Some(cluster) = &mut self.rehearsal {
            // The server accepted the change: let the rehearsal make it.
            if let Err(e) = cluster.perform(action) {
                return Outcome::Failed {
                    message: e.to_string(),
                    retryable: false,
                };
            }
        }
        Outcome::Applied
    }
}

fn args<const N: usize>(a: [&str; N]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// The kubectl command for one request.
fn command(step: &StepAction, request: &Request) -> Vec<String> {
    let object = request.object();
    let mut argv: Vec<String> = Vec::new();
    match (step, request) {
        // `kubectl label`, as an operator would type it (and the plan's script says).
        (
            StepAction::LabelNamespace {
                namespace,
                set,
                remove,
            },
            _,
        ) => {
            argv.extend(args(["label", "namespace"]));
            argv.push(namespace.clone());
            argv.extend(set.iter().map(|(k, v)| format!("{k}={v}")));
            argv.extend(remove.iter().map(|k| format!("{k}-")));
            argv.push("--overwrite=true".to_owned());
            return argv;
        }
        // A restart is sent as the merge patch `kubectl rollout restart` would
        // send, but with the restartedAt value the run chose and journaled
        // (rollout restart would pick its own): sent again after a crash, it
        // changes nothing, so the workload is never rolled twice.
        (_, Request::Patch { patch, body, .. }) => {
            argv.push("patch".to_owned());
            argv.push(request.resource());
            argv.push(object.name.clone());
            argv.push("--type".to_owned());
            argv.push(
                if *patch == PatchKind::Json {
                    "json"
                } else {
                    "merge"
                }
                .to_owned(),
            );
            argv.push("-p".to_owned());
            argv.push(body.to_string());
        }
        // A DeploymentConfig's rollout (`oc rollout latest`): the POST itself, as
        // kubectl sends raw requests; a dry run asks the server with `dryRun=All`.
        // (The body goes on standard input, `-f -`: see `Kubectl::change`.)
        (_, Request::Post { .. }) => {
            argv.extend(args(["create", "--raw"]));
            argv.push(request.path());
            argv.extend(args(["-f", "-"]));
            return argv;
        }
        (_, Request::Delete { .. }) => {
            argv.push("delete".to_owned());
            argv.push(request.resource());
            argv.push(object.name.clone());
            argv.push("--ignore-not-found".to_owned());
        }
        _ => {}
    }
    if let Some(ns) = &object.namespace {
        argv.push("-n".to_owned());
        argv.push(ns.clone());
    }
    argv
}

impl Executor for Kubectl {
    type Error = String;

    fn perform(&mut self, action: &Action) -> Result<Outcome, String> {
        Ok(match &action.kind {
            ActionKind::Change { requests } => self.change(action, &action.step_action, requests),
            ActionKind::Observe(_) => {
                let outcome = self.observe();
                // A dry run starts from the real cluster, then rehearses on it.
                if !self.apply
                    && self.rehearsal.is_none()
                    && let Outcome::Observed(s) = &outcome
                {
                    self.rehearsal = Some(SimulatedCluster::new(s.clone()));
                }
                outcome
            }
        })
    }

    fn wait(&mut self, duration: Duration) {
        if self.apply {
            std::thread::sleep(duration);
        }
    }

    fn record(&mut self, entry: &Entry) -> Result<(), String> {
        if let Some((path, file)) = &mut self.journal {
            writeln!(file, "{}", entry.to_line())
                .and_then(|()| file.sync_data())
                .map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(())
    }

    fn event(&mut self, event: &Event) {
        println!("{}", serde_json::to_string(event).unwrap_or_default());
    }
}

struct Options {
    plan: String,
    journal: Option<String>,
    apply: bool,
    kubectl: String,
    limits: Limits,
}

fn parse_args() -> Result<Options, String> {
    let mut it = std::env::args().skip(1);
    let mut o = Options {
        plan: String::new(),
        journal: None,
        apply: false,
        kubectl: "kubectl".to_owned(),
        limits: Limits::default(),
    };
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--apply" => o.apply = true,
            "--journal" => o.journal = Some(value("--journal")?),
            "--kubectl" => o.kubectl = value("--kubectl")?,
            "--observations" => {
                o.limits.observations = value("--observations")?
                    .parse()
                    .map_err(|e| format!("--observations: {e}"))?
            }
            "--settle-secs" => {
                o.limits.settle = Duration::from_secs(
                    value("--settle-secs")?
                        .parse()
                        .map_err(|e| format!("--settle-secs: {e}"))?,
                )
            }
            "-h" | "--help" => {
                return Err("usage: kubectl_executor PLAN.json [--apply] [--journal FILE] [--kubectl PROGRAM] [--observations N] [--settle-secs S]".into());
            }
            _ if o.plan.is_empty() && !a.starts_with('-') => o.plan = a,
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    if o.plan.is_empty() {
        return Err("no plan given".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    match main_() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn main_() -> Result<bool, String> {
    let mut o = parse_args()?;
    let text = std::fs::read_to_string(&o.plan).map_err(|e| format!("{}: {e}", o.plan))?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", o.plan))?;
    let entries = match &o.journal {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => exec::journal::parse(&t).map_err(|e| format!("{path}: {e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{path}: {e}")),
        },
        None => Vec::new(),
    };
    // A dry run's journal says so, and a run that applies refuses it.
    o.limits.dry_run = !o.apply;
    if !o.apply && !entries.is_empty() {
        return Err("a dry run keeps its changes in memory only: resume a journal with --apply, or start a new journal".into());
    }
    let mut run = if entries.is_empty() {
        Run::with_limits(plan.clone(), o.limits)
    } else {
        Run::resume_with_limits(plan.clone(), &entries, o.limits).map_err(|e| e.to_string())?
    };
    let journal = match &o.journal {
        Some(path) => Some((
            path.clone(),
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{path}: {e}"))?,
        )),
        None => None,
    };
    let mut kubectl = Kubectl {
        program: o.kubectl.clone(),
        apply: o.apply,
        rehearsal: None,
        journal,
    };
    match exec::run(&mut run, &mut kubectl)? {
        State::Finished => Ok(true),
        State::Stopped(reason) => {
            eprintln!("kubectl_executor: stopped: {reason}");
            if let Some(done) = run.rollback_through() {
                eprintln!(
                    "kubectl_executor: to undo steps 1 to {done}: meshrev plan SNAPSHOT --to {} --rollback --done {done}",
                    plan.target.name
                );
            }
            Ok(false)
        }
        _ => Err("the run ended while still running".into()),
    }
}
