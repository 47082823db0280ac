//! Mesh: the control planes of a snapshot, compiled into revisions, tags and the
//! injection webhooks that route pods to them.
//!
//! Building a mesh never fails: oddities (an unreadable injector config, a webhook
//! sending to a revision that does not exist) become [`MeshWarning`]s, which the
//! analyzer reports. A mesh is immutable; after a change, build a new one.

mod discover;
mod membership;
mod revision;
mod webhook;

use std::collections::BTreeMap;

pub use self::discover::{
    MeshWarning, WarningKind, istiod_deployments, istiod_revision, sail_revision_name,
};
pub use self::membership::{
    cluster_wide_default_selector, is_excluded_namespace, is_member, roll_includes,
};
pub use self::revision::{Family, InjectorConfig, Policy, Revision, Tag, Via, WebhookSource};
pub use self::webhook::Webhook;
use crate::snapshot::{ControlPlaneMode, Snapshot};

/// The compiled model of a snapshot's control planes.
#[derive(Debug, Clone)]
pub struct Mesh {
    snapshot: Snapshot,
    revisions: BTreeMap<String, Revision>,
    tags: BTreeMap<String, Tag>,
    webhooks: Vec<Webhook>,
    default_revision: Option<String>,
    warnings: Vec<MeshWarning>,
}

impl Mesh {
    /// Discovers control planes, revisions, tags and webhooks in a snapshot.
    pub fn new(snapshot: Snapshot) -> Mesh {
        let d = discover::discover(&snapshot);
        Mesh {
            snapshot,
            revisions: d.revisions,
            tags: d.tags,
            webhooks: d.webhooks,
            default_revision: d.default_revision,
            warnings: d.warnings,
        }
    }

    /// The snapshot the mesh was built from.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Gives the snapshot back (to change it and build a new mesh).
    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// Revisions by name.
    pub fn revisions(&self) -> impl Iterator<Item = &Revision> {
        self.revisions.values()
    }

    /// A revision by name.
    pub fn revision(&self, name: &str) -> Option<&Revision> {
        self.revisions.get(name)
    }

    /// Tags by name.
    pub fn tags(&self) -> impl Iterator<Item = &Tag> {
        self.tags.values()
    }

    /// A tag by name.
    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.get(name)
    }

    /// The tags that lead to a revision.
    pub fn tags_of<'a>(&'a self, revision: &'a str) -> impl Iterator<Item = &'a Tag> + 'a {
        self.tags
            .values()
            .filter(move |t| t.revision.as_deref() == Some(revision))
    }

    /// The revision a name leads to: a revision's own name, or a tag's target.
    pub fn resolve_name(&self, name: &str) -> Option<&Revision> {
        self.revisions.get(name).or_else(|| {
            self.tags
                .get(name)
                .and_then(|t| t.revision.as_deref())
                .and_then(|r| self.revisions.get(r))
        })
    }

    /// The default revision: the `default` tag's target, else a revision named `default`.
    pub fn default_revision(&self) -> Option<&str> {
        self.default_revision.as_deref()
    }

    /// Every injection webhook, in the order the API server calls them (by
    /// configuration name, then position).
    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    /// What discovery found odd.
    pub fn warnings(&self) -> &[MeshWarning] {
        &self.warnings
    }

    /// The Maistra control plane whose member roll (or a ServiceMeshMember)
    /// includes a namespace, whatever its labels say now.
    pub fn maistra_member_of(&self, namespace: &str) -> Option<&Revision> {
        let labels = self
            .snapshot
            .namespace(namespace)
            .map(|n| n.selector_labels())
            .unwrap_or_default();
        self.revisions
            .values()
            .filter(|r| r.family == Family::Maistra)
            .find(|r| {
                let roll = self.snapshot.member_rolls().find(|m| {
                    m.meta.namespace.as_deref() == Some(&r.namespace) && m.meta.name == "default"
                });
                let members = self.snapshot.members();
                match roll {
                    Some(roll) => is_member(
                        Some(roll),
                        members,
                        &r.name,
                        &r.namespace,
                        namespace,
                        &labels,
                    ),
                    None if r.mode == Some(ControlPlaneMode::ClusterWide) => {
                        roll_includes(
                            &[],
                            &[cluster_wide_default_selector()],
                            &r.namespace,
                            namespace,
                            &labels,
                        ) || is_member(None, members, &r.name, &r.namespace, namespace, &labels)
                    }
                    None => is_member(None, members, &r.name, &r.namespace, namespace, &labels),
                }
            })
    }
}
