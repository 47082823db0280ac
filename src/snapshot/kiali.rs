//! `kiali.io/v1alpha1 Kiali`: the observability stack the mesh page shows.

use serde::Serialize;

use super::meta::ObjectMeta;

/// A `Kiali` CR, reduced to the infrastructure it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kiali {
    /// Its metadata.
    pub meta: ObjectMeta,
    /// `spec.external_services.prometheus.url` (else `internal_url`, Kiali 2, or
    /// `in_cluster_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// `spec.external_services.tracing.enabled` (Kiali's default: true).
    pub tracing_enabled: bool,
    /// `spec.external_services.tracing.provider` (`jaeger`, `tempo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_provider: Option<String>,
    /// The in-cluster tracing URL: `tracing.internal_url`, else `in_cluster_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_url: Option<String>,
    /// `spec.external_services.grafana.enabled` (Kiali's default: true).
    pub grafana_enabled: bool,
    /// The in-cluster Grafana URL: `grafana.internal_url`, else `in_cluster_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grafana_url: Option<String>,
}
