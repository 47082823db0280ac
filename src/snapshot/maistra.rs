//! Maistra / OpenShift Service Mesh 2.x: `ServiceMeshControlPlane` (`maistra.io/v2`),
//! `ServiceMeshMemberRoll` and `ServiceMeshMember` (`maistra.io/v1`).

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use crate::labels::LabelSelector;

/// How a Maistra control plane chooses its namespaces (`spec.mode`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum ControlPlaneMode {
    /// Members listed in the SMMR (the default).
    #[default]
    MultiTenant,
    /// Cluster-wide (2.4+): the default SMMR selects `istio-injection=enabled`.
    ClusterWide,
}

/// A `ServiceMeshControlPlane`; its name is its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMeshControlPlane {
    /// Its metadata; the namespace is the control-plane namespace.
    pub meta: ObjectMeta,
    /// `spec.version`, e.g. `v2.6`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `spec.mode`.
    pub mode: ControlPlaneMode,
    /// `spec.meshConfig.discoverySelectors` (ClusterWide only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovery_selectors: Vec<LabelSelector>,
    /// `spec.proxy.injection.autoInject`: `true` makes the injector policy
    /// `enabled` (pods need not opt in); absent or `false` leaves `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_inject: Option<bool>,
    /// `spec.techPreview.sidecarInjectorWebhook.objectSelector.enabled`: the
    /// operator starts the chart values from `spec.techPreview`
    /// (maistra/istio-operator `pkg/apis/maistra/conversion/conversion_v2_to_v1.go`),
    /// and the v2.6 chart then adds `sidecar.istio.io/inject` to the injection
    /// webhook's objectSelector (`NotIn [false]` with `autoInject`, else `In [true]`:
    /// only pods *labelled* `true` reach istiod). Absent: `false`, the chart default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inject_object_selector: bool,
    /// What it explicitly enables that the OSSM 3 migration requires disabled
    /// first: `gateways`, `gateways.ingress`, `addons.kiali`, `tracing (Jaeger)`,
    /// `security.manageNetworkPolicy`, ... (only explicit settings: an absent
    /// field's default depends on the profile).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled_features: Vec<String>,
    /// The gateway and addon settings the OSSM 3 migration needs disabled that
    /// it does not state, as paths (`spec.gateways.ingress.enabled`,
    /// `spec.addons.kiali.enabled`, ...): the profile's defaults apply, and the
    /// v2.6 `base` profile enables them all (maistra/istio-operator
    /// `resources/smcp-templates/v2.6/base`). A plan notes them rather than
    /// refusing: what the operator applied is in the SMCP's status, not here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unstated_features: Vec<String>,
}

/// A `ServiceMeshMemberRoll` (named `default`, in the control-plane namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMeshMemberRoll {
    /// Its metadata.
    pub meta: ObjectMeta,
    /// `spec.members`; `["*"]` means every namespace.
    pub members: Vec<String>,
    /// `spec.memberSelectors`, ORed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_selectors: Vec<LabelSelector>,
}

/// A `ServiceMeshMember`: a namespace joining a control plane from its own side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMeshMember {
    /// Its metadata; the namespace is the joining namespace.
    pub meta: ObjectMeta,
    /// `spec.controlPlaneRef.name`: the SMCP name.
    pub control_plane_name: String,
    /// `spec.controlPlaneRef.namespace`: the SMCP namespace.
    pub control_plane_namespace: String,
}
