//! The command-line face of meshrev: every command reads one snapshot file (what
//! `kubectl get ... -o yaml` printed) and prints what the library makes of it.
//!
//! ```text
//! cargo run --example meshrev -- inspect fixtures/ossm-2.6-to-3.0/01-before.yaml
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use meshrev::{Mesh, Snapshot, Status};

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
    /// Revisions and their data planes, namespaces and workloads with their
    /// injector and running revisions, what needs a restart, migration progress.
    Status {
        /// A YAML or JSON snapshot.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Which revision injects a namespace, workload or pod, and the rule that decided.
    Explain {
        /// `<namespace>` or `<namespace>/<pod or workload>`.
        target: String,
        /// A YAML or JSON snapshot.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
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

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Inspect { file } => {
            let snapshot = Snapshot::from_path(&file).map_err(|e| e.to_string())?;
            print!("{}", inspect(&snapshot));
        }
        Command::Status { file, format } => {
            let mesh = Mesh::new(Snapshot::from_path(&file).map_err(|e| e.to_string())?);
            let status = Status::of(&mesh);
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?
                ),
                Format::Table => print!("{}", status_table(&status)),
            }
        }
        Command::Explain { target, file } => {
            let mesh = Mesh::new(Snapshot::from_path(&file).map_err(|e| e.to_string())?);
            print!("{}", explain(&mesh, &target)?);
        }
    }
    Ok(())
}

fn status_table(status: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let or_dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "REVISIONS");
    let _ = writeln!(
        out,
        "  {:<18} {:<8} {:<48} {:<16} {:<7} {:<6} NAMESPACES",
        "NAME", "FAMILY", "CONTROL PLANE", "TAGS", "DEFAULT", "IN-USE"
    );
    for r in &status.revisions {
        let _ = writeln!(
            out,
            "  {:<18} {:<8} {:<48} {:<16} {:<7} {:<6} {}",
            r.name,
            format!("{:?}", r.family),
            r.control_plane,
            if r.tags.is_empty() {
                "-".into()
            } else {
                r.tags.join(",")
            },
            if r.default { "yes" } else { "no" },
            if r.in_use { "yes" } else { "no" },
            if r.namespaces.is_empty() {
                "-".into()
            } else {
                r.namespaces.join(",")
            }
        );
    }
    let _ = writeln!(out, "NAMESPACES");
    let _ = writeln!(
        out,
        "  {:<24} {:<18} {:<10} NEEDS RESTART",
        "NAME", "INJECTOR", "WORKLOADS"
    );
    for n in &status.namespaces {
        let restart = n.workloads.iter().filter(|w| w.needs_restart).count();
        let _ = writeln!(
            out,
            "  {:<24} {:<18} {:<10} {}",
            n.name,
            or_dash(&n.injector),
            n.workloads.len(),
            restart
        );
    }
    let _ = writeln!(out, "NEEDS RESTART");
    let mut any = false;
    for (n, w) in status.needs_restart() {
        any = true;
        let _ = writeln!(
            out,
            "  {}/{} {}: running {} -> injector {}",
            n.name,
            w.kind,
            w.name,
            if w.running.is_empty() {
                "no sidecar".into()
            } else {
                w.running.join(",")
            },
            or_dash(&w.injector)
        );
    }
    if !any {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(out, "PROGRESS (live injected pods per running revision)");
    for p in &status.progress {
        let _ = writeln!(
            out,
            "  {:<18} {:>5} pods {:>5.1}%  {} workloads",
            p.revision,
            p.pods,
            p.share * 100.0,
            p.workloads
        );
    }
    out
}

fn explain(mesh: &Mesh, target: &str) -> Result<String, String> {
    use std::fmt::Write;
    let s = mesh.snapshot();
    let (ns, object) = match target.split_once('/') {
        Some((ns, o)) => (ns, Some(o)),
        None => (target, None),
    };
    let mut out = String::new();
    let labels = mesh.namespace_labels(ns);
    if s.namespace(ns).is_none() {
        let _ = writeln!(
            out,
            "namespace {ns} is not in the snapshot; resolving with no labels"
        );
    }
    let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "namespace {ns} [{}]", shown.join(", "));
    let _ = writeln!(out, "  {}", mesh.resolve_namespace(ns));
    let Some(name) = object else {
        return Ok(out);
    };
    let status = Status::of(mesh);
    if let Some(pod) = s.pod(ns, name) {
        let (running, malformed) = meshrev::status::running_revision(pod);
        let _ = writeln!(out, "pod {ns}/{name}");
        let _ = writeln!(out, "  {}", mesh.resolve_pod(pod));
        let _ = writeln!(
            out,
            "  running: {}",
            running.as_str().unwrap_or("no sidecar")
        );
        if let Some(m) = malformed {
            let _ = writeln!(
                out,
                "  sidecar.istio.io/status is not valid JSON: {}",
                m.message
            );
        }
        return Ok(out);
    }
    let workload = s
        .workloads()
        .find(|w| {
            w.namespace() == ns
                && w.meta.name == name
                && w.kind != meshrev::snapshot::WorkloadKind::ReplicaSet
        })
        .or_else(|| {
            s.workloads()
                .find(|w| w.namespace() == ns && w.meta.name == name)
        })
        .ok_or_else(|| format!("no pod or workload {name} in namespace {ns}"))?;
    let _ = writeln!(out, "{} {ns}/{name}", workload.kind);
    let _ = writeln!(out, "  {}", mesh.resolve_workload(workload));
    if let Some(w) = status.namespace(ns).and_then(|n| {
        n.workloads
            .iter()
            .find(|w| w.name == name && w.kind == workload.kind.as_str())
    }) {
        let running = if w.running.is_empty() {
            "no sidecar".to_owned()
        } else {
            w.running.join(", ")
        };
        let _ = writeln!(out, "  running: {running} ({} live pods)", w.pods);
        if w.needs_restart {
            let _ = writeln!(
                out,
                "  needs a restart: its pods run {running}, a new pod would get {}",
                w.injector.as_deref().unwrap_or("no sidecar")
            );
        }
    }
    Ok(out)
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
