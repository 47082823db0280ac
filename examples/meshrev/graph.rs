//! `graph`: the mesh as a graph, in Graphviz DOT, Mermaid or Kiali-style JSON.

use clap::ValueEnum;
use meshrev::{Mesh, Status, Topology};

/// `graph --format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`| dot -Tpng > mesh.png`).
    Dot,
    /// A Mermaid flowchart (paste into Markdown).
    Mermaid,
    /// Kiali's mesh-page JSON (Cytoscape elements) with meshrev's fields.
    Json,
}

pub fn graph(mesh: &Mesh, status: &Status, format: GraphFormat) -> String {
    let topology = Topology::of(mesh, status);
    match format {
        GraphFormat::Dot => topology.to_dot(),
        GraphFormat::Mermaid => topology.to_mermaid(),
        GraphFormat::Json => topology.to_kiali_json() + "\n",
    }
}
