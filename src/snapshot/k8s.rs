//! `k8s-openapi` values to snapshot objects.
//!
//! There is one decode path: a `k8s-openapi` object is serialized to the JSON that
//! `kubectl get -o json` would print for it and read by the same code as text, so
//! both accept exactly the same objects and report the same errors.
//!
//! The conversions keep whatever they can read: a config map not named `istio*`
//! converts, because skipping it is a decision of ingest
//! ([`SnapshotBuilder::add`](super::SnapshotBuilder::add)), not of reading.

use k8s_openapi::Resource;
use k8s_openapi::api::admissionregistration::v1 as admissionregistration;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use serde::Serialize;
use serde_json::Value;

use super::core::{ConfigMap, Namespace, Pod, Workload};
use super::decode::{Decoded, Keep, Object, decode};
use super::webhook::MutatingWebhookConfiguration;
use crate::error::{Error, Location, Result};

/// A `k8s-openapi` object as JSON, `apiVersion` and `kind` included.
pub(crate) fn to_value<K>(object: &K, location: &Location) -> Result<Value>
where
    K: Resource + Serialize,
{
    let mut value = serde_json::to_value(object).map_err(|e| Error::NotAnObject {
        location: location.clone(),
        message: format!("cannot serialize a {}: {e}", K::KIND),
    })?;
    if let Value::Object(map) = &mut value {
        map.entry("apiVersion")
            .or_insert_with(|| K::API_VERSION.into());
        map.entry("kind").or_insert_with(|| K::KIND.into());
    }
    Ok(value)
}

/// Decodes one `k8s-openapi` object as text is decoded, keeping any readable kind,
/// and takes the expected variant out of the result.
fn convert<K, T>(object: &K, variant: impl FnOnce(Object) -> Option<T>) -> Result<T>
where
    K: Resource + Serialize,
{
    let location = Location {
        source: "<value>".into(),
        document: 1,
        item: None,
    };
    let value = to_value(object, &location)?;
    let unexpected = |what: &str| Error::NotAnObject {
        location: location.clone(),
        message: format!("a {} {} read as {what}", K::API_VERSION, K::KIND),
    };
    match decode(value, &location, Keep::Readable)? {
        Decoded::Object(object, _) => variant(*object).ok_or_else(|| unexpected("another kind")),
        Decoded::Skipped(key) => Err(unexpected(&format!("the unread kind {key}"))),
    }
}

macro_rules! try_from_k8s_openapi {
    ($($(#[$doc:meta])* $k8s:ty => $ours:ident via $variant:ident;)*) => {$(
        $(#[$doc])*
        impl TryFrom<&$k8s> for $ours {
            type Error = Error;

            fn try_from(object: &$k8s) -> Result<Self> {
                convert(object, |o| match o {
                    Object::$variant(x) => Some(x),
                    _ => None,
                })
            }
        }
    )*};
}

try_from_k8s_openapi! {
    /// Reads a `k8s-openapi` namespace with the checks and errors of the text path.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1 as k8s;
    /// use meshrev::snapshot::Namespace;
    ///
    /// let mut ns = k8s::Namespace::default();
    /// ns.metadata.name = Some("mercury".into());
    /// ns.metadata.labels = Some([("istio.io/rev".into(), "ossm3".into())].into());
    /// let ns = Namespace::try_from(&ns)?;
    /// assert_eq!(ns.meta.labels["istio.io/rev"], "ossm3");
    ///
    /// let mut bad = k8s::Namespace::default();
    /// bad.metadata.name = Some("Mercury".into());
    /// assert!(Namespace::try_from(&bad).is_err());
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    core::Namespace => Namespace via Namespace;

    /// Reads a `k8s-openapi` pod with the checks and errors of the text path.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1 as k8s;
    /// use meshrev::snapshot::Pod;
    ///
    /// let mut pod = k8s::Pod::default();
    /// pod.metadata.name = Some("web-1".into());
    /// pod.metadata.namespace = Some("mercury".into());
    /// pod.spec = Some(k8s::PodSpec {
    ///     containers: vec![
    ///         k8s::Container { name: "web".into(), ..Default::default() },
    ///         k8s::Container { name: "istio-proxy".into(), ..Default::default() },
    ///     ],
    ///     ..Default::default()
    /// });
    /// assert!(Pod::try_from(&pod)?.has_proxy());
    ///
    /// pod.metadata.namespace = None;
    /// let err = Pod::try_from(&pod).unwrap_err();
    /// assert!(err.to_string().contains("missing required field `metadata.namespace`"));
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    core::Pod => Pod via Pod;

    /// Reads a `k8s-openapi` config map, whatever its name (a snapshot keeps only
    /// `istio*` config maps, but that is ingest's choice).
    ///
    /// ```
    /// use k8s_openapi::api::core::v1 as k8s;
    /// use meshrev::snapshot::ConfigMap;
    /// use meshrev::SnapshotBuilder;
    ///
    /// let mut cm = k8s::ConfigMap::default();
    /// cm.metadata.name = Some("kube-root-ca.crt".into());
    /// cm.metadata.namespace = Some("mercury".into());
    /// cm.data = Some([("ca.crt".into(), "...".into())].into());
    /// assert_eq!(ConfigMap::try_from(&cm)?.data["ca.crt"], "...");
    ///
    /// let mut builder = SnapshotBuilder::new();
    /// builder.add(&cm)?;
    /// assert_eq!(builder.build().skipped()["ConfigMap (v1)"], 1);
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    core::ConfigMap => ConfigMap via ConfigMap;

    /// Reads a `k8s-openapi` deployment: its metadata and pod template.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1 as apps;
    /// use k8s_openapi::api::core::v1 as core;
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    /// use meshrev::snapshot::{Workload, WorkloadKind};
    ///
    /// let template = core::PodTemplateSpec {
    ///     metadata: Some(ObjectMeta {
    ///         labels: Some([("istio.io/rev".into(), "canary".into())].into()),
    ///         ..Default::default()
    ///     }),
    ///     spec: None,
    /// };
    /// let mut d = apps::Deployment::default();
    /// d.metadata.name = Some("web".into());
    /// d.metadata.namespace = Some("mercury".into());
    /// d.spec = apps::DeploymentSpec { replicas: Some(3), template, ..Default::default() };
    /// let w = Workload::try_from(&d)?;
    /// assert_eq!((w.kind, w.replicas), (WorkloadKind::Deployment, Some(3)));
    /// assert_eq!(w.template.labels["istio.io/rev"], "canary");
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    apps::Deployment => Workload via Workload;

    /// Reads a `k8s-openapi` stateful set: its metadata and pod template.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1 as apps;
    /// use meshrev::snapshot::{Workload, WorkloadKind};
    ///
    /// let mut s = apps::StatefulSet::default();
    /// s.metadata.name = Some("db".into());
    /// s.metadata.namespace = Some("mercury".into());
    /// s.spec.replicas = Some(1);
    /// assert_eq!(Workload::try_from(&s)?.kind, WorkloadKind::StatefulSet);
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    apps::StatefulSet => Workload via Workload;

    /// Reads a `k8s-openapi` daemon set: its metadata and pod template.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1 as apps;
    /// use meshrev::snapshot::{Workload, WorkloadKind};
    ///
    /// let mut d = apps::DaemonSet::default();
    /// d.metadata.name = Some("node-agent".into());
    /// d.metadata.namespace = Some("mercury".into());
    /// let w = Workload::try_from(&d)?;
    /// assert_eq!((w.kind, w.replicas), (WorkloadKind::DaemonSet, None));
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    apps::DaemonSet => Workload via Workload;

    /// Reads a `k8s-openapi` replica set; its controller owner reference names
    /// its deployment. `spec.template` is optional in the API type but required
    /// here, as in text.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1 as apps;
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    /// use meshrev::snapshot::Workload;
    ///
    /// let mut rs = apps::ReplicaSet::default();
    /// rs.metadata.name = Some("web-5d9c".into());
    /// rs.metadata.namespace = Some("mercury".into());
    /// rs.metadata.owner_references = Some(vec![OwnerReference {
    ///     api_version: "apps/v1".into(),
    ///     kind: "Deployment".into(),
    ///     name: "web".into(),
    ///     uid: "1b0c".into(),
    ///     controller: Some(true),
    ///     ..Default::default()
    /// }]);
    /// assert!(Workload::try_from(&rs).is_err(), "no spec.template");
    ///
    /// rs.spec.template = Some(Default::default());
    /// assert_eq!(Workload::try_from(&rs)?.meta.controller().unwrap().name, "web");
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    apps::ReplicaSet => Workload via Workload;

    /// Reads a `k8s-openapi` mutating webhook configuration, selectors checked as
    /// the API server checks them.
    ///
    /// ```
    /// use k8s_openapi::api::admissionregistration::v1 as adm;
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    /// use meshrev::snapshot::MutatingWebhookConfiguration;
    ///
    /// let mut mwc = adm::MutatingWebhookConfiguration::default();
    /// mwc.metadata.name = Some("istio-sidecar-injector-canary".into());
    /// mwc.webhooks = Some(vec![adm::MutatingWebhook {
    ///     name: "rev.namespace.sidecar-injector.istio.io".into(),
    ///     namespace_selector: Some(LabelSelector {
    ///         match_labels: Some([("istio.io/rev".into(), "canary".into())].into()),
    ///         ..Default::default()
    ///     }),
    ///     ..Default::default()
    /// }]);
    /// let mwc = MutatingWebhookConfiguration::try_from(&mwc)?;
    /// let selector = mwc.webhooks[0].namespace_selector.as_ref().unwrap();
    /// assert_eq!(selector.match_labels()["istio.io/rev"], "canary");
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    admissionregistration::MutatingWebhookConfiguration => MutatingWebhookConfiguration via Webhook;
}
