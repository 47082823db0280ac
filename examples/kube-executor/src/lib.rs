//! A meshrev plan carried out with kube-rs: an executor that performs a run's
//! actions with `Api::patch` (merge and JSON patches), `Api::delete` and
//! `Api::list`, addressing every object through meshrev's own resource table
//! ([`meshrev::exec::resource`]), so no second map of the API lives here.
//!
//! The `meshrev-kube-executor` program is [`execute`] over a client from the
//! kubeconfig or the pod's service account (`kube::Client::try_default`):
//!
//! ```text
//! meshrev plan cluster.yaml --to ossm3 --format json > plan.json
//! meshrev-kube-executor plan.json --journal run.jsonl            # server-side dry run
//! meshrev-kube-executor plan.json --journal apply.jsonl --apply  # for real; again to resume
//! ```
//!
//! Events are printed as JSON lines on standard output; each journal entry is
//! appended to the journal file and synced before the next request is sent.
//!
//! It is a separate package in the workspace so that meshrev itself keeps no
//! cluster client, runtime or TLS stack among its dependencies.
//!
//! In a dry run (the default), every change goes to the API server with
//! `dryRun=All`: validated and admitted, never persisted. The cluster the run
//! observes after the first observation is then that observation with the
//! accepted changes applied by meshrev's [`SimulatedCluster`].

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use meshrev::exec::{
    self, Action, ActionKind, Entry, Event, Executor, Limits, NAMESPACE_KINDS, OBSERVED_KINDS,
    Observation, Outcome, PatchKind, Request, Run, SimulatedCluster, State,
};
use meshrev::plan::Plan;
use meshrev::{ObjectRef, Snapshot, SnapshotBuilder};

/// Performs actions with a kube-rs [`Client`].
pub struct KubeExecutor {
    client: Client,
    dry_run: bool,
    rehearsal: Option<SimulatedCluster>,
    /// The caller's clock, for `kubectl.kubernetes.io/restartedAt`.
    clock: Box<dyn Fn() -> SystemTime + Send>,
}

/// A failed request: what the server said, and whether trying again may help.
struct Failure {
    message: String,
    retryable: bool,
}

impl From<kube::Error> for Failure {
    fn from(e: kube::Error) -> Failure {
        let retryable = match &e {
            // Conflicts, throttling and server errors pass; refusals do not.
            kube::Error::Api(status) => {
                status.code == 409 || status.code == 429 || status.code >= 500
            }
            // Connection trouble, timeouts.
            _ => true,
        };
        Failure {
            message: error_chain(&e),
            retryable,
        }
    }
}

/// An error with every cause under it, `top: cause: cause`, following
/// [`std::error::Error::source`]: a connection failure's top-level error
/// (`ServiceError: client error (Connect)`) says nothing of why, its sources do
/// (`tcp connect error: Connection refused (os error 111)`). A cause whose text
/// is already in what precedes it (a `Display` that prints its source) is not
/// repeated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    // Bounded, should a faulty `source` lead back to an error already seen.
    let mut depth = 0;
    while let Some(cause) = source {
        depth += 1;
        if depth > 32 {
            message.push_str(": ...");
            break;
        }
        let text = cause.to_string();
        if !text.is_empty() && !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

impl KubeExecutor {
    /// An executor over `client`; `dry_run` sends every change with `dryRun=All`.
    pub fn new(client: Client, dry_run: bool) -> KubeExecutor {
        KubeExecutor {
            client,
            dry_run,
            rehearsal: None,
            clock: Box::new(SystemTime::now),
        }
    }

    /// Uses `clock` for the time given to [`Run::poll_action`] (a restart's
    /// `restartedAt` value) instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + 'static) -> KubeExecutor {
        self.clock = Box::new(clock);
        self
    }

    /// For a resumed dry run: brings the rehearsal to where the journal says the
    /// earlier run left it, once the first observation has been made.
    fn replay(&mut self, plan: &meshrev::plan::Plan, journal: &[Entry]) -> Result<(), String> {
        if let Some(cluster) = &mut self.rehearsal {
            cluster.replay(plan, journal).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn api(&self, object: &ObjectRef) -> Result<Api<DynamicObject>, Failure> {
        let r = exec::resource(&object.kind).ok_or_else(|| Failure {
            message: format!("{object}: no API resource known for this kind"),
            retryable: false,
        })?;
        let ar = ApiResource {
            group: r.group.to_owned(),
            version: r.version.to_owned(),
            api_version: r.api_version(),
            kind: object.kind.clone(),
            plural: r.plural.to_owned(),
        };
        Ok(match &object.namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        })
    }

    async fn send(&self, request: &Request) -> Result<(), Failure> {
        let object = request.object();
        let api = self.api(object)?;
        match request {
            Request::Patch { patch, .. } => {
                let params = PatchParams {
                    dry_run: self.dry_run,
                    ..PatchParams::default()
                };
                // A restart carries the restartedAt value the run chose.
                let body = request.body().cloned().unwrap_or_default();
                if *patch == PatchKind::Json {
                    let ops: json_patch::Patch =
                        serde_json::from_value(body).map_err(|e| Failure {
                            message: format!("{object}: JSON patch: {e}"),
                            retryable: false,
                        })?;
                    api.patch(&object.name, &params, &Patch::Json::<()>(ops))
                        .await?;
                } else {
                    api.patch(&object.name, &params, &Patch::Merge(body))
                        .await?;
                }
            }
            // A DeploymentConfig's rollout (`oc rollout latest`): the
            // `DeploymentRequest` posted to its `instantiate` subresource.
            Request::Post {
                subresource, body, ..
            } => {
                let params = PostParams {
                    dry_run: self.dry_run,
                    ..PostParams::default()
                };
                api.create_subresource::<_, serde_json::Value>(
                    subresource,
                    &object.name,
                    &params,
                    body,
                )
                .await?;
            }
            Request::Delete { .. } => {
                let params = DeleteParams {
                    dry_run: self.dry_run,
                    ..DeleteParams::default()
                };
                match api.delete(&object.name, &params).await {
                    Ok(_) => {}
                    // Already gone is what a delete wants (`--ignore-not-found`).
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
            }
            _ => {
                return Err(Failure {
                    message: format!("{object}: a request this executor does not know"),
                    retryable: false,
                });
            }
        }
        Ok(())
    }

    async fn list(&self, kind: &str, namespace: Option<&str>) -> Result<Option<String>, Failure> {
        let object = ObjectRef::new(kind, namespace, "");
        let r = exec::resource(kind).ok_or_else(|| Failure {
            message: format!("no API resource known for {kind}"),
            retryable: false,
        })?;
        let api = if r.namespaced && namespace.is_none() {
            let ar = ApiResource {
                group: r.group.to_owned(),
                version: r.version.to_owned(),
                api_version: r.api_version(),
                kind: kind.to_owned(),
                plural: r.plural.to_owned(),
            };
            Api::all_with(self.client.clone(), &ar)
        } else {
            self.api(&object)?
        };
        let list = match api.list(&ListParams::default()).await {
            Ok(list) => list,
            // A CRD the cluster does not have: none of those objects.
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // List items come without apiVersion and kind: put them back, as
        // `kubectl get -o json` does, for meshrev to read.
        let items: Vec<serde_json::Value> = list
            .items
            .into_iter()
            .map(|o| {
                let mut v = serde_json::to_value(&o).unwrap_or_default();
                v["apiVersion"] = r.api_version().into();
                v["kind"] = kind.into();
                v
            })
            .collect();
        Ok(Some(
            serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
        ))
    }

    async fn read(&self, observation: &Observation) -> Result<Snapshot, Failure> {
        let mut texts = Vec::new();
        let mut lists: Vec<(&str, Option<&str>)> = vec![("Namespace", None)];
        lists.extend(OBSERVED_KINDS.iter().map(|k| (*k, None)));
        if observation.all_namespaces {
            lists.extend(NAMESPACE_KINDS.iter().map(|k| (*k, None)));
        } else {
            for ns in &observation.namespaces {
                lists.extend(NAMESPACE_KINDS.iter().map(|k| (*k, Some(ns.as_str()))));
            }
        }
        for (kind, ns) in lists {
            if let Some(text) = self.list(kind, ns).await? {
                texts.push((format!("{kind} list"), text));
            }
        }
        let mut builder = SnapshotBuilder::new();
        for (source, text) in texts {
            builder
                .add_reader(&source, text.as_bytes())
                .map_err(|e| Failure {
                    message: e.to_string(),
                    retryable: false,
                })?;
        }
        Ok(builder.build())
    }

    /// Performs one action.
    pub async fn perform(&mut self, action: &Action) -> Outcome {
        let result = match &action.kind {
            ActionKind::Change { requests } => {
                let mut result = Ok(());
                for r in requests {
                    result = self.send(r).await;
                    if result.is_err() {
                        break;
                    }
                }
                if result.is_ok()
                    && let Some(cluster) = &mut self.rehearsal
                {
                    // The server accepted the dry run: the rehearsal makes the change.
                    let _ = cluster.perform(action);
                }
                result.map(|()| Outcome::Applied)
            }
            ActionKind::Observe(observation) => match &mut self.rehearsal {
                Some(cluster) => cluster.perform(action).map_err(|e| Failure {
                    message: e.to_string(),
                    retryable: false,
                }),
                // A dry run's rehearsal starts from the whole cluster.
                None if self.dry_run => {
                    let all = Observation {
                        all_namespaces: true,
                        ..observation.clone()
                    };
                    self.read(&all).await.map(|snapshot| {
                        self.rehearsal = Some(SimulatedCluster::new(snapshot.clone()));
                        Outcome::Observed(snapshot)
                    })
                }
                None => self.read(observation).await.map(Outcome::Observed),
            },
        };
        result.unwrap_or_else(|f| Outcome::Failed {
            message: f.message,
            retryable: f.retryable,
        })
    }
}

/// Drives `run` to its end with `executor`, handing each journal entry to
/// `record` before the next action and each event to `show`. A resumed dry run
/// replays `journal` on its rehearsal after the first observation.
pub async fn drive(
    run: &mut Run,
    executor: &mut KubeExecutor,
    journal: &[Entry],
    mut record: impl FnMut(&Entry) -> std::io::Result<()>,
    mut show: impl FnMut(&Event),
) -> Result<State, String> {
    let mut replayed = journal.is_empty();
    loop {
        while let Some(e) = run.poll_journal() {
            record(&e).map_err(|e| format!("journal: {e}"))?;
        }
        while let Some(e) = run.poll_event() {
            show(&e);
        }
        let Some(action) = run.poll_action((executor.clock)()) else {
            break;
        };
        while let Some(e) = run.poll_journal() {
            record(&e).map_err(|e| format!("journal: {e}"))?;
        }
        if !action.wait.is_zero() && !executor.dry_run {
            tokio::time::sleep(action.wait.min(Duration::from_secs(60))).await;
        }
        let mut outcome = executor.perform(&action).await;
        if !replayed && executor.rehearsal.is_some() {
            // The rehearsal now holds the cluster as observed; bring it to where
            // the journal says the earlier run left it, and observe that instead.
            executor.replay(run.plan(), journal)?;
            replayed = true;
            outcome = executor.perform(&action).await;
        }
        run.handle_outcome(action.id, outcome)
            .map_err(|e| e.to_string())?;
    }
    while let Some(e) = run.poll_journal() {
        record(&e).map_err(|e| format!("journal: {e}"))?;
    }
    while let Some(e) = run.poll_event() {
        show(&e);
    }
    Ok(run.state().clone())
}

/// What the program was asked to do (`meshrev-kube-executor --help`).
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "meshrev-kube-executor",
    version,
    about = "Carries out a saved meshrev plan on the cluster of the current kubeconfig context (or the pod's service account)",
    long_about = "Carries out a saved meshrev plan (`meshrev plan ... --format json`) on the cluster of the current kubeconfig context, or in a pod with its service account.\n\nWithout --apply every change is sent as a server-side dry run (dryRun=All): validated and admitted by the API server, never persisted; the run then rehearses on what it first observed. With --apply the changes are made. Either way the journal is appended and synced after every outcome, and running the same command again resumes where it ends.\n\nEvents are printed as JSON lines on standard output. Exit codes: 0 finished, 1 stopped (the reason on standard error), 2 could not run."
)]
pub struct Options {
    /// The plan, as `meshrev plan --format json` writes it.
    #[arg(value_name = "PLAN.json")]
    pub plan: PathBuf,
    /// The run's journal (JSON lines): created if missing, resumed if not.
    #[arg(long, value_name = "FILE")]
    pub journal: PathBuf,
    /// Make the changes; without it, every change is a server-side dry run.
    #[arg(long)]
    pub apply: bool,
    /// Observations after a change before unmet postconditions stop the run.
    #[arg(long, value_name = "N", default_value_t = Limits::default().observations)]
    pub observations: u32,
    /// Seconds between observations while a change settles (a rollout runs).
    #[arg(long, value_name = "S", default_value_t = Limits::default().settle.as_secs())]
    pub settle_secs: u64,
}

impl Options {
    fn limits(&self) -> Limits {
        Limits {
            observations: self.observations.max(1),
            settle: Duration::from_secs(self.settle_secs),
            // A dry run's journal says so, and a run that applies refuses it.
            dry_run: !self.apply,
            ..Limits::default()
        }
    }
}

/// Reads the plan and the journal, runs (or resumes) the plan with `client`,
/// appends every journal entry to the journal file (synced before the next
/// request), and writes every event to `events` as a JSON line. `Err` when the
/// run could not be made (a file, a journal of another plan, the journal could
/// not be written); a stop is `Ok(State::Stopped)`.
pub async fn execute(
    client: Client,
    options: &Options,
    clock: impl Fn() -> SystemTime + Send + 'static,
    events: &mut dyn Write,
) -> Result<(Run, State), String> {
    let path = options.plan.display().to_string();
    let text = std::fs::read_to_string(&options.plan).map_err(|e| format!("{path}: {e}"))?;
    let plan: Plan =
        serde_json::from_str(&text).map_err(|e| format!("{path}: not a meshrev plan: {e}"))?;
    let journal_path = options.journal.display().to_string();
    let entries = match std::fs::read_to_string(&options.journal) {
        Ok(t) => exec::journal::parse(&t).map_err(|e| format!("{journal_path}: {e}"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{journal_path}: {e}")),
    };
    let mut run = if entries.is_empty() {
        Run::with_limits(plan, options.limits())
    } else {
        Run::resume_with_limits(plan, &entries, options.limits())
            .map_err(|e| format!("{journal_path}: {e}"))?
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&options.journal)
        .map_err(|e| format!("{journal_path}: {e}"))?;
    let mut executor = KubeExecutor::new(client, !options.apply).with_clock(clock);
    let state = drive(
        &mut run,
        &mut executor,
        &entries,
        |entry| {
            writeln!(file, "{}", entry.to_line())?;
            file.sync_data()
        },
        |event| {
            // Standard output closed (a pipe to `head`): the run goes on.
            let _ = writeln!(
                events,
                "{}",
                serde_json::to_string(event).unwrap_or_default()
            );
        },
    )
    .await
    .map_err(|e| format!("{journal_path}: {e}"))?;
    Ok((run, state))
}
