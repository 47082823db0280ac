//! Graphviz DOT: revisions on the left, their data planes, then one cluster per
//! namespace holding its workloads. Drift edges (`should run on`) are dashed.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{EdgeKind, InfraType, Node, NodeId, Topology};
use crate::mesh::Family;

/// Fill colours per family, and for what needs attention.
const MAISTRA: &str = "#fde2c4";
const SAIL: &str = "#cfe2ff";
const ISTIO: &str = "#d1e7dd";
const GONE: &str = "#e9ecef";
const DRIFT: &str = "#f8d7da";
const DRIFT_LINE: &str = "#b02a37";
const SHOULD_LINE: &str = "#0a58ca";

/// A DOT double-quoted label of left-justified lines (`\l` ends each line).
fn quote_left(lines: &[String]) -> String {
    let mut out = String::from("\"");
    for l in lines {
        let q = quote(l);
        out.push_str(&q[1..q.len() - 1]);
        out.push_str("\\l");
    }
    out.push('"');
    out
}

/// A DOT double-quoted string.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn family_fill(f: Family) -> &'static str {
    match f {
        Family::Maistra => MAISTRA,
        Family::Sail => SAIL,
        Family::Istio => ISTIO,
    }
}

pub(super) fn family_name(f: Family) -> &'static str {
    match f {
        Family::Maistra => "OSSM 2 (Maistra)",
        Family::Sail => "OSSM 3 (Sail)",
        Family::Istio => "Istio",
    }
}

pub(super) fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The text lines a node shows (shared with the Mermaid export).
pub(super) fn label_lines(node: &Node) -> Vec<String> {
    match node {
        Node::Revision(r) => {
            let mut lines = Vec::new();
            match &r.control_plane {
                Some(cp) => {
                    lines.push(cp.istiod.clone());
                    let mut line = format!("revision {} · {}", r.name, family_name(cp.family));
                    if let Some(v) = &cp.version {
                        let _ = write!(line, " {v}");
                    }
                    lines.push(line);
                }
                None => {
                    lines.push(r.name.clone());
                    lines.push("control plane gone".to_owned());
                }
            }
            let p = &r.progress;
            lines.push(format!(
                "{} pods ({}) · {} workloads ({})",
                p.pods,
                percent(p.pod_share),
                p.workloads,
                percent(p.workload_share)
            ));
            if r.control_plane.is_some() {
                if r.prunable {
                    lines.push("unused: safe to remove".to_owned());
                } else if !r.in_use {
                    lines.push("not in use".to_owned());
                }
            }
            lines
        }
        Node::Tag(t) => vec![format!("tag {}", t.name)],
        Node::DefaultRevision { .. } => vec!["default revision".to_owned()],
        Node::DataPlane(d) => {
            let mut first = format!("data plane {}", d.revision);
            if !d.tags.is_empty() {
                let _ = write!(first, " ({})", d.tags.join(", "));
            }
            let n = d.namespaces.len();
            vec![
                first,
                format!("{n} namespace{}", if n == 1 { "" } else { "s" }),
            ]
        }
        Node::Namespace(n) => {
            let mut lines = vec![n.name.clone()];
            match (&n.injector, n.conflict.is_empty()) {
                (Some(i), _) => lines.push(format!("injector {i}")),
                (None, false) => lines.push(format!("conflict: {}", n.conflict.join(", "))),
                (None, true) => lines.push("not injected".to_owned()),
            }
            if n.needs_restart > 0 {
                lines.push(format!(
                    "{} of {} need a restart",
                    n.needs_restart, n.workloads
                ));
            }
            lines
        }
        Node::Workload(w) => {
            let running = if w.running.is_empty() {
                "no sidecar".to_owned()
            } else {
                format!("runs {}", w.running.join(", "))
            };
            vec![
                format!("{} {}", w.kind, w.name),
                format!(
                    "{} pod{} · {running}",
                    w.pods,
                    if w.pods == 1 { "" } else { "s" }
                ),
            ]
        }
        Node::Infra(i) => match i.infra_type {
            InfraType::Kiali => vec![format!("Kiali {}", i.name)],
            InfraType::MetricStore => vec![i.name.clone(), "metric store".to_owned()],
            InfraType::TraceStore => vec![i.name.clone(), "trace store".to_owned()],
            InfraType::Grafana => vec![i.name.clone()],
        },
    }
}

fn node_attrs(node: &Node) -> String {
    let label = quote(&label_lines(node).join("\n"));
    let id = quote(node.id().as_str());
    let style = match node {
        Node::Revision(r) => match &r.control_plane {
            Some(cp) => format!(
                "shape=box, style=\"rounded,filled,bold\", fillcolor=\"{}\"",
                family_fill(cp.family)
            ),
            None => format!("shape=box, style=\"rounded,filled,dashed\", fillcolor=\"{GONE}\""),
        },
        Node::Tag(_) => "shape=cds, style=filled, fillcolor=\"#fff3cd\"".to_owned(),
        Node::DefaultRevision { .. } => "shape=plaintext, style=\"\"".to_owned(),
        Node::DataPlane(_) => "shape=box3d, style=filled, fillcolor=\"#f8f9fa\"".to_owned(),
        Node::Namespace(_) => "shape=point, style=invis, width=0.01, height=0.01".to_owned(),
        Node::Workload(w) => {
            if w.needs_restart {
                format!("style=\"rounded,filled\", fillcolor=\"{DRIFT}\", color=\"{DRIFT_LINE}\"")
            } else if w.running.is_empty() && w.injector.is_none() {
                "style=\"rounded,dashed\", fontcolor=\"gray40\"".to_owned()
            } else {
                "style=\"rounded,filled\", fillcolor=white".to_owned()
            }
        }
        Node::Infra(i) => match i.infra_type {
            InfraType::Kiali => "shape=hexagon, style=filled, fillcolor=\"#e2d9f3\"",
            InfraType::MetricStore | InfraType::TraceStore => {
                "shape=cylinder, style=filled, fillcolor=\"#f8f9fa\""
            }
            InfraType::Grafana => "shape=box, style=filled, fillcolor=\"#f8f9fa\"",
        }
        .to_owned(),
    };
    if matches!(node, Node::Namespace(_)) {
        format!("{id} [id={id}, label=\"\", {style}]")
    } else {
        format!("{id} [id={id}, label={label}, {style}]")
    }
}

/// The cluster name for a Kubernetes namespace.
fn cluster_id(namespace: &str) -> String {
    quote(&format!("cluster_{namespace}"))
}

impl Topology {
    /// The graph in Graphviz DOT (render with `dot -Tpng` or `-Tsvg`).
    ///
    /// Left to right: tags and Kiali, revisions (filled by family; dashed when
    /// only pods remember them), their data planes, then one cluster per
    /// namespace with its workloads. A workload's edge to the revision it runs is
    /// solid; when it should run another one, that edge is red and a dashed blue
    /// edge leads to the revision that injects it now. Nodes carry their
    /// [`NodeId`] as `id`, so SVG output can be scripted.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        out.push_str("digraph mesh {\n");
        out.push_str(
            "  graph [rankdir=LR, compound=true, newrank=true, fontname=\"Helvetica\", fontsize=11, nodesep=0.15, ranksep=0.45];\n",
        );
        out.push_str(
            "  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white, color=\"gray35\"];\n",
        );
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"gray35\"];\n");

        // Group nodes by the Kubernetes namespace they live in.
        let mut by_namespace: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
        let mut top = Vec::new();
        for node in self.nodes() {
            match node.namespace() {
                Some(ns) => by_namespace.entry(ns).or_default().push(node),
                None => top.push(node),
            }
        }
        let (external, top): (Vec<&Node>, Vec<&Node>) =
            top.into_iter().partition(|n| matches!(n, Node::Infra(_)));
        for node in top {
            let _ = writeln!(out, "  {};", node_attrs(node));
        }
        if !external.is_empty() {
            out.push_str("  subgraph \"cluster__external_\" {\n");
            out.push_str("    label=\"External Deployments\"; labeljust=l; fontsize=10; style=\"rounded,dotted\"; color=\"gray55\";\n");
            for node in external {
                let _ = writeln!(out, "    {};", node_attrs(node));
            }
            out.push_str("  }\n");
        }
        for (ns, nodes) in &by_namespace {
            let _ = writeln!(out, "  subgraph {} {{", cluster_id(ns));
            let lines = match self.namespace(ns) {
                Some(n) => {
                    let color = if n.needs_restart > 0 {
                        DRIFT_LINE
                    } else {
                        "gray45"
                    };
                    let _ = writeln!(
                        out,
                        "    style=\"rounded\"; color=\"{color}\"; bgcolor=\"#fcfcfc\";"
                    );
                    label_lines(&Node::Namespace(n.clone()))
                }
                None => {
                    out.push_str("    style=\"rounded,dotted\"; color=\"gray55\";\n");
                    vec![(*ns).to_owned()]
                }
            };
            let _ = writeln!(
                out,
                "    label={}; labeljust=l; fontsize=10;",
                quote_left(&lines)
            );
            for node in nodes {
                let _ = writeln!(out, "    {};", node_attrs(node));
            }
            out.push_str("  }\n");
        }

        // Every revision in one column.
        let revisions: Vec<String> = self.revisions().map(|r| quote(r.id.as_str())).collect();
        if revisions.len() > 1 {
            let _ = writeln!(out, "  {{ rank=same; {}; }}", revisions.join("; "));
        }

        for e in self.edges() {
            let (s, t, id) = (
                quote(e.source.as_str()),
                quote(e.target.as_str()),
                quote(&e.id()),
            );
            let drifting = |w: &NodeId| matches!(self.node(w.as_str()), Some(Node::Workload(w)) if w.needs_restart);
            let line = match e.kind {
                EdgeKind::Manages | EdgeKind::PointsTo | EdgeKind::DefaultRevision => {
                    format!("{s} -> {t} [id={id}]")
                }
                EdgeKind::Contains => {
                    let ns = e.target.as_str().trim_start_matches("namespace:");
                    format!("{s} -> {t} [id={id}, lhead={}]", cluster_id(ns))
                }
                // Layout only: keeps workloads right of their namespace's entry point.
                EdgeKind::Holds => format!("{s} -> {t} [id={id}, style=invis]"),
                // Drawn from the revision with the arrow reversed, so that ranks
                // still run revision -> workload.
                EdgeKind::RunsOn => {
                    if drifting(&e.source) {
                        format!(
                            "{t} -> {s} [id={id}, dir=back, color=\"{DRIFT_LINE}\", penwidth=1.4, tooltip=\"runs on\"]"
                        )
                    } else {
                        format!(
                            "{t} -> {s} [id={id}, dir=back, color=\"gray60\", tooltip=\"runs on\"]"
                        )
                    }
                }
                EdgeKind::ShouldRunOn => format!(
                    "{t} -> {s} [id={id}, dir=back, style=dashed, color=\"{SHOULD_LINE}\", penwidth=1.4, tooltip=\"should run on\"]"
                ),
                EdgeKind::Observes => {
                    format!("{s} -> {t} [id={id}, style=dotted, color=\"gray55\", arrowsize=0.6]")
                }
                EdgeKind::Reads => {
                    format!("{s} -> {t} [id={id}, style=dotted, color=\"gray55\", arrowsize=0.6]")
                }
            };
            let _ = writeln!(out, "  {line};");
        }
        out.push_str("}\n");
        out
    }
}
