//! Writes a deterministic synthetic cluster as `kubectl get -o json|yaml`
//! prints a `List` (the generator of `benches/cluster.rs`), for
//! `benches/compare.sh` and for trying meshrev at scale:
//!
//! ```text
//! cargo run --release --example gen-cluster -- --pods 100000 --format json > dump.json
//! ```
//!
//! Pods are spread as 2 deployments x 10 replicas per namespace (100,000 pods:
//! 5,000 namespaces).

#[path = "../benches/cluster.rs"]
mod cluster;

use std::io::Write;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Number of pods (a multiple of 20).
    #[arg(long, default_value_t = 100_000)]
    pods: usize,
    /// `json` or `yaml`.
    #[arg(long, default_value = "json")]
    format: String,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let size = cluster::Size {
        namespaces: args.pods.div_ceil(20),
        deployments: 2,
        replicas: 10,
    };
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout);
    match args.format.as_str() {
        "json" => cluster::write_json_list(size, &mut out)?,
        "yaml" => cluster::write_yaml_list(size, &mut out)?,
        other => {
            eprintln!("unknown format {other:?}: json or yaml");
            std::process::exit(2);
        }
    }
    out.flush()
}
