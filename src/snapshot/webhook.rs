//! `admissionregistration.k8s.io/v1 MutatingWebhookConfiguration`: the objects
//! that decide, in the API server, which injector receives a new pod.

use serde::Serialize;

use super::meta::ObjectMeta;
use crate::labels::LabelSelector;

/// A mutating webhook configuration (all of them are kept: which ones inject is
/// the mesh model's decision, not the reader's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MutatingWebhookConfiguration {
    /// Its metadata (`istio.io/rev`, `istio.io/tag` labels).
    pub meta: ObjectMeta,
    /// `webhooks`, in order.
    pub webhooks: Vec<MutatingWebhook>,
}

/// One entry of `webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MutatingWebhook {
    /// `name`, e.g. `rev.namespace.sidecar-injector.istio.io`.
    pub name: String,
    /// `namespaceSelector`; `None` matches every namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// `objectSelector`; `None` matches every object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    /// `clientConfig.service`, when the webhook calls an in-cluster service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceReference>,
    /// `clientConfig.url`, when it calls a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `failurePolicy`: what the API server does when the call fails.
    #[serde(default)]
    pub failure_policy: FailurePolicy,
}

/// `failurePolicy` of a webhook (admissionregistration.k8s.io/v1 defaults it to
/// `Fail`, and the istio charts set it so).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum FailurePolicy {
    /// The request is rejected when the webhook cannot be called.
    #[default]
    Fail,
    /// The call's failure is ignored: the pod is created unmutated.
    Ignore,
}

/// `clientConfig.service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReference {
    /// Service namespace.
    pub namespace: String,
    /// Service name, e.g. `istiod-1-24-0`.
    pub name: String,
    /// URL path, e.g. `/inject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}
