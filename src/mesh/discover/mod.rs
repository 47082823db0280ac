//! Control-plane discovery for the three families, then their tags and webhooks.
//!
//! Order matters only for naming clashes: Maistra control planes are found first
//! (their istiod Deployments also carry `istio.io/rev`), then Sail revisions (whose
//! Deployments do too), then whatever upstream istiod Deployments and webhook
//! configurations remain. Each family, the injector rules, the tags and the
//! webhooks live in their own module; this one only orders them.

mod clash;
mod injector;
mod maistra;
mod sail;
mod tags;
mod upstream;
mod warning;
mod webhooks;

use std::collections::BTreeMap;

pub use self::sail::sail_revision_name;
pub use self::upstream::{istiod_deployments, istiod_revision};
pub use self::warning::{MeshWarning, WarningKind};
use super::revision::{InjectValues, Revision, Tag};
use super::webhook::Webhook;
use crate::snapshot::Snapshot;

/// What discovery found, before it becomes a [`Mesh`](super::Mesh).
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub revisions: BTreeMap<String, Revision>,
    pub tags: BTreeMap<String, Tag>,
    pub webhooks: Vec<Webhook>,
    pub default_revision: Option<String>,
    pub warnings: Vec<MeshWarning>,
}

pub(crate) fn discover(s: &Snapshot) -> Discovered {
    let mut d = Discovered::default();
    maistra::discover(s, &mut d);
    sail::discover(s, &mut d);
    upstream::discover(s, &mut d);
    tags::discover(s, &mut d);
    clash::discover(s, &mut d);
    webhooks::from_cluster(s, &mut d);
    webhooks::synthesize(s, &mut d);
    // How each istiod reads `sidecar.istio.io/inject` values depends on its version.
    for r in d.revisions.values_mut() {
        r.injector.values = InjectValues::for_revision(r.family, r.version.as_deref());
    }
    d.default_revision = match d.tags.get("default") {
        Some(tag) => tag.revision.clone(),
        None if d.revisions.contains_key("default") => Some("default".to_owned()),
        None => None,
    };
    d.webhooks
        .sort_by(|a, b| a.configuration.cmp(&b.configuration));
    d
}
