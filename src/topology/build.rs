//! Building the graph from a mesh and its status, in id order.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::stable_graph::StableDiGraph;

use super::{
    ControlPlaneInfo, DataPlaneNode, Edge, EdgeKind, InfraNode, InfraType, NamespaceNode, Node,
    NodeId, RevisionNode, RevisionProgress, TagNode, Topology, WorkloadNode, kiali,
};
use crate::mesh::Mesh;
use crate::snapshot::Kiali;
use crate::status::{NamespaceStatus, Running, Status, WorkloadStatus};

/// Collects nodes and edges by id, then builds the graph in id order.
#[derive(Default)]
pub(super) struct Builder {
    nodes: BTreeMap<NodeId, Node>,
    edges: BTreeSet<Edge>,
    revisions: BTreeMap<String, NodeId>,
}

impl Builder {
    pub(super) fn build(mut self, mesh: &Mesh, status: &Status) -> Topology {
        let workloads: Vec<(&NamespaceStatus, &WorkloadStatus)> = status
            .namespaces
            .iter()
            .flat_map(|n| n.workloads.iter().map(move |w| (n, w)))
            .collect();
        let on_known = workloads
            .iter()
            .filter(|(_, w)| w.running.iter().any(|r| r.revision().is_some()))
            .count();
        let progress = |name: &str| {
            status
                .progress
                .iter()
                .find(|p| p.revision == name)
                .map(|p| RevisionProgress {
                    pods: p.pods,
                    pod_share: p.share,
                    workloads: p.workloads,
                    workload_share: share(p.workloads, on_known),
                })
                .unwrap_or_default()
        };

        // Revisions the mesh knows.
        for r in &status.revisions {
            let Some(rev) = mesh.revision(&r.name) else {
                continue;
            };
            let id = NodeId::revision(Some(&rev.namespace), &rev.name);
            self.revisions.insert(rev.name.clone(), id.clone());
            self.nodes.insert(
                id.clone(),
                Node::Revision(RevisionNode {
                    id,
                    name: rev.name.clone(),
                    control_plane: Some(ControlPlaneInfo {
                        family: rev.family,
                        object: rev.control_plane.path(),
                        namespace: rev.namespace.clone(),
                        istiod: rev.istiod.clone(),
                        version: rev.version.clone(),
                        active: rev.active,
                    }),
                    tags: r.tags.clone(),
                    default: r.default,
                    in_use: r.in_use,
                    in_use_by: r.in_use_by.iter().map(ToString::to_string).collect(),
                    prunable: r.prunable,
                    namespaces: r.namespaces.clone(),
                    progress: progress(&r.name),
                }),
            );
        }
        // Revisions only running pods (or a dangling webhook) name.
        let mentioned = status
            .progress
            .iter()
            .filter(|p| p.pods > 0)
            .map(|p| p.revision.as_str())
            .chain(workloads.iter().flat_map(|(_, w)| {
                w.running
                    .iter()
                    .filter_map(Running::revision)
                    .chain(w.injector.as_deref())
            }))
            .chain(
                status
                    .namespaces
                    .iter()
                    .filter_map(|n| n.injector.as_deref()),
            )
            .collect::<BTreeSet<_>>();
        for name in mentioned {
            if !self.revisions.contains_key(name) {
                let id = NodeId::revision(None, name);
                self.revisions.insert(name.to_owned(), id.clone());
                self.nodes.insert(
                    id.clone(),
                    Node::Revision(RevisionNode {
                        id,
                        name: name.to_owned(),
                        control_plane: None,
                        tags: Vec::new(),
                        default: false,
                        in_use: false,
                        in_use_by: Vec::new(),
                        prunable: false,
                        namespaces: Vec::new(),
                        progress: progress(name),
                    }),
                );
            }
        }

        // Tags and the default revision.
        for t in mesh.tags() {
            let id = NodeId::tag(&t.name);
            if let Some(target) = t.revision.as_deref().and_then(|r| self.revisions.get(r)) {
                self.edges.insert(Edge {
                    source: id.clone(),
                    kind: EdgeKind::PointsTo,
                    target: target.clone(),
                });
            }
            self.nodes.insert(
                id.clone(),
                Node::Tag(TagNode {
                    id,
                    name: t.name.clone(),
                    revision: t.revision.clone(),
                    source: t.source.path(),
                }),
            );
        }
        if let Some(default) = mesh.default_revision()
            && let Some(target) = self.revisions.get(default)
        {
            let id = NodeId::default_revision();
            self.edges.insert(Edge {
                source: id.clone(),
                kind: EdgeKind::DefaultRevision,
                target: target.clone(),
            });
            self.nodes.insert(
                id.clone(),
                Node::DefaultRevision {
                    id,
                    revision: default.to_owned(),
                },
            );
        }

        // Namespaces, their data planes and workloads.
        let mut data_planes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ns in &status.namespaces {
            let conflict = if ns.injector.is_none() {
                conflict_revisions(mesh, &ns.name)
            } else {
                Vec::new()
            };
            let in_mesh = |w: &&WorkloadStatus| w.injector.is_some() || !w.running.is_empty();
            if ns.injector.is_none()
                && conflict.is_empty()
                && !ns.workloads.iter().any(|w| in_mesh(&w))
            {
                continue;
            }
            // The data plane is what Status lists for the revision: that leaves out
            // a Maistra control plane's own namespace, which its webhook would
            // inject (the operator labels it `member-of`) but Kiali does not draw
            // (generator.go: `cp.IstiodNamespace != ns.Name`).
            let data_plane = ns.injector.as_deref().filter(|i| {
                status
                    .revision(i)
                    .is_none_or(|r| r.namespaces.contains(&ns.name))
            });
            let ns_id = NodeId::namespace(&ns.name);
            if let Some(injector) = data_plane {
                data_planes
                    .entry(injector)
                    .or_default()
                    .push(ns.name.clone());
                self.edges.insert(Edge {
                    source: NodeId::data_plane(injector),
                    kind: EdgeKind::Contains,
                    target: ns_id.clone(),
                });
            }
            let mut running = BTreeSet::new();
            // Workloads in a data plane, and elsewhere those with a sidecar or an
            // injector (not the control plane's own istiod, Kiali, Prometheus).
            for w in ns
                .workloads
                .iter()
                .filter(|w| data_plane.is_some() || in_mesh(w))
            {
                let id = NodeId::workload(&ns.name, w.kind.as_str(), &w.name);
                let runs: Vec<String> = w
                    .running
                    .iter()
                    .filter_map(Running::label)
                    .map(str::to_owned)
                    .collect();
                self.edges.insert(Edge {
                    source: ns_id.clone(),
                    kind: EdgeKind::Holds,
                    target: id.clone(),
                });
                for r in &runs {
                    running.insert(r.clone());
                    if let Some(target) = self.revisions.get(r) {
                        self.edges.insert(Edge {
                            source: id.clone(),
                            kind: EdgeKind::RunsOn,
                            target: target.clone(),
                        });
                    }
                }
                if w.needs_restart
                    && let Some(target) = w.injector.as_deref().and_then(|i| self.revisions.get(i))
                {
                    self.edges.insert(Edge {
                        source: id.clone(),
                        kind: EdgeKind::ShouldRunOn,
                        target: target.clone(),
                    });
                }
                self.nodes.insert(
                    id.clone(),
                    Node::Workload(WorkloadNode {
                        id,
                        namespace: ns.name.clone(),
                        kind: w.kind.to_string(),
                        name: w.name.clone(),
                        injector: w.injector.clone(),
                        running: runs,
                        needs_restart: w.needs_restart,
                        pods: w.pods,
                    }),
                );
            }
            self.nodes.insert(
                ns_id.clone(),
                Node::Namespace(NamespaceNode {
                    id: ns_id,
                    name: ns.name.clone(),
                    injector: ns.injector.clone(),
                    conflict,
                    reason: ns.reason.clone(),
                    workloads: ns.workloads.len(),
                    needs_restart: ns.workloads.iter().filter(|w| w.needs_restart).count(),
                    running: running.into_iter().collect(),
                }),
            );
        }
        for (revision, namespaces) in data_planes {
            let id = NodeId::data_plane(revision);
            if let Some(rev) = self.revisions.get(revision) {
                self.edges.insert(Edge {
                    source: rev.clone(),
                    kind: EdgeKind::Manages,
                    target: id.clone(),
                });
            }
            self.nodes.insert(
                id.clone(),
                Node::DataPlane(DataPlaneNode {
                    id,
                    revision: revision.to_owned(),
                    tags: mesh.tags_of(revision).map(|t| t.name.clone()).collect(),
                    namespaces,
                }),
            );
        }

        for k in mesh.snapshot().kialis() {
            self.add_kiali(mesh, k);
        }
        self.finish()
    }

    /// A Kiali and what it reads, as kiali/kiali `mesh/generator/generator.go`
    /// `BuildMeshMap` adds them: kiali -> istiod for every control plane, kiali ->
    /// Prometheus, and kiali -> tracing / Grafana when enabled.
    fn add_kiali(&mut self, mesh: &Mesh, k: &Kiali) {
        let source = k.meta.object_ref("Kiali").path();
        let ns = k.meta.namespace.as_deref();
        let id = NodeId::infra(InfraType::Kiali, ns, &k.meta.name);
        for (name, rev) in &self.revisions {
            if mesh.revision(name).is_some() {
                self.edges.insert(Edge {
                    source: id.clone(),
                    kind: EdgeKind::Observes,
                    target: rev.clone(),
                });
            }
        }
        self.nodes.insert(
            id.clone(),
            Node::Infra(InfraNode {
                id: id.clone(),
                infra_type: InfraType::Kiali,
                name: k.meta.name.clone(),
                namespace: ns.map(str::to_owned),
                url: None,
                source: source.clone(),
            }),
        );
        // Kiali's default Prometheus URL is `http://prometheus.<istio namespace>:9090`.
        let prometheus = k
            .prometheus_url
            .clone()
            .or_else(|| ns.map(|ns| format!("http://prometheus.{ns}:9090")));
        let mut stores = vec![(InfraType::MetricStore, "Prometheus".to_owned(), prometheus)];
        if k.tracing_enabled {
            let provider = k
                .tracing_provider
                .clone()
                .unwrap_or_else(|| "jaeger".into());
            stores.push((InfraType::TraceStore, provider, k.tracing_url.clone()));
        }
        if k.grafana_enabled {
            stores.push((
                InfraType::Grafana,
                "Grafana".to_owned(),
                k.grafana_url.clone(),
            ));
        }
        for (infra_type, name, url) in stores {
            // Kiali finds the Service the URL names (`discoverInfraService`); a
            // URL it cannot place, or none, means "External Deployments".
            let namespace = url.as_deref().and_then(kiali::service_namespace);
            let store = NodeId::infra(infra_type, namespace.as_deref(), &name);
            self.edges.insert(Edge {
                source: id.clone(),
                kind: EdgeKind::Reads,
                target: store.clone(),
            });
            self.nodes.entry(store.clone()).or_insert_with(|| {
                Node::Infra(InfraNode {
                    id: store,
                    infra_type,
                    name,
                    namespace,
                    url,
                    source: source.clone(),
                })
            });
        }
    }

    fn finish(self) -> Topology {
        let mut graph = StableDiGraph::with_capacity(self.nodes.len(), self.edges.len());
        let mut index = BTreeMap::new();
        for (id, node) in self.nodes {
            index.insert(id, graph.add_node(node));
        }
        for edge in self.edges {
            if let (Some(&a), Some(&b)) = (index.get(&edge.source), index.get(&edge.target)) {
                graph.add_edge(a, b, edge);
            }
        }
        Topology {
            graph,
            index,
            revisions: self.revisions,
        }
    }
}

fn share(part: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// The revisions whose webhooks all match a namespace, when several do.
fn conflict_revisions(mesh: &Mesh, namespace: &str) -> Vec<String> {
    match mesh.resolve_namespace(namespace) {
        crate::resolve::Resolution::Conflict { candidates } => candidates
            .into_iter()
            .map(|c| c.revision)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}
