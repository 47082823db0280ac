//! The command-line face of meshrev: every command reads one snapshot file (what
//! `kubectl get ... -o yaml` printed) and prints what the library makes of it.
//!
//! ```text
//! cargo run --example meshrev -- inspect fixtures/ossm-2.6-to-3.0/01-before.yaml
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use meshrev::Snapshot;

#[derive(Parser)]
#[command(
    name = "meshrev",
    about = "Service-mesh control-plane revisions, from a cluster snapshot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Counts per kind, the control-plane objects found, and the kinds skipped.
    Inspect {
        /// A YAML or JSON snapshot.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), meshrev::Error> {
    match cli.command {
        Command::Inspect { file } => {
            let snapshot = Snapshot::from_path(&file)?;
            print!("{}", inspect(&snapshot));
            Ok(())
        }
    }
}

fn inspect(s: &Snapshot) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "objects:");
    for (kind, n) in s.counts() {
        let _ = writeln!(out, "  {kind:<30} {n}");
    }
    let _ = writeln!(out, "control planes:");
    let mut any = false;
    for cp in s.control_planes() {
        any = true;
        let _ = writeln!(
            out,
            "  ServiceMeshControlPlane {}/{} version={} mode={:?}",
            cp.meta.namespace.as_deref().unwrap_or_default(),
            cp.meta.name,
            cp.version.as_deref().unwrap_or("-"),
            cp.mode
        );
    }
    for i in s.istios() {
        any = true;
        let _ = writeln!(
            out,
            "  Istio {} version={} namespace={} strategy={:?} active={}",
            i.meta.name,
            i.version.as_deref().unwrap_or("-"),
            i.namespace,
            i.update_strategy,
            i.active_revision_name.as_deref().unwrap_or("-")
        );
    }
    for r in s.istio_revisions() {
        any = true;
        let _ = writeln!(
            out,
            "  IstioRevision {} version={}",
            r.meta.name,
            r.version.as_deref().unwrap_or("-")
        );
    }
    for t in s.istio_revision_tags() {
        any = true;
        let _ = writeln!(
            out,
            "  IstioRevisionTag {} -> {:?} {}",
            t.meta.name, t.target_kind, t.target_name
        );
    }
    for w in s.webhook_configurations().filter(|w| {
        w.meta.labels.contains_key(meshrev::labels::REV)
            || w.meta.labels.contains_key(meshrev::labels::TAG)
    }) {
        any = true;
        let _ = writeln!(
            out,
            "  MutatingWebhookConfiguration {} ({} webhooks)",
            w.meta.name,
            w.webhooks.len()
        );
    }
    if !any {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(out, "skipped kinds:");
    if s.skipped().is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (kind, n) in s.skipped() {
        let _ = writeln!(out, "  {kind:<30} {n}");
    }
    let absent = s.absent_namespaces();
    if !absent.is_empty() {
        let _ = writeln!(
            out,
            "namespaces referenced but not in the snapshot: {}",
            absent.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    out
}
