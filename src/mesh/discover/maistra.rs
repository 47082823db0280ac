//! Maistra (OpenShift Service Mesh 2): one revision per `ServiceMeshControlPlane`,
//! or per Maistra-labelled istiod Deployment whose SMCP the snapshot lacks.

use super::Discovered;
use super::injector::{injector_from_config_map, maistra_injector_config_map};
use crate::mesh::revision::{Family, InjectorConfig, Policy, Revision};
use crate::snapshot::{ControlPlaneMode, Snapshot, Workload};

/// Labels the Maistra operator puts on the istiod it manages (kiali/kiali
/// `istio/discovery.go` treats a control plane carrying any of them as Maistra).
const MAISTRA_DEPLOYMENT_LABELS: [&str; 3] = [
    "maistra.io/owner",
    "maistra.io/owner-name",
    "maistra-version",
];

/// Whether an istiod Deployment was made by the Maistra operator.
pub(super) fn is_maistra_istiod(w: &Workload) -> bool {
    MAISTRA_DEPLOYMENT_LABELS
        .iter()
        .any(|l| w.meta.labels.contains_key(*l))
}

/// The injector of a Maistra revision: its config map, else the default profile
/// (policy `disabled`; `autoInject: true` flips it).
fn injector(
    s: &Snapshot,
    d: &mut Discovered,
    name: &str,
    namespace: &str,
    auto_inject: bool,
    default_source: String,
) -> InjectorConfig {
    injector_from_config_map(
        s,
        namespace,
        &maistra_injector_config_map(name),
        &mut d.warnings,
    )
    .unwrap_or_else(|| {
        let policy = if auto_inject {
            Policy::Enabled
        } else {
            Policy::Disabled
        };
        InjectorConfig::new(policy, default_source)
    })
}

pub(super) fn discover(s: &Snapshot, d: &mut Discovered) {
    for cp in s.control_planes() {
        let name = cp.meta.name.clone();
        let namespace = cp.meta.namespace.clone().unwrap_or_default();
        let object = cp.meta.object_ref("ServiceMeshControlPlane");
        let injector = injector(
            s,
            d,
            &name,
            &namespace,
            cp.auto_inject == Some(true),
            format!("{object} (Maistra default profile)"),
        );
        let mut rev = Revision::new(
            Family::Maistra,
            name.clone(),
            object,
            namespace,
            format!("istiod-{name}"),
            injector,
        );
        rev.version = cp.version.clone();
        rev.discovery_selectors = match cp.mode {
            ControlPlaneMode::ClusterWide => cp.discovery_selectors.clone(),
            ControlPlaneMode::MultiTenant => Vec::new(),
        };
        rev.mode = Some(cp.mode);
        d.revisions.insert(name, rev);
    }
}

/// A Maistra istiod whose `ServiceMeshControlPlane` is not in the snapshot: still a
/// Maistra revision (membership webhook, policy `disabled`), named by its
/// `istio.io/rev` label.
pub(super) fn from_deployment(s: &Snapshot, d: &mut Discovered, name: String, w: &Workload) {
    if d.revisions.contains_key(&name) {
        return;
    }
    let namespace = w.namespace().to_owned();
    let object = w.meta.object_ref("Deployment");
    let injector = injector(
        s,
        d,
        &name,
        &namespace,
        false,
        format!("{object} (Maistra default profile)"),
    );
    let mut rev = Revision::new(
        Family::Maistra,
        name.clone(),
        object,
        namespace,
        w.meta.name.clone(),
        injector,
    );
    rev.version = w.meta.labels.get("maistra-version").cloned();
    rev.mode = Some(ControlPlaneMode::MultiTenant);
    d.revisions.insert(name, rev);
}
