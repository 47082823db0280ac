//! Topology: the mesh as a graph, in the shape of Kiali's mesh page and beyond it.
//!
//! Kiali's mesh page (kiali/kiali `mesh/generator/generator.go`) draws one `istiod`
//! node per control-plane revision, one `dataplane` node per revision that manages
//! namespaces (its data: those namespaces), and the observability stack a Kiali
//! reads (`kiali`, `metricStore`, `traceStore`, `grafana`). Users watching a canary
//! upgrade or an OSSM 2.6 -> 3.0 migration there miss three things, which this graph
//! adds: the workloads inside each namespace (kiali#8152), which of them still run
//! the old revision's sidecar and need a restart (kiali#8150), and how far the
//! migration has come per revision (kiali#4435).
//!
//! The graph is built from a [`Mesh`] and its [`Status`]; it re-derives nothing:
//! a namespace is in the data plane of its [`NamespaceStatus::injector`](crate::status::NamespaceStatus::injector), a
//! workload runs on the revisions its live pods were injected by and should run on
//! its injector.
//!
//! | node | id | from |
//! |---|---|---|
//! | [`RevisionNode`] | `revision:<cp namespace>/<name>` (`revision:<name>` when only pods remember it) | [`Mesh::revisions`], running pods |
//! | [`TagNode`] | `tag:<name>` | [`Mesh::tags`] |
//! | default marker | `default-revision` | [`Mesh::default_revision`] |
//! | [`DataPlaneNode`] | `dataplane:<revision>` | namespaces whose injector is the revision |
//! | [`NamespaceNode`] | `namespace:<name>` | injected namespaces and namespaces with injected workloads |
//! | [`WorkloadNode`] | `workload:<namespace>/<kind>/<name>` | [`NamespaceStatus::workloads`](crate::status::NamespaceStatus::workloads) |
//! | [`InfraNode`] | `infra:<infraType>/<namespace or _external_>/<name>` | `Kiali` CRs |
//!
//! Ids come from object identity, never from insertion order, so two snapshots'
//! graphs can be compared node by node ([`Topology::diff`]) and every export is
//! byte-for-byte deterministic.
//!
//! ```
//! use meshrev::{Mesh, Snapshot, Topology};
//!
//! let mesh = Mesh::new(Snapshot::from_yaml(r#"
//! apiVersion: maistra.io/v2
//! kind: ServiceMeshControlPlane
//! metadata: {name: basic, namespace: istio-system}
//! spec: {version: v2.6, mode: ClusterWide}
//! ---
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: ossm3}
//! spec: {version: v1.24.3, namespace: istio-system}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: mercury
//!   labels: {maistra.io/ignore-namespace: "true", istio.io/rev: ossm3}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata:
//!   name: web-5d9c-abcde
//!   namespace: mercury
//!   annotations: {istio.io/rev: basic}
//! spec: {containers: [{name: web}, {name: istio-proxy}]}
//! "#)?);
//! let topology = Topology::new(&mesh);
//!
//! // mercury is in ossm3's data plane, but its pod still runs basic's sidecar.
//! assert_eq!(topology.data_plane_of("mercury").unwrap().revision, "ossm3");
//! let web = &topology.needs_restart()[0];
//! assert_eq!((web.running.as_slice(), web.injector.as_deref()), (&["basic".to_owned()][..], Some("ossm3")));
//! assert!(topology.to_dot().contains("style=dashed"));
//! # Ok::<(), meshrev::Error>(())
//! ```

mod build;
mod diff;
mod dot;
mod kiali;
mod mermaid;
mod query;

use std::collections::BTreeMap;
use std::fmt;

use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

pub use self::diff::{NamespaceMove, TagMove, TopologyDiff, WorkloadChange, WorkloadState};
pub use self::kiali::{
    DEFAULT_CLUSTER, KialiEdge, KialiEdgeData, KialiElements, KialiGraph, KialiNode, KialiNodeData,
};
pub use self::mermaid::mermaid_id;
use crate::mesh::{Family, Mesh};
use crate::status::Status;

/// A node's identity: a string derived from the object it stands for
/// (`revision:istio-system/basic`, `namespace:mercury`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(String);

impl NodeId {
    /// `revision:<cp namespace>/<name>`, or `revision:<name>` for a revision that
    /// running pods name but the snapshot has no control plane for.
    pub fn revision(namespace: Option<&str>, name: &str) -> NodeId {
        match namespace {
            Some(ns) => NodeId(format!("revision:{ns}/{name}")),
            None => NodeId(format!("revision:{name}")),
        }
    }

    /// `tag:<name>`.
    pub fn tag(name: &str) -> NodeId {
        NodeId(format!("tag:{name}"))
    }

    /// `default-revision`: the marker that points at the default revision.
    pub fn default_revision() -> NodeId {
        NodeId("default-revision".to_owned())
    }

    /// `dataplane:<revision>`.
    pub fn data_plane(revision: &str) -> NodeId {
        NodeId(format!("dataplane:{revision}"))
    }

    /// `namespace:<name>`.
    pub fn namespace(name: &str) -> NodeId {
        NodeId(format!("namespace:{name}"))
    }

    /// `workload:<namespace>/<kind>/<name>` (kind `Pod` for a pod no workload owns).
    pub fn workload(namespace: &str, kind: &str, name: &str) -> NodeId {
        NodeId(format!("workload:{namespace}/{kind}/{name}"))
    }

    /// `infra:<infraType>/<namespace>/<name>`; `_external_` (Kiali's name for
    /// outside the cluster) when the namespace is unknown.
    pub fn infra(infra_type: InfraType, namespace: Option<&str>, name: &str) -> NodeId {
        let ns = namespace.unwrap_or(kiali::EXTERNAL);
        NodeId(format!("infra:{}/{ns}/{name}", infra_type.as_str()))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NodeId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A node of the mesh graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Node {
    /// A control-plane revision (Kiali's `istiod` node).
    Revision(RevisionNode),
    /// A revision tag.
    Tag(TagNode),
    /// The marker that points at the default revision (what
    /// `istio-injection=enabled` and pod `sidecar.istio.io/inject=true` reach).
    DefaultRevision {
        /// `default-revision`.
        id: NodeId,
        /// The default revision's name.
        revision: String,
    },
    /// The namespaces one revision injects (Kiali's `dataplane` node).
    DataPlane(DataPlaneNode),
    /// A namespace.
    Namespace(NamespaceNode),
    /// A workload (or a pod no workload owns).
    Workload(WorkloadNode),
    /// Observability infrastructure a `Kiali` CR names.
    Infra(InfraNode),
}

impl Node {
    /// The node's identity.
    pub fn id(&self) -> &NodeId {
        match self {
            Node::Revision(n) => &n.id,
            Node::Tag(n) => &n.id,
            Node::DefaultRevision { id, .. } => id,
            Node::DataPlane(n) => &n.id,
            Node::Namespace(n) => &n.id,
            Node::Workload(n) => &n.id,
            Node::Infra(n) => &n.id,
        }
    }

    /// The Kubernetes namespace the node lives in, if it has one (a revision's
    /// control-plane namespace, a workload's namespace, a namespace itself).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Node::Revision(n) => n.control_plane.as_ref().map(|c| c.namespace.as_str()),
            Node::Namespace(n) => Some(&n.name),
            Node::Workload(n) => Some(&n.namespace),
            Node::Infra(n) => n.namespace.as_deref(),
            Node::Tag(_) | Node::DefaultRevision { .. } | Node::DataPlane(_) => None,
        }
    }

    /// The short kind name used in exports (`revision`, `tag`, `default`,
    /// `dataplane`, `namespace`, `workload`, `infra`).
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Revision(_) => "revision",
            Node::Tag(_) => "tag",
            Node::DefaultRevision { .. } => "default",
            Node::DataPlane(_) => "dataplane",
            Node::Namespace(_) => "namespace",
            Node::Workload(_) => "workload",
            Node::Infra(_) => "infra",
        }
    }
}

/// Where a revision's control plane is, when the snapshot has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlPlaneInfo {
    /// The installation family.
    pub family: Family,
    /// `Kind/namespace/name` of the defining object.
    pub object: String,
    /// The control-plane namespace.
    pub namespace: String,
    /// The istiod Deployment / Service name (Kiali's `infraName`).
    pub istiod: String,
    /// The version, when the snapshot says.
    pub version: Option<String>,
    /// Sail only: whether it is its Istio's active revision.
    pub active: Option<bool>,
}

/// How much of the mesh runs one revision.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RevisionProgress {
    /// Live pods injected by it.
    pub pods: usize,
    /// `pods` over all live pods injected by a known revision (0 when none).
    pub pod_share: f64,
    /// Workloads with at least one live pod on it.
    pub workloads: usize,
    /// `workloads` over workloads with a live pod on any known revision (0 when
    /// none); a workload mid-rollout counts for both revisions.
    pub workload_share: f64,
}

/// A control-plane revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionNode {
    /// `revision:<cp namespace>/<name>` (or `revision:<name>` when gone).
    pub id: NodeId,
    /// The revision name.
    pub name: String,
    /// Its control plane; `None` when only running pods remember the revision
    /// (the control plane was deleted, or the record names one that never existed).
    pub control_plane: Option<ControlPlaneInfo>,
    /// Tags that lead to it.
    pub tags: Vec<String>,
    /// Whether it is the default revision.
    pub default: bool,
    /// The Sail operator's "in use" verdict ([`crate::status::RevisionStatus::in_use`]).
    pub in_use: bool,
    /// What keeps it in use, as sentences.
    pub in_use_by: Vec<String>,
    /// Not in use, injects nothing, not an Istio's active revision: safe to remove.
    pub prunable: bool,
    /// Its data plane's namespaces, by name ([`RevisionStatus::namespaces`]).
    ///
    /// [`RevisionStatus::namespaces`]: crate::status::RevisionStatus::namespaces
    pub namespaces: Vec<String>,
    /// Pods and workloads on it.
    pub progress: RevisionProgress,
}

/// A revision tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagNode {
    /// `tag:<name>`.
    pub id: NodeId,
    /// The tag name.
    pub name: String,
    /// The revision it leads to, when known.
    pub revision: Option<String>,
    /// `Kind/namespace/name` of the object that defines it.
    pub source: String,
}

/// One revision's data plane: the namespaces it injects
/// ([`RevisionStatus::namespaces`]: a Maistra control plane's own namespace is
/// not one, as Kiali draws it).
///
/// [`RevisionStatus::namespaces`]: crate::status::RevisionStatus::namespaces
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataPlaneNode {
    /// `dataplane:<revision>`.
    pub id: NodeId,
    /// The managing revision.
    pub revision: String,
    /// Tags of that revision (Kiali labels its data plane with the tag,
    /// "since that is what is actually set on the namespaces").
    pub tags: Vec<String>,
    /// The namespaces, by name.
    pub namespaces: Vec<String>,
}

/// A namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamespaceNode {
    /// `namespace:<name>`.
    pub id: NodeId,
    /// The name.
    pub name: String,
    /// The revision whose webhook receives a label-less pod here.
    pub injector: Option<String>,
    /// When webhooks of several revisions match: those revisions.
    pub conflict: Vec<String>,
    /// Why, as a sentence.
    pub reason: String,
    /// Workloads in it (the graph holds those in a data plane, and elsewhere
    /// only those with a sidecar or an injector).
    pub workloads: usize,
    /// Workloads in it that need a restart.
    pub needs_restart: usize,
    /// The revisions its live pods run.
    pub running: Vec<String>,
}

/// A workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, or bare Pod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadNode {
    /// `workload:<namespace>/<kind>/<name>`.
    pub id: NodeId,
    /// The namespace.
    pub namespace: String,
    /// The kind.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The revision that would inject a pod created from its template now.
    pub injector: Option<String>,
    /// The revisions its live pods run (`unknown` for a sidecar with no record).
    pub running: Vec<String>,
    /// Some live pod runs another revision than the injector.
    pub needs_restart: bool,
    /// Live pods.
    pub pods: usize,
}

/// Kiali's `infraType` for the observability stack (kiali/kiali `mesh/types.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InfraType {
    /// `kiali`.
    #[serde(rename = "kiali")]
    Kiali,
    /// `metricStore` (Prometheus).
    #[serde(rename = "metricStore")]
    MetricStore,
    /// `traceStore` (Jaeger, Tempo).
    #[serde(rename = "traceStore")]
    TraceStore,
    /// `grafana`.
    #[serde(rename = "grafana")]
    Grafana,
}

impl InfraType {
    /// Kiali's string for it.
    pub fn as_str(self) -> &'static str {
        match self {
            InfraType::Kiali => "kiali",
            InfraType::MetricStore => "metricStore",
            InfraType::TraceStore => "traceStore",
            InfraType::Grafana => "grafana",
        }
    }
}

/// A Kiali, or a store a Kiali reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfraNode {
    /// `infra:<infraType>/<namespace>/<name>`.
    pub id: NodeId,
    /// Which kind of infrastructure.
    pub infra_type: InfraType,
    /// Kiali's `infraName`: the Kiali's name, `Prometheus`, the tracing provider,
    /// `Grafana`.
    pub name: String,
    /// Its namespace; `None` when outside the cluster or unknown (Kiali's
    /// "External Deployments").
    pub namespace: Option<String>,
    /// The URL the Kiali CR configures, if any.
    pub url: Option<String>,
    /// `Kind/namespace/name` of the `Kiali` CR that names it.
    pub source: String,
}

/// What an edge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EdgeKind {
    /// Revision -> its data plane (Kiali: istiod -> dataplane).
    Manages,
    /// Data plane -> a namespace in it.
    Contains,
    /// Namespace -> a workload in it.
    Holds,
    /// Tag -> the revision it leads to.
    PointsTo,
    /// Default marker -> the default revision.
    DefaultRevision,
    /// Workload -> a revision its live pods were injected by.
    RunsOn,
    /// Workload -> its injector, when some pod runs something else (drift).
    ShouldRunOn,
    /// Kiali -> a revision (Kiali: kiali -> istiod).
    Observes,
    /// Kiali -> a store it reads (Kiali: kiali -> metricStore/traceStore/grafana).
    Reads,
}

impl EdgeKind {
    /// The snake_case name used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Manages => "manages",
            EdgeKind::Contains => "contains",
            EdgeKind::Holds => "holds",
            EdgeKind::PointsTo => "points_to",
            EdgeKind::DefaultRevision => "default_revision",
            EdgeKind::RunsOn => "runs_on",
            EdgeKind::ShouldRunOn => "should_run_on",
            EdgeKind::Observes => "observes",
            EdgeKind::Reads => "reads",
        }
    }
}

/// A typed edge between two nodes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Edge {
    /// Where it starts.
    pub source: NodeId,
    /// What it says.
    pub kind: EdgeKind,
    /// Where it ends.
    pub target: NodeId,
}

impl Edge {
    /// `<kind>:<source>-><target>`: stable, unique within a graph.
    pub fn id(&self) -> String {
        format!("{}:{}->{}", self.kind.as_str(), self.source, self.target)
    }
}

/// The mesh as a directed graph (a petgraph [`StableDiGraph`]) with nodes indexed
/// by their [`NodeId`].
///
/// Nodes and edges are inserted in id order, so even the petgraph indices are the
/// same for equal inputs; but use ids, which also survive changes to the snapshot.
#[derive(Debug, Clone)]
pub struct Topology {
    graph: StableDiGraph<Node, Edge>,
    index: BTreeMap<NodeId, NodeIndex>,
    revisions: BTreeMap<String, NodeId>,
}

impl PartialEq for Topology {
    fn eq(&self, other: &Self) -> bool {
        self.nodes().eq(other.nodes()) && self.edges().eq(other.edges())
    }
}

impl Topology {
    /// The graph of a mesh (computes its [`Status`]).
    pub fn new(mesh: &Mesh) -> Topology {
        Topology::of(mesh, &Status::of(mesh))
    }

    /// The graph of a mesh whose status is already at hand.
    pub fn of(mesh: &Mesh, status: &Status) -> Topology {
        build::Builder::default().build(mesh, status)
    }

    /// The underlying petgraph graph, for algorithms the queries do not cover.
    /// This and [`Topology::index_of`] are the only places petgraph's index
    /// types appear: every query takes and returns node ids and nodes.
    pub fn graph(&self) -> &StableDiGraph<Node, Edge> {
        &self.graph
    }

    /// The petgraph index of a node, to use with [`Topology::graph`].
    pub fn index_of(&self, id: &str) -> Option<NodeIndex> {
        self.index.get(&NodeId(id.to_owned())).copied()
    }

    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index_of(id).and_then(|i| self.graph.node_weight(i))
    }

    /// Every node, by id.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.index
            .values()
            .filter_map(|i| self.graph.node_weight(*i))
    }

    /// Every edge, by source, kind, target.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> + '_ {
        let mut edges: Vec<&Edge> = self.graph.edge_weights().collect();
        edges.sort();
        edges.into_iter()
    }

    /// The nodes an edge of `kind` leads to from `id` (`Outgoing`), or comes
    /// from (`Incoming`), by id.
    pub fn neighbors(&self, id: &str, kind: EdgeKind, direction: Direction) -> Vec<&Node> {
        let Some(i) = self.index_of(id) else {
            return Vec::new();
        };
        let mut out: Vec<&Node> = self
            .graph
            .edges_directed(i, direction)
            .filter(|e| e.weight().kind == kind)
            .filter_map(|e| {
                let other = match direction {
                    Direction::Outgoing => e.target(),
                    Direction::Incoming => e.source(),
                };
                self.graph.node_weight(other)
            })
            .collect();
        out.sort_by(|a, b| a.id().cmp(b.id()));
        out
    }
}
