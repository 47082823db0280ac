//! The kube-rs executor against a mock API server (a `tower-test` service under
//! `kube::Client::new`), driven through [`execute`], the program's own code: the
//! story's plan (`fixtures/ossm-2.6-to-3.0/01-before.yaml` to `ossm3`) must
//! produce exactly the HTTP requests a real API server expects (method, path and
//! query, content type, patch body), with `dryRun=All` in a dry run and without
//! it with `--apply`; scripted responses drive the run to completion, through a
//! refusal and a resume, and through a crash between sending a change and
//! recording its outcome, after which nothing is sent twice.
//!
//! With `--apply` the mock keeps the objects and changes them as the API server
//! would (RFC 7386 merge patches, RFC 6902 JSON patches, deletes, a
//! DeploymentConfig's `instantiate`, which raises its `status.latestVersion`),
//! and plays the Deployment and DeploymentConfig controllers and the injector: a
//! template whose `kubectl.kubernetes.io/restartedAt` value changes, or an
//! instantiate, rolls the workload's pods onto the revision that injects their
//! namespace (meshrev's own resolution), and is counted, so a test can prove
//! that no workload was rolled twice. A connection error with its causes under
//! it checks that a stop reason carries them all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::{Request as HttpRequest, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use meshrev::exec::{self, Entry, State};
use meshrev::plan::{self, Plan, Request};
use meshrev::{Mesh, Snapshot, SnapshotBuilder};
use meshrev_kube_executor::{Options, execute};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tower_test::mock;

const FIXTURE: &str = "../../fixtures/ossm-2.6-to-3.0/01-before.yaml";
const NOW: &str = "2026-12-02T02:00:00Z";

/// `NOW` as the caller's clock gives it, `later` seconds on.
fn now(later: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_176_800 + later)
}

fn story_plan() -> Plan {
    let mesh = Mesh::new(Snapshot::from_path(FIXTURE).unwrap());
    plan::plan(&mesh, &Request::to("ossm3")).unwrap()
}

/// One request the mock received.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    uri: String,
    content_type: Option<String>,
    body: Value,
}

/// The list paths an object answers to.
fn list_paths(o: &Value) -> Vec<String> {
    let Some(r) = o["kind"].as_str().and_then(exec::resource) else {
        return Vec::new();
    };
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    let mut paths = vec![format!("{prefix}/{}", r.plural)];
    if let Some(ns) = o["metadata"]["namespace"].as_str() {
        paths.push(format!("{prefix}/namespaces/{ns}/{}", r.plural));
    }
    paths
}

/// The object's own path.
fn object_path(o: &Value) -> Option<String> {
    let kind = o["kind"].as_str()?;
    let r = exec::resource(kind)?;
    let name = o["metadata"]["name"].as_str()?;
    let base = if r.namespaced {
        list_paths(o).pop()?
    } else {
        list_paths(o).remove(0)
    };
    Some(format!("{base}/{name}"))
}

/// What the mock API server holds, across sessions (a resumed run talks to
/// the cluster the crashed one left).
struct Cluster {
    objects: Vec<Value>,
    /// Rollouts per `namespace/name` of a workload.
    rollouts: BTreeMap<String, u32>,
    /// Rollouts under way: (namespace, workload kind, name, pod lists of the
    /// namespace still to answer before the pods are replaced).
    under_way: Vec<(String, String, String, u32)>,
    /// Pod lists a new rollout takes (0: at once).
    rollout_lists: u32,
}

impl Cluster {
    fn new() -> Arc<Mutex<Cluster>> {
        let list: Value = serde_yaml::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
        Arc::new(Mutex::new(Cluster {
            objects: list["items"].as_array().unwrap().clone(),
            rollouts: BTreeMap::new(),
            under_way: Vec::new(),
            rollout_lists: 0,
        }))
    }

    fn find(&mut self, path: &str) -> Option<&mut Value> {
        self.objects
            .iter_mut()
            .find(|o| object_path(o).as_deref() == Some(path))
    }

    /// The revision that injects `namespace` now, by meshrev's resolution.
    fn injector(&self, namespace: &str) -> Option<String> {
        let text = json!({"apiVersion": "v1", "kind": "List", "items": self.objects}).to_string();
        let mut b = SnapshotBuilder::new();
        b.add_reader("mock", text.as_bytes()).unwrap();
        let mesh = Mesh::new(b.build());
        mesh.resolve_namespace(namespace)
            .revision()
            .map(str::to_owned)
    }

    /// A rollout of a Deployment or DeploymentConfig begins: counted now, its
    /// pods replaced at once or after `rollout_lists` lists of the namespace's pods.
    fn roll(&mut self, namespace: &str, kind: &str, name: &str) {
        *self
            .rollouts
            .entry(format!("{namespace}/{name}"))
            .or_insert(0) += 1;
        if self.rollout_lists == 0 {
            self.replace_pods(namespace, kind, name);
        } else {
            self.under_way.push((
                namespace.to_owned(),
                kind.to_owned(),
                name.to_owned(),
                self.rollout_lists,
            ));
        }
    }

    /// The namespace's pods are listed: rollouts under way there progress.
    fn pods_listed(&mut self, namespace: &str) {
        let mut finished = Vec::new();
        for (ns, kind, name, lists) in &mut self.under_way {
            if ns == namespace {
                *lists -= 1;
                if *lists == 0 {
                    finished.push((kind.clone(), name.clone()));
                }
            }
        }
        self.under_way.retain(|(_, _, _, lists)| *lists > 0);
        for (kind, name) in finished {
            self.replace_pods(namespace, &kind, &name);
        }
    }

    /// The Deployment (or DeploymentConfig) controller and the injector: the
    /// workload's pods (through its ReplicaSets, or ReplicationControllers) are
    /// replaced by pods of the injecting revision.
    fn replace_pods(&mut self, namespace: &str, kind: &str, deployment: &str) {
        let child = if kind == "DeploymentConfig" {
            "ReplicationController"
        } else {
            "ReplicaSet"
        };
        let Some(revision) = self.injector(namespace) else {
            return;
        };
        let owned_by = |o: &Value, kind: &str, name: &str| {
            o["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r["kind"] == kind && r["name"] == name))
        };
        let sets: Vec<String> = self
            .objects
            .iter()
            .filter(|o| {
                o["kind"] == child
                    && o["metadata"]["namespace"] == namespace
                    && owned_by(o, kind, deployment)
            })
            .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_owned))
            .collect();
        for pod in self.objects.iter_mut().filter(|o| {
            o["kind"] == "Pod"
                && o["metadata"]["namespace"] == namespace
                && sets.iter().any(|s| owned_by(o, child, s))
        }) {
            let annotations = &mut pod["metadata"]["annotations"];
            annotations["istio.io/rev"] = revision.clone().into();
            if let Some(status) = annotations["sidecar.istio.io/status"].as_str() {
                let mut status: Value = serde_json::from_str(status).unwrap();
                status["revision"] = revision.clone().into();
                annotations["sidecar.istio.io/status"] = status.to_string().into();
            }
        }
    }

    /// Performs a change; `Err` is the status to answer.
    fn change(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &Value,
    ) -> Result<Value, StatusCode> {
        if method == "DELETE" {
            let before = self.objects.len();
            self.objects
                .retain(|o| object_path(o).as_deref() != Some(path));
            return if self.objects.len() < before {
                Ok(json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}))
            } else {
                Err(StatusCode::NOT_FOUND)
            };
        }
        // `oc rollout latest`: the instantiate raises the DeploymentConfig's
        // latestVersion and starts a deployment (openshift-apiserver
        // `pkg/apps/apiserver/registry/instantiate/rest.go`).
        if let Some(dc) = path.strip_suffix("/instantiate") {
            let object = self.find(dc).ok_or(StatusCode::NOT_FOUND)?;
            let latest = object["status"]["latestVersion"].as_i64().unwrap_or(0) + 1;
            object["status"]["latestVersion"] = latest.into();
            let after = object.clone();
            let ns = after["metadata"]["namespace"].as_str().unwrap_or_default();
            let name = after["metadata"]["name"].as_str().unwrap_or_default();
            self.roll(ns, "DeploymentConfig", name);
            return Ok(after);
        }
        let object = self.find(path).ok_or(StatusCode::NOT_FOUND)?;
        let restarted = |o: &Value| {
            o["spec"]["template"]["metadata"]["annotations"][exec::RESTARTED_AT].clone()
        };
        let before = restarted(object);
        if content_type == "application/json-patch+json" {
            let ops: json_patch::Patch = serde_json::from_value(body.clone())
                .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
            json_patch::patch(object, &ops).map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
        } else {
            json_patch::merge(object, body);
        }
        let after = object.clone();
        if after["kind"] == "Deployment" && restarted(&after) != before {
            let ns = after["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let name = after["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            self.roll(&ns, "Deployment", &name);
        }
        Ok(after)
    }
}

fn respond(status: StatusCode, body: Value) -> Response<Body> {
    let mut r = Response::new(Body::from(serde_json::to_vec(&body).unwrap()));
    *r.status_mut() = status;
    r
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    respond(
        code,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
               "reason": reason, "code": code.as_u16(), "message": message}),
    )
}

/// What goes wrong in a session, by 1-based change number.
#[derive(Debug, Clone, Copy, Default)]
struct Script {
    /// This change is refused with 403.
    fail: Option<usize>,
    /// This change reaches the cluster, then the executor dies before the
    /// answer arrives.
    crash_after: Option<usize>,
    /// This change is lost on its way (not made), and the executor dies.
    crash_before: Option<usize>,
    /// From this change on, the server cannot be reached: the client gets a
    /// connection error with its causes under it, as hyper-util's would be.
    unreachable_from: Option<usize>,
}

/// A connection failure as a client stack reports it: the top-level error
/// says what failed, its sources why (hyper-util's legacy client error over
/// its connector's, over the socket's `io::Error`).
#[derive(Debug)]
struct Unreachable {
    layer: &'static str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Unreachable {
    fn new() -> Unreachable {
        Unreachable {
            layer: "client error (Connect)",
            source: Some(Box::new(Unreachable {
                layer: "tcp connect error",
                source: Some(Box::new(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                ))),
            })),
        }
    }
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.layer)
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Serves until the client is dropped: lists from the cluster (404 for a kind
/// it has none of, as for a CRD the cluster lacks), changes as the script says;
/// a change sent with `dryRun=All` is answered and not made.
async fn serve(
    handle: mock::Handle<HttpRequest<Body>, Response<Body>>,
    cluster: Arc<Mutex<Cluster>>,
    script: Script,
    crashed: oneshot::Sender<()>,
) -> Vec<Seen> {
    let mut handle = pin!(handle);
    let mut seen = Vec::new();
    let mut changes = 0;
    let mut crashed = Some(crashed);
    // Answers never given (the executor died waiting for them).
    let mut unanswered = Vec::new();
    while let Some((request, send)) = handle.next_request().await {
        let method = request.method().to_string();
        let uri = request.uri().to_string();
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = request.into_body().collect_bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        seen.push(Seen {
            method: method.clone(),
            uri: uri.clone(),
            content_type: content_type.clone(),
            body: body.clone(),
        });
        let path = uri.split('?').next().unwrap().to_owned();
        if method == "GET" {
            if let Some(ns) = path
                .strip_prefix("/api/v1/namespaces/")
                .and_then(|p| p.strip_suffix("/pods"))
            {
                cluster.lock().unwrap().pods_listed(ns);
            }
            let items: Vec<Value> = cluster
                .lock()
                .unwrap()
                .objects
                .iter()
                .filter(|o| list_paths(o).contains(&path))
                .cloned()
                .collect();
            if items.is_empty() && path.contains("istiorevisiontags") {
                send.send_response(status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource",
                ));
            } else {
                send.send_response(respond(
                    StatusCode::OK,
                    json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items}),
                ));
            }
            continue;
        }
        changes += 1;
        if script.unreachable_from.is_some_and(|k| changes >= k) {
            send.send_error(Unreachable::new());
            continue;
        }
        if Some(changes) == script.fail {
            send.send_response(status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "refused by the mock",
            ));
            continue;
        }
        if Some(changes) == script.crash_before {
            let _ = crashed.take().map(|c| c.send(()));
            unanswered.push(send);
            continue;
        }
        let dry_run = uri.contains("dryRun=All") || body["dryRun"] == json!(["All"]);
        let result = if dry_run {
            let name = path.rsplit('/').next().unwrap();
            Ok(json!({"metadata": {"name": name}}))
        } else {
            cluster.lock().unwrap().change(
                &method,
                &path,
                content_type.as_deref().unwrap_or_default(),
                &body,
            )
        };
        if Some(changes) == script.crash_after {
            let _ = crashed.take().map(|c| c.send(()));
            unanswered.push(send);
            continue;
        }
        send.send_response(match result {
            Ok(body) => respond(StatusCode::OK, body),
            Err(code) => status(code, "NotFound", "not found"),
        });
    }
    drop(unanswered);
    seen
}

/// What the story's plan must send, in order: method, URI, content type, body.
fn expected(plan: &Plan, dry_run: bool) -> Vec<Seen> {
    let mesh = Mesh::new(Snapshot::from_path(FIXTURE).unwrap());
    let mut out = Vec::new();
    for step in plan.steps() {
        for mut r in exec::render(&step.action, mesh.snapshot()).unwrap() {
            r.stamp(NOW);
            // kube-rs sends a delete's options (dryRun) as a JSON body, and a
            // patch's in the query.
            let delete = r.method() == "DELETE";
            let query = if dry_run && !delete {
                "&dryRun=All"
            } else {
                ""
            };
            let delete_body = if dry_run {
                json!({"dryRun": ["All"]})
            } else {
                json!({})
            };
            out.push(Seen {
                method: r.method().to_owned(),
                uri: format!("{}?{query}", r.path()),
                content_type: Some(r.content_type().unwrap_or("application/json").to_owned()),
                body: r.body().cloned().unwrap_or(delete_body),
            });
        }
    }
    out
}

/// `seen` with its restartedAt value (if it is a restart) set to `at`.
fn restamp(mut seen: Seen, at: &str) -> Seen {
    let pointer = "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt";
    if let Some(value) = seen.body.pointer_mut(pointer) {
        *value = at.into();
    }
    seen
}

/// A scratch directory with the story's plan saved in it.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("plan.json");
    std::fs::write(&plan, serde_json::to_string(&story_plan()).unwrap()).unwrap();
    (dir, plan)
}

/// What one run of the program did.
struct Session {
    /// `None`: the executor died (a crash in the script).
    state: Option<State>,
    /// The journal file after it.
    journal: Vec<Entry>,
    /// The JSON lines it printed.
    events: Vec<Value>,
    /// The changes the mock received.
    changes: Vec<Seen>,
}

/// Runs the program's code (or resumes it from the journal file) against a
/// mock over `cluster`, with the clock `later` seconds after `NOW`.
async fn session(
    dir: &Path,
    plan: &Path,
    apply: bool,
    cluster: &Arc<Mutex<Cluster>>,
    script: Script,
    later: u64,
) -> Session {
    let (service, handle) = mock::pair::<HttpRequest<Body>, Response<Body>>();
    let (crash_tx, crash_rx) = oneshot::channel();
    let server = tokio::spawn(serve(handle, cluster.clone(), script, crash_tx));
    let client = Client::new(service, "default");
    let options = Options {
        plan: plan.to_path_buf(),
        journal: dir.join("run.jsonl"),
        apply,
        observations: 2,
        settle_secs: 0,
    };
    let mut out = Vec::new();
    let state = {
        let run = execute(client, &options, move || now(later), &mut out);
        tokio::select! {
            biased;
            // The process dies: the future is dropped where it waits.
            Ok(()) = crash_rx => None,
            result = run => Some(result.unwrap().1),
        }
    };
    let seen = server.await.unwrap();
    let text = std::fs::read_to_string(&options.journal).unwrap();
    Session {
        state,
        journal: exec::journal::parse(&text).unwrap(),
        events: String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        changes: seen.into_iter().filter(|s| s.method != "GET").collect(),
    }
}

#[tokio::test]
async fn a_dry_run_sends_exactly_the_requests_an_api_server_expects_and_changes_nothing() {
    let (dir, plan_path) = scratch("dry-run");
    let plan = story_plan();
    let cluster = Cluster::new();
    let before = cluster.lock().unwrap().objects.clone();
    let s = session(&dir, &plan_path, false, &cluster, Script::default(), 0).await;
    assert_eq!(s.state, Some(State::Finished));
    assert_eq!(s.journal.last(), Some(&Entry::Finished));
    let want = expected(&plan, true);
    assert_eq!(s.changes.len(), want.len());
    for (got, want) in s.changes.iter().zip(&want) {
        assert_eq!(got, want);
    }
    // The first is the canary's relabel, the last the SMCP's delete.
    assert_eq!(
        s.changes[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        s.changes.last().unwrap().uri,
        "/apis/maistra.io/v2/namespaces/istio-system/servicemeshcontrolplanes/basic?"
    );
    // The events, one JSON object a line, end with the run's.
    assert_eq!(s.events.last(), Some(&json!({"event": "finished"})));
    let finished = s
        .events
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .count();
    assert_eq!(finished, plan.len());
    // A dry run persists nothing.
    let c = cluster.lock().unwrap();
    assert!(c.objects == before);
    assert!(c.rollouts.is_empty());
}

#[tokio::test]
async fn applying_sends_the_same_requests_without_dry_run_and_moves_the_mesh() {
    let (dir, plan_path) = scratch("apply");
    let plan = story_plan();
    let cluster = Cluster::new();
    let s = session(&dir, &plan_path, true, &cluster, Script::default(), 0).await;
    assert_eq!(s.state, Some(State::Finished), "{:?}", s.events.last());
    let want = expected(&plan, false);
    assert_eq!(s.changes.len(), want.len());
    for (got, want) in s.changes.iter().zip(&want) {
        assert_eq!(got, want);
        assert!(!got.uri.contains("dryRun"), "{}", got.uri);
    }
    // Every planned restart rolled its Deployment once; the SMCP is gone.
    let c = cluster.lock().unwrap();
    let restarted: Vec<String> = plan
        .steps()
        .filter_map(|s| match &s.action {
            plan::StepAction::Restart { workload } => {
                Some(format!("{}/{}", workload.namespace, workload.name))
            }
            _ => None,
        })
        .collect();
    assert!(!restarted.is_empty());
    assert_eq!(
        c.rollouts,
        restarted.iter().map(|w| (w.clone(), 1)).collect()
    );
    assert!(
        !c.objects
            .iter()
            .any(|o| o["kind"] == "ServiceMeshControlPlane")
    );
}

#[tokio::test]
async fn a_refusal_stops_the_run_and_a_resume_finishes_it() {
    for apply in [false, true] {
        let (dir, plan_path) = scratch(&format!("refusal-{apply}"));
        let plan = story_plan();
        let want = expected(&plan, !apply);
        let cluster = Cluster::new();
        // The third change is refused (403): not retried, the run stops there.
        let script = Script {
            fail: Some(3),
            ..Script::default()
        };
        let s = session(&dir, &plan_path, apply, &cluster, script, 0).await;
        match &s.state {
            Some(State::Stopped(reason)) => assert!(
                reason.to_string().contains("refused by the mock"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.changes, want[..3].to_vec());
        // The same command again: the journal file is resumed against a server
        // that now accepts. The refused change is sent again, then the rest;
        // nothing before it is sent twice.
        let s = session(&dir, &plan_path, apply, &cluster, Script::default(), 0).await;
        assert_eq!(s.state, Some(State::Finished), "apply: {apply}");
        assert_eq!(s.journal.last(), Some(&Entry::Finished));
        assert_eq!(s.changes, want[2..].to_vec(), "apply: {apply}");
        let rolled = cluster.lock().unwrap().rollouts.values().all(|n| *n == 1);
        assert!(rolled, "apply: {apply}");
    }
}

#[tokio::test]
async fn a_crash_between_sending_a_change_and_recording_it_sends_nothing_twice() {
    let plan = story_plan();
    let want = expected(&plan, false);
    // The first restart, and the first relabel.
    let restart = want
        .iter()
        .position(|s| s.body.to_string().contains(exec::RESTARTED_AT))
        .unwrap();
    for (k, arrived) in [(restart, true), (restart, false), (0, true)] {
        let (dir, plan_path) = scratch(&format!("crash-{k}-{arrived}"));
        let cluster = Cluster::new();
        // The rollout the crashed restart began is still under way when the
        // run resumes: its pods are replaced only at the second look. A run
        // that judged by the pods alone would restart the Deployment again.
        cluster.lock().unwrap().rollout_lists = 2;
        let script = if arrived {
            Script {
                crash_after: Some(k + 1),
                ..Script::default()
            }
        } else {
            Script {
                crash_before: Some(k + 1),
                ..Script::default()
            }
        };
        let s = session(&dir, &plan_path, true, &cluster, script, 0).await;
        assert_eq!(s.state, None);
        assert_eq!(s.changes, want[..=k].to_vec());
        // The journal on disk says the change was sent, and with which value.
        let Some(Entry::Sent {
            step, restarted_at, ..
        }) = s.journal.last().cloned()
        else {
            panic!("{:?}", s.journal.last())
        };
        assert_eq!(restarted_at.is_some(), k == restart);
        // Resumed a minute later by the clock: a change that arrived is seen
        // on the cluster and not sent again; one that was lost is sent again,
        // a restart with the value journaled, not the new time (the steps
        // after it get the new time).
        let s = session(&dir, &plan_path, true, &cluster, Script::default(), 60).await;
        assert_eq!(s.state, Some(State::Finished), "{k} {arrived}");
        let resent = usize::from(!arrived);
        let again: Vec<Seen> = want[k + 1 - resent..]
            .iter()
            .enumerate()
            .map(|(i, seen)| {
                if i < resent {
                    seen.clone()
                } else {
                    restamp(seen.clone(), "2026-12-02T02:01:00Z")
                }
            })
            .collect();
        assert_eq!(s.changes, again, "{k} {arrived}");
        assert!(s.journal.contains(&Entry::Finished));
        let c = cluster.lock().unwrap();
        assert!(c.rollouts.values().all(|n| *n == 1), "{:?}", c.rollouts);
        assert_eq!(
            c.rollouts.len(),
            plan.steps()
                .filter(|s| s.action.kind() == "restart")
                .count()
        );
        // The crashed step was finished by the resumed run.
        assert!(
            s.journal
                .iter()
                .any(|e| matches!(e, Entry::Done { step: d, .. } if *d == step))
        );
    }
}

#[tokio::test]
async fn a_connection_error_stops_the_run_with_every_cause_in_the_reason() {
    let (dir, plan_path) = scratch("unreachable");
    let cluster = Cluster::new();
    // A dry run, so that the retries do not wait.
    let script = Script {
        unreachable_from: Some(1),
        ..Script::default()
    };
    let s = session(&dir, &plan_path, false, &cluster, script, 0).await;
    let Some(State::Stopped(reason)) = &s.state else {
        panic!("{:?}", s.state)
    };
    let text = reason.to_string();
    // The top-level error alone says only "ServiceError: client error (Connect)".
    assert!(
        text.contains("client error (Connect): tcp connect error: connection refused"),
        "{text}"
    );
    // Retryable: the same change was tried as often as the limits allow.
    assert!(text.contains("after 3 attempt(s)"), "{text}");
    assert_eq!(s.changes.len(), 3);
    assert!(s.changes.iter().all(|c| c == &s.changes[0]));
    // The journal keeps the whole message too.
    let failed: Vec<&Entry> = s
        .journal
        .iter()
        .filter(|e| matches!(e, Entry::Failed { .. }))
        .collect();
    assert_eq!(failed.len(), 3);
    for e in failed {
        let Entry::Failed {
            message, retryable, ..
        } = e
        else {
            unreachable!()
        };
        assert!(*retryable);
        assert!(message.ends_with("connection refused"), "{message}");
    }
}

#[test]
fn a_cause_already_in_its_parents_text_is_not_repeated() {
    use meshrev_kube_executor::error_chain;
    let e = Unreachable::new();
    assert_eq!(
        error_chain(&e),
        "client error (Connect): tcp connect error: connection refused"
    );
    // A Display that prints its source (thiserror's `{0}`) already says it.
    #[derive(Debug)]
    struct Wraps(Unreachable);
    impl std::fmt::Display for Wraps {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "ServiceError: {}", self.0)
        }
    }
    impl std::error::Error for Wraps {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    assert_eq!(
        error_chain(&Wraps(Unreachable::new())),
        "ServiceError: client error (Connect): tcp connect error: connection refused"
    );
}

/// The story's cluster with the `vault` namespace beside it
/// (`tests/data/kubectl/vault.yaml`: a DeploymentConfig `ledger` at
/// `latestVersion` 3, its pod under ReplicationController `ledger-3`).
fn with_vault(cluster: &Arc<Mutex<Cluster>>) -> Plan {
    const VAULT: &str = "../../tests/data/kubectl/vault.yaml";
    let text = std::fs::read_to_string(VAULT).unwrap();
    let mut c = cluster.lock().unwrap();
    for doc in text.split("\n---\n") {
        c.objects.push(serde_yaml::from_str(doc).unwrap());
    }
    let mut b = SnapshotBuilder::new();
    b.add_path(FIXTURE).unwrap().add_path(VAULT).unwrap();
    let mesh = Mesh::new(b.build());
    plan::plan(&mesh, &Request::to("ossm3").namespaces(["vault"])).unwrap()
}

#[tokio::test]
async fn a_crash_after_a_deploymentconfigs_instantiate_posts_it_once() {
    let (dir, plan_path) = scratch("dc-crash");
    let cluster = Cluster::new();
    let plan = with_vault(&cluster);
    std::fs::write(&plan_path, serde_json::to_string(&plan).unwrap()).unwrap();
    // The rollout is still under way when the run resumes.
    cluster.lock().unwrap().rollout_lists = 2;
    let posts = |changes: &[Seen]| changes.iter().filter(|c| c.method == "POST").count();
    // The relabel, the Deployment's restart, then the instantiate: it is made,
    // and the executor dies before the answer.
    let script = Script {
        crash_after: Some(3),
        ..Script::default()
    };
    let s = session(&dir, &plan_path, true, &cluster, script, 0).await;
    assert_eq!(s.state, None);
    let post = s.changes.last().unwrap();
    assert_eq!(
        (post.method.as_str(), post.uri.as_str()),
        (
            "POST",
            "/apis/apps.openshift.io/v1/namespaces/vault/deploymentconfigs/ledger/instantiate?"
        )
    );
    assert_eq!(post.body, exec::instantiate_body("ledger"));
    let Some(Entry::Sent {
        step,
        latest_version,
        ..
    }) = s.journal.last().cloned()
    else {
        panic!("{:?}", s.journal.last())
    };
    assert_eq!(latest_version, Some(3));
    // Resumed: the DeploymentConfig shows latestVersion 4, so the
    // instantiate is not posted again; its rollout is awaited.
    let s = session(&dir, &plan_path, true, &cluster, Script::default(), 60).await;
    assert_eq!(s.state, Some(State::Finished), "{:?}", s.events.last());
    assert_eq!(posts(&s.changes), 0, "{:?}", s.changes);
    assert!(s.journal.contains(&Entry::Applied { step }));
    let c = cluster.lock().unwrap();
    assert_eq!(c.rollouts.get("vault/ledger"), Some(&1), "{:?}", c.rollouts);
    let dc = c
        .objects
        .iter()
        .find(|o| o["kind"] == "DeploymentConfig")
        .unwrap();
    assert_eq!(dc["status"]["latestVersion"], 4);
}
