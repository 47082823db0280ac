//! Kiali-style Cytoscape JSON: `{"elements": {"nodes": [{"data": ...}], "edges":
//! [{"data": {"id", "source", "target"}}]}}`.
//!
//! Field names follow Kiali where a field means the same: kiali/kiali
//! `mesh/config/common/common.go` (`NodeData`, `EdgeData`, `Config`; earlier
//! `mesh/config/cytoscape/cytoscape.go`) and the constants of `mesh/types.go`
//! (`NodeTypeBox`/`NodeTypeInfra`, `InfraTypeIstiod`, `InfraTypeDataPlane`, ...).
//! meshrev adds its own fields, all prefixed in meaning by what Kiali lacks:
//! `meshrevKind`, `injector`, `running`, `needsRestart`, `progress` on nodes and
//! `edgeType`, `drift` on edges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EdgeKind, Node, NodeId, Topology};

/// The cluster name used when none is given: istiod's default `CLUSTER_ID`,
/// which Kiali shows for a single-cluster mesh.
pub const DEFAULT_CLUSTER: &str = "Kubernetes";

/// Kiali's cluster name for infrastructure outside the cluster (`mesh.External`).
pub(super) const EXTERNAL: &str = "_external_";

/// The whole document (Kiali's `Config`, without `timestamp` and `meshName`:
/// meshrev reads no clock and the snapshot names no mesh).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KialiGraph {
    /// Nodes and edges.
    pub elements: KialiElements,
}

/// Kiali's `Elements`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KialiElements {
    /// Boxes first (cluster, then namespace), then by cluster, namespace, id.
    pub nodes: Vec<KialiNode>,
    /// By source, target, then edge type.
    pub edges: Vec<KialiEdge>,
}

/// Kiali's `NodeWrapper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KialiNode {
    /// The node.
    pub data: KialiNodeData,
}

/// Kiali's `EdgeWrapper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KialiEdge {
    /// The edge.
    pub data: KialiEdgeData,
}

/// Kiali's `NodeData`, plus meshrev's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KialiNodeData {
    /// The node id (meshrev's readable [`NodeId`]; Kiali uses a hash of its own id).
    pub id: String,
    /// The enclosing box (Cytoscape compound node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The cluster.
    pub cluster: String,
    /// `istiod-basic`, `Data Plane`, `kiali`, `Prometheus`, a namespace name, ...
    pub infra_name: String,
    /// Kiali's `istiod`, `dataplane`, `kiali`, `metricStore`, `traceStore`,
    /// `grafana`, `namespace`, `cluster`; meshrev's `tag`, `default`, `workload`.
    pub infra_type: String,
    /// The namespace (empty for cluster-wide nodes, as in Kiali).
    pub namespace: String,
    /// `box` or `infra`.
    pub node_type: String,
    /// Type-dependent data: the istiod's revision and control plane; the data
    /// plane's namespaces (`[{name, cluster, revision}]`, as Kiali's
    /// `models.Namespace`); the store's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_data: Option<Value>,
    /// `cluster` or `namespace` on boxes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_box: Option<String>,
    /// Outside the cluster, or where is unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_external: bool,
    /// istiod: the control-plane version; data plane: the tag if the revision has
    /// one, else the revision (what is set on the namespaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// meshrev: the graph node kind (`revision`, `tag`, `default`, `dataplane`,
    /// `namespace`, `workload`, `infra`, or `box` for boxes only this export has).
    pub meshrev_kind: String,
    /// meshrev: namespace or workload injector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injector: Option<String>,
    /// meshrev: the revisions live pods run (namespace, workload).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub running: Vec<String>,
    /// meshrev: workloads needing a restart (namespace: a count; workload: 0 or 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_restart: Option<usize>,
    /// meshrev: pods and workloads on the revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<super::RevisionProgress>,
}

/// Kiali's `EdgeData`, plus meshrev's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KialiEdgeData {
    /// `<edgeType>:<source>-><target>`.
    pub id: String,
    /// The source node id.
    pub source: String,
    /// The target node id.
    pub target: String,
    /// meshrev: what the edge says ([`EdgeKind`] in snake_case).
    pub edge_type: String,
    /// meshrev: a `should_run_on` edge (the workload runs something else).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
}

/// The namespace part of a service URL, by the patterns kiali/kiali
/// `mesh/generator/generator.go` `inMeshUrlRegexp` tries in order:
/// `<svc>.<ns>.svc.cluster.local...`, `<svc>.<ns>[:/]...`, `<svc>.<ns>`.
pub(super) fn service_namespace(url: &str) -> Option<String> {
    if !url.starts_with('h') {
        return None;
    }
    let host = &url[url.find("//")? + 2..];
    let (svc, rest) = host.split_once('.')?;
    if svc.is_empty() || rest.is_empty() {
        return None;
    }
    let ns = if let Some(i) = rest.find(".svc.cluster.local") {
        &rest[..i]
    } else if let Some(i) = rest.find([':', '/']) {
        &rest[..i]
    } else {
        rest
    };
    // Kiali's second pattern leaves `.svc` on `http://prometheus.istio-system.svc:9090`
    // and then fails to find a Service in namespace `istio-system.svc`; meshrev strips it.
    let ns = ns.strip_suffix(".svc").unwrap_or(ns);
    // Kiali then asks the cluster for the Service; without a cluster, a name that
    // cannot be a namespace (`apps.example.com`) means outside.
    crate::labels::check_dns1123_label(ns)
        .is_ok()
        .then(|| ns.to_owned())
}

fn cluster_box(cluster: &str) -> String {
    format!("cluster:{cluster}")
}

impl Topology {
    /// The graph as Kiali's mesh-page JSON, for the cluster [`DEFAULT_CLUSTER`].
    pub fn to_kiali(&self) -> KialiGraph {
        self.to_kiali_in(DEFAULT_CLUSTER)
    }

    /// The graph as Kiali's mesh-page JSON, naming the cluster.
    ///
    /// Boxes as Kiali draws them: a `cluster` box holding the data planes, tags
    /// and namespace boxes; a `namespace` box for every namespace a node lives in
    /// (istiod and the Kiali stack in `istio-system`, workloads in theirs); an
    /// `_external_` cluster box ("External Deployments") for stores outside or of
    /// unknown place. Containment of workloads in namespaces is the `parent`
    /// field, not an edge.
    pub fn to_kiali_in(&self, cluster: &str) -> KialiGraph {
        let home = cluster_box(cluster);
        let external = cluster_box(EXTERNAL);
        let mut nodes: Vec<KialiNodeData> = Vec::new();
        let mut boxes: BTreeMap<String, KialiNodeData> = BTreeMap::new();
        let namespace_box = |ns: &str, boxes: &mut BTreeMap<String, KialiNodeData>| {
            let id = NodeId::namespace(ns).to_string();
            boxes.entry(id.clone()).or_insert_with(|| KialiNodeData {
                id: id.clone(),
                parent: Some(home.clone()),
                cluster: cluster.to_owned(),
                infra_name: ns.to_owned(),
                infra_type: "namespace".to_owned(),
                namespace: ns.to_owned(),
                node_type: "box".to_owned(),
                infra_data: None,
                is_box: Some("namespace".to_owned()),
                is_external: false,
                version: None,
                meshrev_kind: "box".to_owned(),
                injector: None,
                running: Vec::new(),
                needs_restart: None,
                progress: None,
            });
            id
        };
        let mut any_external = false;
        for node in self.nodes() {
            let mut d = KialiNodeData {
                id: node.id().to_string(),
                parent: None,
                cluster: cluster.to_owned(),
                infra_name: String::new(),
                infra_type: String::new(),
                namespace: node.namespace().unwrap_or_default().to_owned(),
                node_type: "infra".to_owned(),
                infra_data: None,
                is_box: None,
                is_external: false,
                version: None,
                meshrev_kind: node.kind().to_owned(),
                injector: None,
                running: Vec::new(),
                needs_restart: None,
                progress: None,
            };
            match node {
                Node::Revision(r) => {
                    d.infra_type = "istiod".to_owned();
                    match &r.control_plane {
                        Some(cp) => {
                            d.infra_name = cp.istiod.clone();
                            d.version = cp.version.clone();
                            d.parent = Some(namespace_box(&cp.namespace, &mut boxes));
                        }
                        None => {
                            d.infra_name = r.name.clone();
                            d.parent = Some(home.clone());
                        }
                    }
                    d.infra_data = Some(json!({
                        "revision": r.name,
                        "controlPlane": r.control_plane.as_ref().map(|c| &c.object),
                        "family": r.control_plane.as_ref().map(|c| c.family),
                        "tags": r.tags,
                        "default": r.default,
                        "inUse": r.in_use,
                        "inUseBy": r.in_use_by,
                        "prunable": r.prunable,
                    }));
                    d.progress = Some(r.progress.clone());
                }
                Node::Tag(t) => {
                    d.infra_type = "tag".to_owned();
                    d.infra_name = t.name.clone();
                    d.parent = Some(home.clone());
                    d.infra_data = Some(json!({"revision": t.revision, "source": t.source}));
                }
                Node::DefaultRevision { revision, .. } => {
                    d.infra_type = "default".to_owned();
                    d.infra_name = "default".to_owned();
                    d.parent = Some(home.clone());
                    d.infra_data = Some(json!({ "revision": revision }));
                }
                Node::DataPlane(dp) => {
                    d.infra_type = "dataplane".to_owned();
                    d.infra_name = "Data Plane".to_owned();
                    d.parent = Some(home.clone());
                    d.version = Some(dp.tags.first().unwrap_or(&dp.revision).clone());
                    let namespaces: Vec<Value> = dp
                        .namespaces
                        .iter()
                        .map(|n| json!({"name": n, "cluster": cluster, "revision": dp.revision}))
                        .collect();
                    d.infra_data = Some(Value::Array(namespaces));
                }
                Node::Namespace(n) => {
                    d.infra_type = "namespace".to_owned();
                    d.infra_name = n.name.clone();
                    d.node_type = "box".to_owned();
                    d.is_box = Some("namespace".to_owned());
                    d.parent = Some(home.clone());
                    d.injector = n.injector.clone();
                    d.running = n.running.clone();
                    d.needs_restart = Some(n.needs_restart);
                    d.infra_data = Some(json!({
                        "reason": n.reason,
                        "conflict": n.conflict,
                        "workloads": n.workloads,
                    }));
                }
                Node::Workload(w) => {
                    d.infra_type = "workload".to_owned();
                    d.infra_name = format!("{}/{}", w.kind, w.name);
                    d.parent = Some(NodeId::namespace(&w.namespace).to_string());
                    d.injector = w.injector.clone();
                    d.running = w.running.clone();
                    d.needs_restart = Some(usize::from(w.needs_restart));
                    d.infra_data = Some(json!({"kind": w.kind, "name": w.name, "pods": w.pods}));
                }
                Node::Infra(i) => {
                    d.infra_type = i.infra_type.as_str().to_owned();
                    d.infra_name = i.name.clone();
                    match &i.namespace {
                        Some(ns) => d.parent = Some(namespace_box(ns, &mut boxes)),
                        None => {
                            any_external = true;
                            d.is_external = true;
                            d.cluster = EXTERNAL.to_owned();
                            d.parent = Some(external.clone());
                        }
                    }
                    d.infra_data = Some(json!({"url": i.url, "source": i.source}));
                }
            }
            nodes.push(d);
        }
        // A graph namespace node is its own box; drop the synthesized duplicate.
        for n in &nodes {
            boxes.remove(&n.id);
        }
        let cluster_node = |id: &str, name: &str, c: &str| KialiNodeData {
            id: id.to_owned(),
            parent: None,
            cluster: c.to_owned(),
            infra_name: name.to_owned(),
            infra_type: "cluster".to_owned(),
            namespace: String::new(),
            node_type: "box".to_owned(),
            infra_data: None,
            is_box: Some("cluster".to_owned()),
            is_external: c == EXTERNAL,
            version: None,
            meshrev_kind: "box".to_owned(),
            injector: None,
            running: Vec::new(),
            needs_restart: None,
            progress: None,
        };
        nodes.push(cluster_node(&home, cluster, cluster));
        if any_external {
            nodes.push(cluster_node(&external, "External Deployments", EXTERNAL));
        }
        nodes.extend(boxes.into_values());
        // kiali-1258: parents before children; then as Kiali sorts.
        let rank = |d: &KialiNodeData| match d.is_box.as_deref() {
            Some("cluster") => 0,
            Some("namespace") => 1,
            _ => 2,
        };
        nodes.sort_by(|a, b| {
            (rank(a), &a.cluster, &a.namespace, &a.id).cmp(&(
                rank(b),
                &b.cluster,
                &b.namespace,
                &b.id,
            ))
        });

        let mut edges: Vec<KialiEdgeData> = self
            .edges()
            .filter(|e| e.kind != EdgeKind::Holds)
            .map(|e| KialiEdgeData {
                id: e.id(),
                source: e.source.to_string(),
                target: e.target.to_string(),
                edge_type: e.kind.as_str().to_owned(),
                drift: e.kind == EdgeKind::ShouldRunOn,
            })
            .collect();
        edges.sort_by(|a, b| {
            (&a.source, &a.target, &a.edge_type).cmp(&(&b.source, &b.target, &b.edge_type))
        });
        KialiGraph {
            elements: KialiElements {
                nodes: nodes.into_iter().map(|data| KialiNode { data }).collect(),
                edges: edges.into_iter().map(|data| KialiEdge { data }).collect(),
            },
        }
    }

    /// [`Topology::to_kiali`] as pretty-printed JSON.
    pub fn to_kiali_json(&self) -> String {
        // Serializing plain structs, string-keyed maps and finite floats cannot fail.
        serde_json::to_string_pretty(&self.to_kiali()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::service_namespace;

    #[test]
    fn service_urls_as_kiali_reads_them() {
        let ns = |u: &str| service_namespace(u);
        assert_eq!(
            ns("http://prometheus.istio-system:9090").as_deref(),
            Some("istio-system")
        );
        assert_eq!(
            ns("https://prometheus.monitoring.svc.cluster.local:9091/x").as_deref(),
            Some("monitoring")
        );
        assert_eq!(
            ns("http://prometheus.istio-system/").as_deref(),
            Some("istio-system")
        );
        assert_eq!(
            ns("http://prometheus.istio-system.svc:9090").as_deref(),
            Some("istio-system")
        );
        assert_eq!(ns("http://thanos.example.com"), None);
        assert_eq!(ns("https://grafana.apps.example.com/"), None);
        assert_eq!(ns("http://localhost:9090"), None);
        assert_eq!(ns("ftp://a.b"), None);
        assert_eq!(ns(""), None);
    }
}
