//! A meshrev plan carried out with kube-rs: an executor that performs a run's
//! actions with `Api::patch` (merge and JSON patches), `Api::delete` and
//! `Api::list`, addressing every object through meshrev's own resource table
//! ([`meshrev::exec::resource`]), so no second map of the API lives here.
//!
//! It is a separate package in the workspace so that meshrev itself keeps no
//! cluster client, runtime or TLS stack among its dependencies.
//!
//! In a dry run (the default), every change goes to the API server with
//! `dryRun=All`: validated and admitted, never persisted. The cluster the run
//! observes after the first observation is then that observation with the
//! accepted changes applied by meshrev's [`SimulatedCluster`].

use std::time::{Duration, SystemTime};

use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use meshrev::exec::{
    self, Action, ActionKind, Entry, Event, Executor, NAMESPACE_KINDS, OBSERVED_KINDS, Observation,
    Outcome, PatchKind, Request, Run, SimulatedCluster, State,
};
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
            message: e.to_string(),
            retryable,
        }
    }
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
