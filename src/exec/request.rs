//! Requests: a plan step rendered as the Kubernetes API calls that perform it.
//!
//! Every change is a merge patch (`application/merge-patch+json`), a JSON patch
//! where a merge patch cannot reach (the webhooks of a tag's configuration are a
//! list), a delete, or a `POST` to a subresource that acts (an OpenShift
//! DeploymentConfig's `instantiate`, what `oc rollout latest` sends). The caller sends them with its own client; the paths are
//! the API server's, so a kube-rs or plain-HTTP client needs no mapping of its own,
//! and `kubectl` gets the matching resource name ([`Request::resource`]).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ObjectRef;
use crate::labels::{self, Labels};
use crate::plan::StepAction;
use crate::snapshot::{Restart, Snapshot, TagTargetKind, WorkloadId};

/// The template annotation `kubectl rollout restart` sets; a changed pod template
/// makes the workload's controller roll its pods.
pub const RESTARTED_AT: &str = crate::labels::RESTARTED_AT;

/// One API call that changes the cluster.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// `PATCH path` with `body` as `content_type()`.
    Patch {
        /// The object patched.
        object: ObjectRef,
        /// What kind of patch the body is.
        patch: PatchKind,
        /// The body. A [`PatchKind::Restart`] carries the `restartedAt` value
        /// the run chose ([`Request::restarted_at`]); as [`render`] returns it,
        /// before the run stamps it, the value is empty.
        body: Value,
    },
    /// `DELETE path` (absent already is success, as `--ignore-not-found`).
    Delete {
        /// The object deleted.
        object: ObjectRef,
    },
    /// `POST path/subresource` with `body` as JSON: a subresource that acts on
    /// the object. The one meshrev sends is a DeploymentConfig's `instantiate`
    /// with a `DeploymentRequest` ([`instantiate_body`]), which is what
    /// `oc rollout latest dc/NAME` does. It is not idempotent (each one is a
    /// new deployment): the run journals the DeploymentConfig's
    /// `status.latestVersion` before sending it, and observes before sending
    /// it again ([`Entry::Sent`](super::Entry)).
    Post {
        /// The object acted on.
        object: ObjectRef,
        /// The subresource, e.g. `instantiate`.
        subresource: String,
        /// The body.
        body: Value,
    },
}

/// How a patch body is to be read by the API server.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchKind {
    /// RFC 7386 JSON merge patch.
    Merge,
    /// RFC 6902 JSON patch.
    Json,
    /// A merge patch of the pod template's `kubectl.kubernetes.io/restartedAt`
    /// annotation: what `kubectl rollout restart` sends. The value is chosen once
    /// per step by the run, from the time the caller gives
    /// [`Run::poll_action`](super::Run::poll_action), and journaled before the
    /// request is handed out: sending it again with the same value changes
    /// nothing (the template is unchanged, so no second rollout), and a resumed
    /// run can tell from the workload's template whether it reached the cluster.
    Restart,
}

impl Request {
    /// The object the request changes.
    pub fn object(&self) -> &ObjectRef {
        match self {
            Request::Patch { object, .. }
            | Request::Delete { object }
            | Request::Post { object, .. } => object,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        match self {
            Request::Patch { .. } => "PATCH",
            Request::Delete { .. } => "DELETE",
            Request::Post { .. } => "POST",
        }
    }

    /// The API path, e.g. `/apis/apps/v1/namespaces/mercury/deployments/web`
    /// (with `/instantiate` after it for a DeploymentConfig's rollout).
    pub fn path(&self) -> String {
        // Kinds were checked when the request was rendered.
        let path = api_path(self.object()).unwrap_or_default();
        match self {
            Request::Post { subresource, .. } => format!("{path}/{subresource}"),
            _ => path,
        }
    }

    /// The `Content-Type` of the body (`None` for a delete).
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            Request::Patch {
                patch: PatchKind::Json,
                ..
            } => Some("application/json-patch+json"),
            Request::Patch { .. } => Some("application/merge-patch+json"),
            Request::Post { .. } => Some("application/json"),
            Request::Delete { .. } => None,
        }
    }

    /// The body to send (`None` for a delete).
    pub fn body(&self) -> Option<&Value> {
        match self {
            Request::Patch { body, .. } | Request::Post { body, .. } => Some(body),
            Request::Delete { .. } => None,
        }
    }

    /// A restart's `kubectl.kubernetes.io/restartedAt` value (`None` for other
    /// requests; empty until stamped).
    pub fn restarted_at(&self) -> Option<&str> {
        match self {
            Request::Patch {
                patch: PatchKind::Restart,
                body,
                ..
            } => Some(
                body["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
                    .as_str()
                    .unwrap_or_default(),
            ),
            _ => None,
        }
    }

    /// Sets a restart's `restartedAt` value (other requests are left alone).
    /// [`Run::poll_action`](super::Run::poll_action) does this; a caller that
    /// renders steps itself ([`render`]) must choose one value per step and keep
    /// it across attempts, or a retry restarts the workload a second time.
    pub fn stamp(&mut self, restarted_at: &str) {
        if let Request::Patch {
            patch: PatchKind::Restart,
            body,
            ..
        } = self
        {
            *body = restart_body(restarted_at);
        }
    }

    /// The resource name `kubectl` takes for the object (`namespaces`,
    /// `deployments.apps`, `servicemeshcontrolplanes.maistra.io`, ...).
    pub fn resource(&self) -> String {
        resource(&self.object().kind)
            .map(|r| r.kubectl())
            .unwrap_or_default()
    }
}

/// A merge patch that sets `restartedAt` on the pod template.
pub(crate) fn restart_body(restarted_at: &str) -> Value {
    json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: restarted_at}}}}})
}

/// The `DeploymentRequest` `oc rollout latest dc/NAME` posts to the
/// DeploymentConfig's `instantiate` subresource: a new deployment (a new
/// ReplicationController) from the current template, `latest` (with the state of
/// its triggers, as `oc rollout latest` without `--again`) and `force` (even if
/// nothing changed). openshift/oc `pkg/cli/rollout/latest.go` (`RunRolloutLatest`
/// builds `DeploymentRequest{Name, Latest: !again, Force: true}` and calls
/// `Instantiate`), openshift/client-go `apps/v1` (`Instantiate` is a `POST` to
/// `deploymentconfigs/NAME/instantiate`), openshift/api `apps/v1/types.go`
/// (`DeploymentRequest`'s JSON fields `name`, `latest`, `force`).
///
/// ```
/// let body = meshrev::exec::instantiate_body("ledger");
/// assert_eq!(body["kind"], "DeploymentRequest");
/// assert_eq!(body["apiVersion"], "apps.openshift.io/v1");
/// assert_eq!((body["latest"].as_bool(), body["force"].as_bool()), (Some(true), Some(true)));
/// ```
pub fn instantiate_body(name: &str) -> Value {
    json!({
        "kind": "DeploymentRequest",
        "apiVersion": "apps.openshift.io/v1",
        "name": name,
        "latest": true,
        "force": true,
    })
}

/// Where a kind lives in the API, for clients that address resources by group,
/// version and plural (kube-rs' `ApiResource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The version.
    pub version: &'static str,
    /// The plural resource name.
    pub plural: &'static str,
    /// Whether objects of the kind live in a namespace.
    pub namespaced: bool,
}

impl Resource {
    /// `apiVersion`: `v1`, `apps/v1`, `maistra.io/v2`.
    pub fn api_version(self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn kubectl(self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// Where a kind meshrev reads or changes lives in the API (`None` for others).
pub fn resource(kind: &str) -> Option<Resource> {
    let r = |group, version, plural, namespaced| Resource {
        group,
        version,
        plural,
        namespaced,
    };
    Some(match kind {
        "Namespace" => r("", "v1", "namespaces", false),
        "Pod" => r("", "v1", "pods", true),
        "ConfigMap" => r("", "v1", "configmaps", true),
        "ReplicationController" => r("", "v1", "replicationcontrollers", true),
        "Deployment" => r("apps", "v1", "deployments", true),
        "StatefulSet" => r("apps", "v1", "statefulsets", true),
        "DaemonSet" => r("apps", "v1", "daemonsets", true),
        "ReplicaSet" => r("apps", "v1", "replicasets", true),
        "DeploymentConfig" => r("apps.openshift.io", "v1", "deploymentconfigs", true),
        "Job" => r("batch", "v1", "jobs", true),
        "CronJob" => r("batch", "v1", "cronjobs", true),
        "MutatingWebhookConfiguration" => r(
            "admissionregistration.k8s.io",
            "v1",
            "mutatingwebhookconfigurations",
            false,
        ),
        "ServiceMeshControlPlane" => r("maistra.io", "v2", "servicemeshcontrolplanes", true),
        "ServiceMeshMemberRoll" => r("maistra.io", "v1", "servicemeshmemberrolls", true),
        "ServiceMeshMember" => r("maistra.io", "v1", "servicemeshmembers", true),
        "Istio" => r("sailoperator.io", "v1", "istios", false),
        "IstioRevision" => r("sailoperator.io", "v1", "istiorevisions", false),
        "IstioRevisionTag" => r("sailoperator.io", "v1", "istiorevisiontags", false),
        _ => return None,
    })
}

/// The API path of an object; `None` for a kind meshrev cannot address, or a
/// namespaced kind without a namespace.
pub(crate) fn api_path(object: &ObjectRef) -> Option<String> {
    let r = resource(&object.kind)?;
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    match (&object.namespace, r.namespaced) {
        (Some(ns), true) => Some(format!(
            "{prefix}/namespaces/{ns}/{}/{}",
            r.plural, object.name
        )),
        (None, false) => Some(format!("{prefix}/{}/{}", r.plural, object.name)),
        _ => None,
    }
}

/// Why a step could not be rendered as requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: {message}")]
pub struct RenderError {
    /// The object the step names.
    pub object: ObjectRef,
    /// What is missing or unknown.
    pub message: String,
}

fn labels_patch(set: &Labels, remove: &std::collections::BTreeSet<String>) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in set {
        map.insert(k.clone(), Value::String(v.clone()));
    }
    // A merge patch removes a key by setting it to null.
    for k in remove {
        map.insert(k.clone(), Value::Null);
    }
    Value::Object(map)
}

fn workload_object(w: &WorkloadId) -> ObjectRef {
    w.object_ref()
}

/// The requests that perform a step's change, given what the cluster showed just
/// before (`observed`): an upstream tag's webhooks are patched by position, so
/// their number comes from the cluster. Empty for steps that only observe. A
/// restart's `restartedAt` is left empty, to be [stamped](Request::stamp).
pub fn render(action: &StepAction, observed: &Snapshot) -> Result<Vec<Request>, RenderError> {
    let requests = match action {
        StepAction::LabelNamespace {
            namespace,
            set,
            remove,
        } => vec![Request::Patch {
            object: ObjectRef::new("Namespace", None, namespace.clone()),
            patch: PatchKind::Merge,
            body: json!({"metadata": {"labels": labels_patch(set, remove)}}),
        }],
        StepAction::LabelTemplate {
            workload,
            set,
            remove,
        } => vec![Request::Patch {
            object: workload_object(workload),
            patch: PatchKind::Merge,
            body: json!({"spec": {"template": {"metadata": {"labels": labels_patch(set, remove)}}}}),
        }],
        StepAction::Restart { workload } => match workload.kind.restart() {
            Restart::RolloutRestart => vec![Request::Patch {
                object: workload_object(workload),
                patch: PatchKind::Restart,
                body: restart_body(""),
            }],
            Restart::RolloutLatest => vec![Request::Post {
                object: workload_object(workload),
                subresource: "instantiate".to_owned(),
                body: instantiate_body(&workload.name),
            }],
            Restart::DeletePods => {
                return Err(RenderError {
                    object: workload_object(workload),
                    message: "has no rollout to restart (no Deployment or DeploymentConfig above it): delete its pods one at a time instead".into(),
                });
            }
            Restart::NotRestartable => {
                return Err(RenderError {
                    object: workload_object(workload),
                    message: "a Job's pods run to completion and are never restarted: its next run is injected by whatever injects then".into(),
                });
            }
        },
        StepAction::MoveTag { tag, revision } => move_tag(tag, revision, observed)?,
        StepAction::RetargetSailTag { tag, kind, name } => vec![Request::Patch {
            object: ObjectRef::new("IstioRevisionTag", None, tag.clone()),
            patch: PatchKind::Merge,
            body: json!({"spec": {"targetRef": {"kind": match kind {
                TagTargetKind::Istio => "Istio",
                TagTargetKind::IstioRevision => "IstioRevision",
            }, "name": name}}}),
        }],
        StepAction::SetIstioVersion { istio, version } => vec![Request::Patch {
            object: ObjectRef::new("Istio", None, istio.clone()),
            patch: PatchKind::Merge,
            body: json!({"spec": {"version": version}}),
        }],
        StepAction::Delete { object } => vec![Request::Delete {
            object: object.clone(),
        }],
        StepAction::AwaitGone { .. } | StepAction::Verify { .. } => Vec::new(),
        #[allow(unreachable_patterns)]
        other => {
            return Err(RenderError {
                object: other.object(),
                message: format!("meshrev cannot render a {} step", other.kind()),
            });
        }
    };
    for r in &requests {
        if api_path(r.object()).is_none() {
            return Err(RenderError {
                object: r.object().clone(),
                message: "meshrev does not know this kind's API path".into(),
            });
        }
    }
    Ok(requests)
}

/// `istioctl tag set TAG --revision REV --overwrite`, as JSON patches: each of the
/// tag's webhook configurations gets `istio.io/rev=REV`, and every webhook that
/// calls a service calls `istiod-REV` (`istiod` for `default`). A `test` operation
/// first guards each webhook's name, so a configuration that changed since it was
/// observed is refused by the API server rather than patched at the wrong place.
fn move_tag(tag: &str, revision: &str, observed: &Snapshot) -> Result<Vec<Request>, RenderError> {
    let service = if revision == "default" {
        "istiod".to_owned()
    } else {
        format!("istiod-{revision}")
    };
    let requests: Vec<Request> = observed
        .webhook_configurations()
        .filter(|c| c.meta.labels.get(labels::TAG).map(String::as_str) == Some(tag))
        .map(|c| {
            let mut ops = vec![json!({"op": "add", "path": "/metadata/labels/istio.io~1rev", "value": revision})];
            for (i, w) in c.webhooks.iter().enumerate() {
                if w.service.is_some() {
                    ops.push(json!({"op": "test", "path": format!("/webhooks/{i}/name"), "value": w.name}));
                    ops.push(json!({"op": "replace", "path": format!("/webhooks/{i}/clientConfig/service/name"), "value": service}));
                }
            }
            Request::Patch {
                object: ObjectRef::new("MutatingWebhookConfiguration", None, c.meta.name.clone()),
                patch: PatchKind::Json,
                body: Value::Array(ops),
            }
        })
        .collect();
    if requests.is_empty() {
        return Err(RenderError {
            object: ObjectRef::new(
                "MutatingWebhookConfiguration",
                None,
                format!("istio-revision-tag-{tag}"),
            ),
            message: format!("no webhook configuration labelled istio.io/tag={tag} was observed"),
        });
    }
    Ok(requests)
}
