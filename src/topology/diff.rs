//! What moved between two snapshots' graphs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::{NodeId, Topology, WorkloadNode};

/// The difference between an older and a newer graph ([`Topology::diff`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TopologyDiff {
    /// Revisions whose control plane appeared, by name.
    pub revisions_added: Vec<String>,
    /// Revisions whose control plane vanished, by name (pods may still run them).
    pub revisions_removed: Vec<String>,
    /// Namespaces whose data plane changed (including joining or leaving the mesh).
    pub namespaces_moved: Vec<NamespaceMove>,
    /// Tags that lead somewhere else now.
    pub tags_moved: Vec<TagMove>,
    /// Workloads whose drift changed: they started or stopped needing a restart,
    /// or drift between other revisions now.
    pub workloads_changed: Vec<WorkloadChange>,
    /// Node ids only the newer graph has.
    pub nodes_added: Vec<NodeId>,
    /// Node ids only the older graph has.
    pub nodes_removed: Vec<NodeId>,
}

/// A namespace that changed data plane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamespaceMove {
    /// The namespace.
    pub namespace: String,
    /// The revision whose data plane it was in (`None`: none, or not in the graph).
    pub from: Option<String>,
    /// The revision whose data plane it is in now.
    pub to: Option<String>,
}

/// A tag that leads to another revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagMove {
    /// The tag.
    pub tag: String,
    /// Its revision before (`None`: absent or dangling).
    pub from: Option<String>,
    /// Its revision now.
    pub to: Option<String>,
}

/// A workload's injector, running revisions and drift, at one point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadState {
    /// The revision that would inject it now.
    pub injector: Option<String>,
    /// The revisions its live pods run.
    pub running: Vec<String>,
    /// Whether it needs a restart.
    pub needs_restart: bool,
}

impl From<&WorkloadNode> for WorkloadState {
    fn from(w: &WorkloadNode) -> Self {
        WorkloadState {
            injector: w.injector.clone(),
            running: w.running.clone(),
            needs_restart: w.needs_restart,
        }
    }
}

/// A workload whose drift changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadChange {
    /// `workload:<namespace>/<kind>/<name>`.
    pub id: NodeId,
    /// Before (`None`: not in the older graph).
    pub before: Option<WorkloadState>,
    /// After (`None`: not in the newer graph).
    pub after: Option<WorkloadState>,
}

impl TopologyDiff {
    /// Whether nothing moved.
    pub fn is_empty(&self) -> bool {
        self == &TopologyDiff::default()
    }
}

impl Topology {
    /// What moved from `self` (older) to `newer`: revisions appearing or
    /// vanishing, namespaces changing data plane, tags moving, workloads whose
    /// drift changed, and every node id added or removed.
    ///
    /// ```
    /// use meshrev::{Mesh, Snapshot, Topology};
    ///
    /// let yaml = |rev: &str| format!(r#"
    /// apiVersion: sailoperator.io/v1
    /// kind: IstioRevision
    /// metadata: {{name: {rev}}}
    /// spec: {{version: v1.24.3, namespace: istio-system}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {{name: mercury, labels: {{istio.io/rev: {rev}}}}}
    /// "#);
    /// let before = Topology::new(&Mesh::new(Snapshot::from_yaml(&yaml("blue"))?));
    /// let after = Topology::new(&Mesh::new(Snapshot::from_yaml(&yaml("green"))?));
    /// let diff = before.diff(&after);
    /// assert_eq!(diff.revisions_added, ["green"]);
    /// assert_eq!(diff.revisions_removed, ["blue"]);
    /// assert_eq!(diff.namespaces_moved[0].to.as_deref(), Some("green"));
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn diff(&self, newer: &Topology) -> TopologyDiff {
        let existing = |t: &Topology| -> BTreeSet<String> {
            t.revisions()
                .filter(|r| r.control_plane.is_some())
                .map(|r| r.name.clone())
                .collect()
        };
        let (old_revs, new_revs) = (existing(self), existing(newer));

        let namespaces: BTreeSet<&str> = self
            .namespaces()
            .chain(newer.namespaces())
            .map(|n| n.name.as_str())
            .collect();
        let namespaces_moved = namespaces
            .into_iter()
            .filter_map(|ns| {
                let from = self.data_plane_of(ns).map(|d| d.revision.clone());
                let to = newer.data_plane_of(ns).map(|d| d.revision.clone());
                (from != to).then(|| NamespaceMove {
                    namespace: ns.to_owned(),
                    from,
                    to,
                })
            })
            .collect();

        let tags: BTreeSet<&str> = self
            .tags()
            .chain(newer.tags())
            .map(|t| t.name.as_str())
            .collect();
        let tags_moved = tags
            .into_iter()
            .filter_map(|tag| {
                let from = self.tag_target(tag).map(|r| r.name.clone());
                let to = newer.tag_target(tag).map(|r| r.name.clone());
                (from != to).then(|| TagMove {
                    tag: tag.to_owned(),
                    from,
                    to,
                })
            })
            .collect();

        let states = |t: &Topology| -> BTreeMap<NodeId, WorkloadState> {
            t.workloads()
                .map(|w| (w.id.clone(), WorkloadState::from(w)))
                .collect()
        };
        let (old_w, new_w) = (states(self), states(newer));
        let ids: BTreeSet<&NodeId> = old_w.keys().chain(new_w.keys()).collect();
        let drift = |s: Option<&WorkloadState>| s.filter(|s| s.needs_restart).cloned();
        let workloads_changed = ids
            .into_iter()
            .filter_map(|id| {
                let (before, after) = (old_w.get(id), new_w.get(id));
                (drift(before) != drift(after)).then(|| WorkloadChange {
                    id: id.clone(),
                    before: before.cloned(),
                    after: after.cloned(),
                })
            })
            .collect();

        let old_ids: BTreeSet<&NodeId> = self.index.keys().collect();
        let new_ids: BTreeSet<&NodeId> = newer.index.keys().collect();
        TopologyDiff {
            revisions_added: new_revs.difference(&old_revs).cloned().collect(),
            revisions_removed: old_revs.difference(&new_revs).cloned().collect(),
            namespaces_moved,
            tags_moved,
            workloads_changed,
            nodes_added: new_ids.difference(&old_ids).map(|&i| i.clone()).collect(),
            nodes_removed: old_ids.difference(&new_ids).map(|&i| i.clone()).collect(),
        }
    }
}

impl fmt::Display for TopologyDiff {
    /// One line per change, `+`/`-` for revisions, `~` for moves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_none = |o: &Option<String>| o.clone().unwrap_or_else(|| "none".to_owned());
        for r in &self.revisions_added {
            writeln!(f, "+ revision {r}")?;
        }
        for r in &self.revisions_removed {
            writeln!(f, "- revision {r}")?;
        }
        for m in &self.namespaces_moved {
            writeln!(
                f,
                "~ namespace {}: data plane {} -> {}",
                m.namespace,
                or_none(&m.from),
                or_none(&m.to)
            )?;
        }
        for t in &self.tags_moved {
            writeln!(
                f,
                "~ tag {}: {} -> {}",
                t.tag,
                or_none(&t.from),
                or_none(&t.to)
            )?;
        }
        for w in &self.workloads_changed {
            let name = w.id.as_str().trim_start_matches("workload:");
            let describe = |s: &WorkloadState| {
                let running = if s.running.is_empty() {
                    "no sidecar".to_owned()
                } else {
                    s.running.join(",")
                };
                format!("runs {running}, injector {}", or_none(&s.injector))
            };
            match (&w.before, &w.after) {
                (_, Some(a)) if a.needs_restart => {
                    writeln!(f, "! {name}: needs a restart ({})", describe(a))?
                }
                (Some(b), Some(a)) => writeln!(
                    f,
                    "~ {name}: restarted ({} -> {})",
                    describe(b),
                    describe(a)
                )?,
                (Some(b), None) => writeln!(f, "- {name}: gone ({})", describe(b))?,
                (None, _) => writeln!(f, "+ {name}")?,
            }
        }
        Ok(())
    }
}
