//! Upstream Istio (helm or istioctl): revisions found through their istiod
//! Deployments, then through injection webhook configurations no Deployment
//! accounts for.

use super::Discovered;
use super::injector::{
    discovery_selectors_from_mesh_config, injector_from_config_map, istio_injector_config_map,
};
use super::maistra;
use super::webhooks::is_injection_configuration;
use crate::labels;
use crate::mesh::revision::{Family, InjectorConfig, Policy, Revision};
use crate::snapshot::ObjectRef;
use crate::snapshot::{Snapshot, Workload, WorkloadKind};

/// The istiod Deployments of a snapshot (`app: istiod`), whatever their family:
/// every chart (istio, Sail, Maistra) labels its istiod so.
pub fn istiod_deployments(s: &Snapshot) -> impl Iterator<Item = &Workload> {
    s.workloads().filter(|w| {
        w.kind == WorkloadKind::Deployment
            && w.meta.labels.get("app").map(String::as_str) == Some("istiod")
    })
}

/// The revision an istiod Deployment serves: its `istio.io/rev` label, `default`
/// without one (the chart's empty helm revision).
pub fn istiod_revision(w: &Workload) -> &str {
    w.meta
        .labels
        .get(labels::REV)
        .map_or("default", String::as_str)
}

/// The version in an istiod Deployment's image tag: the `discovery` container's,
/// else the only container's.
pub(super) fn istiod_image_version(w: &Workload) -> Option<String> {
    let images = &w.template.images;
    let image = images.get("discovery").or_else(|| {
        let mut all = images.values();
        match (all.next(), all.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    })?;
    crate::mesh::Version::from_image(image).map(|v| v.to_string())
}

/// Records an upstream installation; returns the key of the revision it is
/// (new, or found earlier), `None` when its name belongs to a tag or to
/// another family's revision.
fn add(
    s: &Snapshot,
    d: &mut Discovered,
    name: String,
    namespace: String,
    istiod: String,
    object: ObjectRef,
) -> Option<String> {
    // One revision name installed by helm in two namespaces: two istiods, two
    // webhook configurations (the chart suffixes the second with its namespace,
    // istio-discovery `templates/mutatingwebhook.yaml`), both matching
    // `istio.io/rev=<name>`, so both inject (issue 8 rule 6). The first found
    // (istio-system sorts before its siblings) keeps the plain name, which is what
    // pods record; each other installation becomes `<namespace>/<name>`, so that
    // its webhooks route to its own istiod and a pod both match is a conflict.
    let key = match d.revisions.get(&name) {
        Some(r) if r.family != Family::Istio => return None,
        Some(r) if r.namespace != namespace => format!("{namespace}/{name}"),
        Some(_) => return Some(name),
        None if d.tags.contains_key(&name) => return None,
        None => name.clone(),
    };
    if d.revisions.contains_key(&key) {
        return Some(key);
    }
    let injector = injector_from_config_map(
        s,
        &namespace,
        &istio_injector_config_map(&name),
        &mut d.warnings,
    )
    .unwrap_or_else(|| {
        InjectorConfig::new(Policy::Enabled, "chart default (no injector config map)")
    });
    let discovery_selectors =
        discovery_selectors_from_mesh_config(s, &namespace, &name, &mut d.warnings);
    let mut rev = Revision::new(
        Family::Istio,
        key.clone(),
        object,
        namespace,
        istiod,
        injector,
    );
    rev.discovery_selectors = discovery_selectors;
    d.revisions.insert(key.clone(), rev);
    Some(key)
}

pub(super) fn discover(s: &Snapshot, d: &mut Discovered) {
    for w in istiod_deployments(s) {
        let name = istiod_revision(w).to_owned();
        if maistra::is_maistra_istiod(w) {
            maistra::from_deployment(s, d, name, w);
            continue;
        }
        // istioctl's label, else the istiod image tag (the chart's container is
        // `discovery`).
        let version = w
            .meta
            .labels
            .get("operator.istio.io/version")
            .cloned()
            .or_else(|| istiod_image_version(w));
        let key = add(
            s,
            d,
            name,
            w.namespace().to_owned(),
            w.meta.name.clone(),
            w.meta.object_ref("Deployment"),
        );
        if let Some(rev) = key.and_then(|k| d.revisions.get_mut(&k))
            && rev.version.is_none()
        {
            rev.version = version;
        }
    }
    for mwc in s.webhook_configurations() {
        if mwc.meta.labels.contains_key(labels::TAG) || !is_injection_configuration(mwc) {
            continue;
        }
        let Some(name) = mwc.meta.labels.get(labels::REV).cloned() else {
            continue;
        };
        let service = mwc.webhooks.iter().find_map(|w| w.service.clone());
        let (namespace, istiod) = match service {
            Some(svc) => (svc.namespace, svc.name),
            None => ("istio-system".to_owned(), "istiod".to_owned()),
        };
        add(
            s,
            d,
            name,
            namespace,
            istiod,
            mwc.meta.object_ref("MutatingWebhookConfiguration"),
        );
    }
}
