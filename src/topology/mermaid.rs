//! Mermaid flowchart (GitHub renders it in Markdown): the same picture as the
//! DOT export, namespaces as subgraphs, drift edges dotted.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::dot::label_lines;
use super::{EdgeKind, InfraType, Node, NodeId, Topology};
use crate::mesh::Family;

/// A Mermaid-safe id for a node id: ASCII letters and digits stay, every other
/// byte becomes `_XX` (hex), so distinct ids stay distinct.
pub fn mermaid_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 8);
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

/// Label text inside `"..."`: quotes and angle brackets as entities, lines as `<br/>`.
fn text(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            l.replace('&', "#amp;")
                .replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
        })
        .collect::<Vec<_>>()
        .join("<br/>")
}

fn node_line(node: &Node) -> String {
    let id = mermaid_id(node.id().as_str());
    let label = text(&label_lines(node));
    let (open, close) = match node {
        Node::Revision(_) => ("[\"", "\"]"),
        Node::Tag(_) => (">\"", "\"]"),
        Node::DefaultRevision { .. } => ("([\"", "\"])"),
        Node::DataPlane(_) => ("[[\"", "\"]]"),
        Node::Namespace(_) => ("[\"", "\"]"),
        Node::Workload(_) => ("(\"", "\")"),
        Node::Infra(i) => match i.infra_type {
            InfraType::Kiali => ("{{\"", "\"}}"),
            _ => ("[(\"", "\")]"),
        },
    };
    let class = match node {
        Node::Revision(r) => match r.control_plane.as_ref().map(|c| c.family) {
            Some(Family::Maistra) => ":::maistra",
            Some(Family::Sail) => ":::sail",
            Some(Family::Istio) => ":::istio",
            None => ":::gone",
        },
        Node::Workload(w) if w.needs_restart => ":::drift",
        _ => "",
    };
    format!("{id}{open}{label}{close}{class}")
}

impl Topology {
    /// The graph as a Mermaid flowchart (left to right), for Markdown.
    ///
    /// Namespaces are subgraphs holding their workloads (and, for the
    /// control-plane namespace, its revisions and Kiali stack); a data plane
    /// points at the namespace subgraphs it contains. `runs on` edges are solid,
    /// `should run on` (drift) edges dotted; workloads that need a restart have
    /// the `drift` class. Node ids are [`mermaid_id`] of the [`NodeId`].
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        out.push_str("  classDef maistra fill:#fde2c4,stroke:#555\n");
        out.push_str("  classDef sail fill:#cfe2ff,stroke:#555\n");
        out.push_str("  classDef istio fill:#d1e7dd,stroke:#555\n");
        out.push_str("  classDef gone fill:#e9ecef,stroke:#555,stroke-dasharray:4 3\n");
        out.push_str("  classDef drift fill:#f8d7da,stroke:#b02a37\n");

        let mut by_namespace: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
        for node in self.nodes() {
            match node {
                // The namespace is the subgraph itself.
                Node::Namespace(n) => by_namespace.entry(&n.name).or_default(),
                n => match n.namespace() {
                    Some(ns) => {
                        by_namespace.entry(ns).or_default().push(n);
                        continue;
                    }
                    None => {
                        let _ = writeln!(out, "  {}", node_line(n));
                        continue;
                    }
                },
            };
        }
        for (ns, nodes) in &by_namespace {
            let title = match self.namespace(ns) {
                Some(n) => text(&label_lines(&Node::Namespace(n.clone()))),
                None => text(&[(*ns).to_owned()]),
            };
            let _ = writeln!(
                out,
                "  subgraph {}[\"{title}\"]",
                mermaid_id(NodeId::namespace(ns).as_str())
            );
            for n in nodes {
                let _ = writeln!(out, "    {}", node_line(n));
            }
            out.push_str("  end\n");
        }
        for e in self.edges() {
            let (s, t) = (mermaid_id(e.source.as_str()), mermaid_id(e.target.as_str()));
            let line = match e.kind {
                EdgeKind::Holds => continue,
                EdgeKind::Manages | EdgeKind::Contains | EdgeKind::PointsTo => {
                    format!("{s} --> {t}")
                }
                EdgeKind::DefaultRevision => format!("{s} --> {t}"),
                EdgeKind::RunsOn => format!("{s} -->|runs on| {t}"),
                EdgeKind::ShouldRunOn => format!("{s} -.->|should run on| {t}"),
                EdgeKind::Observes | EdgeKind::Reads => format!("{s} -.-> {t}"),
            };
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}
