//! Sail operator / OpenShift Service Mesh 3.x (`sailoperator.io/v1`): `Istio`,
//! `IstioRevision`, `IstioRevisionTag`. All three are cluster-scoped.

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;

/// `spec.updateStrategy.type` of an `Istio`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum UpdateStrategy {
    /// One revision, named after the Istio, upgraded in place (the default).
    #[default]
    InPlace,
    /// A new revision per version, `<name>-<version with dots as dashes>`.
    RevisionBased,
}

/// An `Istio`: the desired control plane; the operator creates its revisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Istio {
    /// Its metadata.
    pub meta: ObjectMeta,
    /// `spec.version`, e.g. `v1.24.3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `spec.namespace` (default `istio-system`).
    pub namespace: String,
    /// `spec.updateStrategy.type`.
    pub update_strategy: UpdateStrategy,
    /// `spec.updateStrategy.inactiveRevisionDeletionGracePeriodSeconds` (default 30).
    pub inactive_revision_deletion_grace_period_seconds: i64,
    /// `spec.values`: helm values (`meshConfig.discoverySelectors`,
    /// `sidecarInjectorWebhook.enableNamespacesByDefault`, ...).
    pub values: serde_json::Value,
    /// `status.activeRevisionName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_revision_name: Option<String>,
}

impl Istio {
    /// The revision name its spec asks for (sail-operator `controllers/istio`
    /// `getActiveRevisionName`): InPlace, the Istio's name; RevisionBased,
    /// `<name>-<version with dots as dashes>`.
    pub fn revision_name(&self) -> String {
        match self.update_strategy {
            UpdateStrategy::InPlace => self.meta.name.clone(),
            UpdateStrategy::RevisionBased => {
                let version = self.version.as_deref().unwrap_or("unknown");
                format!("{}-{}", self.meta.name, version.replace('.', "-"))
            }
        }
    }

    /// `status.activeRevisionName`, else the name its spec asks for.
    pub fn active_revision(&self) -> String {
        self.active_revision_name
            .clone()
            .unwrap_or_else(|| self.revision_name())
    }
}

/// An `IstioRevision`: one control-plane instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IstioRevision {
    /// Its metadata; the name is the revision name.
    pub meta: ObjectMeta,
    /// `spec.version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `spec.namespace`.
    pub namespace: String,
    /// `spec.values` (with `revision` set by the operator).
    pub values: serde_json::Value,
}

/// The kind an `IstioRevisionTag` targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TagTargetKind {
    /// Follows the Istio's active revision.
    Istio,
    /// Pinned to one revision.
    IstioRevision,
}

/// An `IstioRevisionTag`: an alias that namespaces can reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IstioRevisionTag {
    /// Its metadata; the name is the tag.
    pub meta: ObjectMeta,
    /// `spec.targetRef.kind`.
    pub target_kind: TagTargetKind,
    /// `spec.targetRef.name`.
    pub target_name: String,
    /// `status.istioRevision`: the revision the operator resolved the tag to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_revision: Option<String>,
}
