//! The kube-rs executor against a mock API server (a `tower-test` service under
//! `kube::Client::new`): the story's plan (`fixtures/ossm-2.6-to-3.0/01-before.yaml`
//! to `ossm3`) must produce exactly the HTTP requests a real API server expects
//! (method, path and query, content type, patch body), and scripted responses
//! drive the run to completion, and through one refusal and a resume.

use std::pin::pin;

use http::{Request as HttpRequest, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use meshrev::exec::{self, Entry, Run, State};
use meshrev::plan::{self, Plan, Request};
use meshrev::{Mesh, Snapshot};
use meshrev_kube_executor::{KubeExecutor, drive};
use serde_json::{Value, json};
use tower_test::mock;

const FIXTURE: &str = "../../fixtures/ossm-2.6-to-3.0/01-before.yaml";
const NOW: &str = "2026-12-02T02:00:00Z";
/// `NOW` as the caller's clock gives it.
fn now() -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_176_800)
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

/// The fixture's objects with the list paths they answer to.
fn objects() -> Vec<(Vec<String>, Value)> {
    let list: Value = serde_yaml::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let kind = o["kind"].as_str()?;
            let r = exec::resource(kind)?;
            let prefix = if r.group.is_empty() {
                format!("/api/{}", r.version)
            } else {
                format!("/apis/{}/{}", r.group, r.version)
            };
            let mut paths = vec![format!("{prefix}/{}", r.plural)];
            if let Some(ns) = o["metadata"]["namespace"].as_str() {
                paths.push(format!("{prefix}/namespaces/{ns}/{}", r.plural));
            }
            Some((paths, o.clone()))
        })
        .collect()
}

fn respond(status: StatusCode, body: Value) -> Response<Body> {
    let mut r = Response::new(Body::from(serde_json::to_vec(&body).unwrap()));
    *r.status_mut() = status;
    r
}

/// Serves until the client is dropped: lists from the fixture (404 for a kind
/// it has none of, as for a CRD the cluster lacks), 200 for changes, except
/// the `fail`-th change (1-based), refused with 403.
async fn serve(
    handle: mock::Handle<HttpRequest<Body>, Response<Body>>,
    fail: Option<usize>,
) -> Vec<Seen> {
    let objects = objects();
    let mut handle = pin!(handle);
    let mut seen = Vec::new();
    let mut changes = 0;
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
            content_type,
            body,
        });
        let path = uri.split('?').next().unwrap().to_owned();
        if method == "GET" {
            let items: Vec<Value> = objects
                .iter()
                .filter(|(paths, _)| paths.contains(&path))
                .map(|(_, o)| o.clone())
                .collect();
            if items.is_empty() && path.contains("istiorevisiontags") {
                send.send_response(respond(
                    StatusCode::NOT_FOUND,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "reason": "NotFound", "code": 404, "message": "the server could not find the requested resource"}),
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
        if Some(changes) == fail {
            send.send_response(respond(
                StatusCode::FORBIDDEN,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "reason": "Forbidden", "code": 403, "message": "refused by the mock"}),
            ));
        } else if method == "DELETE" {
            send.send_response(respond(
                StatusCode::OK,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}),
            ));
        } else {
            let name = path.rsplit('/').next().unwrap();
            send.send_response(respond(StatusCode::OK, json!({"metadata": {"name": name}})));
        }
    }
    seen
}

/// What the story's plan must send, in order: method, URI, content type, body.
fn expected(plan: &Plan) -> Vec<Seen> {
    let mesh = Mesh::new(Snapshot::from_path(FIXTURE).unwrap());
    let mut out = Vec::new();
    for step in plan.steps() {
        for mut r in exec::render(&step.action, mesh.snapshot()).unwrap() {
            r.stamp(NOW);
            // kube-rs sends a delete's options (dryRun) as a JSON body.
            let delete = r.method() == "DELETE";
            out.push(Seen {
                method: r.method().to_owned(),
                uri: format!("{}?{}", r.path(), if delete { "" } else { "&dryRun=All" }),
                content_type: Some(r.content_type().unwrap_or("application/json").to_owned()),
                body: r.body().cloned().unwrap_or(json!({"dryRun": ["All"]})),
            });
        }
    }
    out
}

/// Runs (or resumes) the plan against a fresh mock; returns the run's state,
/// the journal after it, and the changes the mock saw.
async fn session(
    plan: &Plan,
    journal: Vec<Entry>,
    fail: Option<usize>,
) -> (State, Vec<Entry>, Vec<Seen>) {
    let (service, handle) = mock::pair::<HttpRequest<Body>, Response<Body>>();
    let server = tokio::spawn(serve(handle, fail));
    let client = Client::new(service, "default");
    let mut executor = KubeExecutor::new(client, true).with_clock(now);
    let mut run = if journal.is_empty() {
        Run::new(plan.clone())
    } else {
        Run::resume(plan.clone(), &journal).unwrap()
    };
    let mut written = journal.clone();
    let state = drive(
        &mut run,
        &mut executor,
        &journal,
        |e| {
            written.push(e.clone());
            Ok(())
        },
        |_| {},
    )
    .await
    .unwrap();
    drop(executor);
    let seen = server.await.unwrap();
    let changes = seen.into_iter().filter(|s| s.method != "GET").collect();
    (state, written, changes)
}

#[tokio::test]
async fn the_story_sends_exactly_the_requests_an_api_server_expects() {
    let plan = story_plan();
    let (state, journal, changes) = session(&plan, Vec::new(), None).await;
    assert_eq!(state, State::Finished);
    assert_eq!(journal.last(), Some(&Entry::Finished));
    let want = expected(&plan);
    assert_eq!(changes.len(), want.len());
    for (got, want) in changes.iter().zip(&want) {
        assert_eq!(got, want);
    }
    // The first is the canary's relabel, the last the SMCP's delete.
    assert_eq!(
        changes[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        changes.last().unwrap().uri,
        "/apis/maistra.io/v2/namespaces/istio-system/servicemeshcontrolplanes/basic?"
    );
}

#[tokio::test]
async fn a_refusal_stops_the_run_and_a_resume_finishes_it() {
    let plan = story_plan();
    let want = expected(&plan);
    // The third change is refused (403): not retried, the run stops there.
    let (state, journal, first) = session(&plan, Vec::new(), Some(3)).await;
    match &state {
        State::Stopped(reason) => assert!(
            reason.to_string().contains("refused by the mock"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(first, want[..3].to_vec());
    // Resumed from the journal against a server that now accepts: the refused
    // change is sent again, then the rest; nothing before it is sent twice.
    let (state, journal, second) = session(&plan, journal, None).await;
    assert_eq!(state, State::Finished);
    assert_eq!(journal.last(), Some(&Entry::Finished));
    assert_eq!(second, want[2..].to_vec());
}
