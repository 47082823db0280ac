//! Mesh: the control planes of a snapshot, compiled into revisions, tags and the
//! injection webhooks that route pods to them.
//!
//! Building a mesh never fails: oddities (an unreadable injector config, a webhook
//! sending to a revision that does not exist) become [`MeshWarning`]s, which the
//! analyzer reports. A mesh is immutable; after a change, build a new one.

mod discover;
pub(crate) mod membership;
mod revision;
mod version;
mod webhook;

use std::sync::Arc;

pub use self::discover::{
    MeshWarning, WarningKind, istiod_deployments, istiod_revision, sail_revision_name,
};
use self::membership::{cluster_wide_default_selector, is_member, roll_includes};
pub use self::revision::{
    Family, InjectValues, InjectorConfig, Policy, Revision, Tag, Via, WebhookSource,
};
pub use self::version::Version;
pub use self::webhook::Webhook;
use crate::labels;
use crate::snapshot::{ControlPlaneMode, Edit, Snapshot};

/// The compiled model of a snapshot's control planes.
///
/// Cloning is cheap: the snapshot's maps and the discovered control planes are
/// shared between clones, so a planner can try a change on a copy.
#[derive(Debug, Clone)]
pub struct Mesh {
    snapshot: Snapshot,
    discovered: Arc<discover::Discovered>,
}

impl Mesh {
    /// Discovers control planes, revisions, tags and webhooks in a snapshot.
    pub fn new(snapshot: Snapshot) -> Mesh {
        let discovered = Arc::new(discover::discover(&snapshot));
        Mesh {
            snapshot,
            discovered,
        }
    }

    /// Applies an edit to the snapshot, as the cluster would, and discovers the
    /// control planes again only when the edit can change them (namespace labels
    /// and pods cannot), so a plan step costs what it touches. Where a Maistra
    /// control plane is present, its operator's answer follows: a relabelled
    /// namespace gains or loses `maistra.io/member-of` as its membership changes.
    /// On error the mesh is unchanged.
    ///
    /// ```
    /// use meshrev::{Edit, Mesh, Snapshot};
    ///
    /// let mut mesh = Mesh::new(Snapshot::from_yaml(r#"
    /// apiVersion: sailoperator.io/v1
    /// kind: Istio
    /// metadata: {name: ossm3}
    /// spec: {version: v1.24.3}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: mercury}
    /// "#)?);
    /// let before = mesh.clone();
    /// mesh.apply(&Edit::label_namespace("mercury", [("istio.io/rev", "ossm3")], []))?;
    /// assert_eq!(mesh.resolve_namespace("mercury").revision(), Some("ossm3"));
    /// assert_eq!(before.resolve_namespace("mercury").revision(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(
        &mut self,
        edit: &crate::snapshot::Edit,
    ) -> Result<(), crate::snapshot::EditError> {
        let had_maistra = self.has_maistra();
        self.snapshot.apply(edit)?;
        if edit.touches_control_planes() {
            self.discovered = Arc::new(discover::discover(&self.snapshot));
        }
        if had_maistra || self.has_maistra() {
            match edit {
                Edit::LabelNamespace { namespace, .. } => self.reconcile_member_of(namespace),
                Edit::Delete { object } if object.kind.starts_with("ServiceMesh") => {
                    let all: Vec<String> = self
                        .snapshot
                        .namespaces()
                        .map(|n| n.name().to_owned())
                        .collect();
                    for ns in all {
                        self.reconcile_member_of(&ns);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// [`Mesh::apply`] of an edit the caller owns: a rollout's new pods are
    /// moved into the snapshot, not copied (they change nothing the mesh
    /// discovers, so nothing else is redone).
    pub(crate) fn apply_owned(
        &mut self,
        edit: crate::snapshot::Edit,
    ) -> Result<(), crate::snapshot::EditError> {
        match edit {
            Edit::ReplacePods { workload, pods } => {
                self.snapshot.replace_pods_owned(&workload, pods)
            }
            other => self.apply(&other),
        }
    }

    fn has_maistra(&self) -> bool {
        self.revisions().any(|r| r.family == Family::Maistra)
    }

    /// What the Maistra operator does after a namespace's labels or the member
    /// roll change: `maistra.io/member-of=<control-plane namespace>` on members
    /// and on the control plane's own namespace (2.4+, `namespace_labels.go`),
    /// removed from everything else.
    fn reconcile_member_of(&mut self, namespace: &str) {
        let Some(ns) = self.snapshot.namespace(namespace) else {
            return;
        };
        let current = ns.meta.labels.get(labels::MAISTRA_MEMBER_OF).cloned();
        let own = self
            .revisions()
            .find(|r| r.family == Family::Maistra && r.namespace == namespace)
            .map(|r| r.namespace.clone());
        let expected = own.or_else(|| {
            self.maistra_member_of(namespace)
                .map(|r| r.namespace.clone())
        });
        if current == expected {
            return;
        }
        let edit = match expected {
            Some(cp) => Edit::LabelNamespace {
                namespace: namespace.to_owned(),
                set: [(labels::MAISTRA_MEMBER_OF.to_owned(), cp)].into(),
                remove: Default::default(),
            },
            None => Edit::label_namespace(namespace, [], [labels::MAISTRA_MEMBER_OF]),
        };
        // Both keys and values come from valid labels, so this cannot fail.
        let _ = self.snapshot.apply(&edit);
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
        self.discovered.revisions.values()
    }

    /// A revision by name.
    pub fn revision(&self, name: &str) -> Option<&Revision> {
        self.discovered.revisions.get(name)
    }

    /// Tags by name.
    pub fn tags(&self) -> impl Iterator<Item = &Tag> {
        self.discovered.tags.values()
    }

    /// A tag by name.
    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.discovered.tags.get(name)
    }

    /// The tags that lead to a revision.
    pub fn tags_of<'a>(&'a self, revision: &'a str) -> impl Iterator<Item = &'a Tag> + 'a {
        self.discovered
            .tags
            .values()
            .filter(move |t| t.revision.as_deref() == Some(revision))
    }

    /// The revision a name leads to: a revision's own name, or a tag's target.
    pub fn resolve_name(&self, name: &str) -> Option<&Revision> {
        self.discovered.revisions.get(name).or_else(|| {
            self.discovered
                .tags
                .get(name)
                .and_then(|t| t.revision.as_deref())
                .and_then(|r| self.discovered.revisions.get(r))
        })
    }

    /// The default revision: the `default` tag's target, else a revision named `default`.
    pub fn default_revision(&self) -> Option<&str> {
        self.discovered.default_revision.as_deref()
    }

    /// Every injection webhook, in the order the API server calls them (by
    /// configuration name, then position).
    pub fn webhooks(&self) -> &[Webhook] {
        &self.discovered.webhooks
    }

    /// What discovery found odd.
    pub fn warnings(&self) -> &[MeshWarning] {
        &self.discovered.warnings
    }

    /// The Maistra control plane whose member roll (or a ServiceMeshMember)
    /// includes a namespace, whatever its labels say now.
    pub fn maistra_member_of(&self, namespace: &str) -> Option<&Revision> {
        let labels = self
            .snapshot
            .namespace(namespace)
            .map(|n| n.selector_labels())
            .unwrap_or_default();
        self.discovered
            .revisions
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
