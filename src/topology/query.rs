//! Questions answered on the graph: data planes, revisions in use, restarts,
//! progress, tags.

use petgraph::Direction;

use super::{
    DataPlaneNode, EdgeKind, NamespaceNode, Node, NodeId, RevisionNode, RevisionProgress, TagNode,
    Topology, WorkloadNode,
};

impl Topology {
    /// Every revision, by id: those with a control plane, and those only running
    /// pods remember.
    pub fn revisions(&self) -> impl Iterator<Item = &RevisionNode> + '_ {
        self.nodes().filter_map(|n| match n {
            Node::Revision(r) => Some(r),
            _ => None,
        })
    }

    /// A revision by name.
    pub fn revision(&self, name: &str) -> Option<&RevisionNode> {
        match self
            .revisions
            .get(name)
            .and_then(|id| self.node(id.as_str()))
        {
            Some(Node::Revision(r)) => Some(r),
            _ => None,
        }
    }

    /// Revisions with a control plane that the Sail operator would keep (a tag,
    /// namespace or pod references them).
    pub fn revisions_in_use(&self) -> Vec<&RevisionNode> {
        self.revisions()
            .filter(|r| r.control_plane.is_some() && r.in_use)
            .collect()
    }

    /// Revisions safe to remove: not in use, injecting nothing, not an Istio's
    /// active revision.
    pub fn unused_revisions(&self) -> Vec<&RevisionNode> {
        self.revisions()
            .filter(|r| r.control_plane.is_some() && r.prunable)
            .collect()
    }

    /// Revisions that running pods name but the snapshot has no control plane for
    /// (after `kubectl delete smcp basic`, every pod still on `basic`).
    pub fn missing_revisions(&self) -> Vec<&RevisionNode> {
        self.revisions()
            .filter(|r| r.control_plane.is_none())
            .collect()
    }

    /// Every data plane, by revision.
    pub fn data_planes(&self) -> impl Iterator<Item = &DataPlaneNode> + '_ {
        self.nodes().filter_map(|n| match n {
            Node::DataPlane(d) => Some(d),
            _ => None,
        })
    }

    /// The data plane a revision manages (found by following its `manages` edge).
    pub fn data_plane(&self, revision: &str) -> Option<&DataPlaneNode> {
        let id = self.revisions.get(revision)?;
        self.neighbors(id.as_str(), EdgeKind::Manages, Direction::Outgoing)
            .into_iter()
            .find_map(|n| match n {
                Node::DataPlane(d) => Some(d),
                _ => None,
            })
    }

    /// The data plane a namespace is in (found by following `contains` backwards).
    pub fn data_plane_of(&self, namespace: &str) -> Option<&DataPlaneNode> {
        self.neighbors(
            NodeId::namespace(namespace).as_str(),
            EdgeKind::Contains,
            Direction::Incoming,
        )
        .into_iter()
        .find_map(|n| match n {
            Node::DataPlane(d) => Some(d),
            _ => None,
        })
    }

    /// Every namespace in the graph, by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &NamespaceNode> + '_ {
        self.nodes().filter_map(|n| match n {
            Node::Namespace(ns) => Some(ns),
            _ => None,
        })
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&NamespaceNode> {
        match self.node(NodeId::namespace(name).as_str()) {
            Some(Node::Namespace(n)) => Some(n),
            _ => None,
        }
    }

    /// Every workload in the graph, by namespace, kind, name.
    pub fn workloads(&self) -> impl Iterator<Item = &WorkloadNode> + '_ {
        self.nodes().filter_map(|n| match n {
            Node::Workload(w) => Some(w),
            _ => None,
        })
    }

    /// The workloads of one namespace (found by following its `holds` edges).
    pub fn workloads_in(&self, namespace: &str) -> Vec<&WorkloadNode> {
        self.neighbors(
            NodeId::namespace(namespace).as_str(),
            EdgeKind::Holds,
            Direction::Outgoing,
        )
        .into_iter()
        .filter_map(|n| match n {
            Node::Workload(w) => Some(w),
            _ => None,
        })
        .collect()
    }

    /// Workloads that need a restart (a live pod runs another revision than the
    /// injector), by namespace, kind, name.
    pub fn needs_restart(&self) -> Vec<&WorkloadNode> {
        self.workloads().filter(|w| w.needs_restart).collect()
    }

    /// Namespaces with at least one workload that needs a restart: after a
    /// relabel, the ones not restarted yet (kiali#8150).
    pub fn namespaces_needing_restart(&self) -> Vec<&NamespaceNode> {
        self.namespaces().filter(|n| n.needs_restart > 0).collect()
    }

    /// Pods and workloads on each revision, by revision name (kiali#4435).
    pub fn progress(&self) -> Vec<(&str, &RevisionProgress)> {
        let mut out: Vec<(&str, &RevisionProgress)> = self
            .revisions()
            .map(|r| (r.name.as_str(), &r.progress))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Every tag, by name.
    pub fn tags(&self) -> impl Iterator<Item = &TagNode> + '_ {
        self.nodes().filter_map(|n| match n {
            Node::Tag(t) => Some(t),
            _ => None,
        })
    }

    /// The revision a tag leads to (found by following its `points_to` edge).
    pub fn tag_target(&self, tag: &str) -> Option<&RevisionNode> {
        self.neighbors(
            NodeId::tag(tag).as_str(),
            EdgeKind::PointsTo,
            Direction::Outgoing,
        )
        .into_iter()
        .find_map(|n| match n {
            Node::Revision(r) => Some(r),
            _ => None,
        })
    }

    /// The default revision (found by following the marker's edge).
    pub fn default_revision(&self) -> Option<&RevisionNode> {
        self.neighbors(
            NodeId::default_revision().as_str(),
            EdgeKind::DefaultRevision,
            Direction::Outgoing,
        )
        .into_iter()
        .find_map(|n| match n {
            Node::Revision(r) => Some(r),
            _ => None,
        })
    }
}
