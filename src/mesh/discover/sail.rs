//! Sail (OpenShift Service Mesh 3): one revision per `IstioRevision`, or per
//! `Istio` whose active revision the snapshot lacks.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Discovered;
use super::injector::{
    discovery_selectors_from_values, injector_from_config_map, injector_from_values,
    istio_injector_config_map,
};
use super::warning::{MeshWarning, WarningKind};
use crate::mesh::revision::{Family, Revision};
use crate::snapshot::ObjectRef;
use crate::snapshot::{Istio, ObjectMeta, Snapshot};

/// The revision name the Sail operator gives an Istio's active revision
/// (`controllers/istio/istio_controller.go` `getActiveRevisionName`).
pub fn sail_revision_name(istio: &Istio) -> String {
    istio.revision_name()
}

/// The Istio's active revision: its status when recorded, else the name the
/// operator would give it.
pub(super) fn active_revision(istio: &Istio) -> String {
    istio.active_revision()
}

fn owner<'a>(s: &'a Snapshot, meta: &ObjectMeta) -> Option<&'a Istio> {
    let owner = meta.owner_references.iter().find(|o| o.kind == "Istio")?;
    s.istios().find(|i| i.meta.name == owner.name)
}

/// What a Sail revision is read from: an `IstioRevision` or an `Istio`.
struct Source<'a> {
    name: String,
    namespace: String,
    version: Option<String>,
    values: &'a Value,
    object: ObjectRef,
    active: Option<bool>,
}

fn add(s: &Snapshot, d: &mut Discovered, src: Source<'_>) {
    if let Some(existing) = d.revisions.get(&src.name) {
        let message = format!(
            "revision name {:?} is already used by {}",
            src.name, existing.control_plane
        );
        d.warnings.push(MeshWarning::new(
            WarningKind::RevisionNameClash,
            src.object,
            message,
        ));
        return;
    }
    let injector = injector_from_config_map(
        s,
        &src.namespace,
        &istio_injector_config_map(&src.name),
        &mut d.warnings,
    )
    .unwrap_or_else(|| {
        injector_from_values(
            src.values,
            format!("{} spec.values", src.object),
            &src.object,
            &mut d.warnings,
        )
    });
    let discovery_selectors =
        discovery_selectors_from_values(src.values, &src.object, &mut d.warnings);
    let istiod = if src.name == "default" {
        "istiod".to_owned()
    } else {
        format!("istiod-{}", src.name)
    };
    let mut rev = Revision::new(
        Family::Sail,
        src.name.clone(),
        src.object,
        src.namespace,
        istiod,
        injector,
    );
    rev.version = src.version;
    rev.discovery_selectors = discovery_selectors;
    rev.active = src.active;
    d.revisions.insert(src.name, rev);
}

pub(super) fn discover(s: &Snapshot, d: &mut Discovered) {
    let mut covered = BTreeSet::new();
    for rev in s.istio_revisions() {
        let owner = owner(s, &rev.meta);
        if let Some(istio) = owner {
            covered.insert(istio.meta.name.clone());
        }
        let active = owner.map(|i| active_revision(i) == rev.meta.name);
        add(
            s,
            d,
            Source {
                name: rev.meta.name.clone(),
                namespace: rev.namespace.clone(),
                version: rev.version.clone(),
                values: &rev.values,
                object: rev.meta.object_ref("IstioRevision"),
                active,
            },
        );
    }
    for istio in s.istios() {
        let name = active_revision(istio);
        if covered.contains(&istio.meta.name) || s.istio_revisions().any(|r| r.meta.name == name) {
            continue;
        }
        add(
            s,
            d,
            Source {
                name,
                namespace: istio.namespace.clone(),
                version: istio.version.clone(),
                values: &istio.values,
                object: istio.meta.object_ref("Istio"),
                active: Some(true),
            },
        );
    }
}
