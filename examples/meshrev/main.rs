//! The command-line face of meshrev: every command reads a snapshot (what
//! `kubectl get ... -o yaml` printed: files, directories, or standard input) and
//! prints what the library makes of it.
//!
//! ```text
//! cargo run --example meshrev -- inspect fixtures/ossm-2.6-to-3.0/01-before.yaml
//! ```

use std::io::Write;
use std::process::ExitCode;

mod analyze;
mod explain;
mod graph;
mod inspect;
mod status;

use clap::{Args, Parser, Subcommand, ValueEnum};
use meshrev::analyze::Severity;
use meshrev::{Mesh, Snapshot, SnapshotBuilder, Status};

/// Exit codes, as `--help` and the README state them (grep's convention: 1 is
/// "found", 2 is "could not answer").
const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `analyze --fail-on`: no finding at or above that severity)
  1  `analyze --fail-on`: findings at or above that severity exist
  2  the answer could not be given: a snapshot that cannot be read or is invalid,
     a target not in the snapshot, or a usage error

Snapshots: files of what `kubectl get ... -o yaml` (or `-o json`) printed, gzipped
or not; directories, read recursively for *.yaml, *.yml and *.json (an
`oc adm must-gather` tree); or `-` for standard input. Recommended collection:
  kubectl get namespaces,pods,deployments,statefulsets,daemonsets,replicasets,\\
    replicationcontrollers,jobs,cronjobs,mutatingwebhookconfigurations,configmaps \\
    -A -o yaml > cluster.yaml
  kubectl get smcp,smmr,smm,istio,istiorevision,istiorevisiontag,kiali,\\
    deploymentconfigs -A -o yaml >> cluster.yaml   # the kinds your cluster has
";

#[derive(Parser)]
#[command(
    name = "meshrev",
    version,
    about = "Service-mesh control-plane revisions, from a cluster snapshot",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The snapshot every command reads.
#[derive(Args)]
struct Input {
    /// Snapshot files (YAML or JSON, gzipped or not), directories (every *.yaml,
    /// *.yml, *.json under them), or `-` for standard input.
    #[arg(value_name = "FILE|DIR|-")]
    files: Vec<String>,
    /// Two versions of one object (different resourceVersion, e.g. two
    /// must-gather runs): keep the newer instead of failing.
    #[arg(long)]
    newest: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Counts per kind, the control-plane objects found, and the kinds skipped.
    Inspect {
        #[command(flatten)]
        input: Input,
    },
    /// Revisions and their data planes, namespaces and workloads with their
    /// injector and running revisions, what needs a restart, migration progress.
    Status {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Which revision injects a namespace, workload or pod, and the rule that decided.
    Explain {
        /// `<namespace>` or `<namespace>/<pod or workload>`.
        target: String,
        #[command(flatten)]
        input: Input,
    },
    /// Findings with stable codes: conflicting labels, dangling revisions, double
    /// injection, workloads needing a restart, unused revisions, ...
    Analyze {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Exit with 1 when a finding of this severity or worse exists.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Explain a finding code (`MR0001` or its slug) instead of analyzing.
        #[arg(long)]
        explain: Option<String>,
    },
    /// The mesh as a graph: revisions, tags, data planes, namespaces, workloads
    /// (drift edges to the revision they should run on), Kiali's stack.
    Graph {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = graph::GraphFormat::Dot)]
        format: graph::GraphFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// `analyze --fail-on`.
#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
}

impl FailOn {
    fn fails(self, severity: Severity) -> bool {
        matches!(
            (self, severity),
            (_, Severity::Error) | (FailOn::Warning, Severity::Warning)
        )
    }
}

/// How a command ended, short of printing.
enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: `analyze --fail-on` found what it was asked to fail on.
    Found,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Found) => ExitCode::from(1),
        Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Why a command stopped early.
enum Failure {
    /// The reader of our output went away (`meshrev status f | head -1`): stop
    /// quietly, as Unix tools do.
    ClosedPipe,
    /// An error to print (exit 2).
    Message(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Message(e)
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Message(e.to_owned())
    }
}

/// Writes to standard output; a closed pipe ends the command quietly.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        Err(e) => Err(Failure::Message(format!("cannot write the output: {e}"))),
    }
}

/// Writes `value` as pretty JSON straight to standard output through a buffer
/// (no whole-output `String`: the status of a 100k-pod cluster is tens of MB).
fn emit_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        Err(e) => Err(Failure::Message(format!("cannot write the output: {e}"))),
    }
}

/// Reads every input into one snapshot; says on standard error what a directory
/// held that was not read.
fn load(input: &Input) -> Result<Snapshot, Failure> {
    if input.files.is_empty() {
        return Err("no snapshot given: name files, directories, or `-` for standard input".into());
    }
    let mut builder = SnapshotBuilder::new();
    builder.keep_newest(input.newest);
    let mut stdin_read = false;
    for file in &input.files {
        let read = if file == "-" {
            if std::mem::replace(&mut stdin_read, true) {
                return Err("`-` (standard input) given twice".into());
            }
            builder.add_reader("<stdin>", std::io::stdin().lock())
        } else {
            builder.add_path(file)
        };
        read.map_err(|e| e.to_string())?;
    }
    if builder.ignored_files() > 0 {
        eprintln!(
            "meshrev: read {} file{}; passed over {} other file{} (not *.yaml, *.yml or *.json)",
            builder.files(),
            plural(builder.files()),
            builder.ignored_files(),
            plural(builder.ignored_files())
        );
    }
    Ok(builder.build())
}

/// `"s"` unless there is exactly one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn run(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Inspect { input } => {
            let snapshot = load(&input)?;
            emit(&inspect::inspect(&snapshot))?;
        }
        Command::Status { input, format } => {
            let mesh = Mesh::new(load(&input)?);
            let status = Status::of(&mesh);
            match format {
                Format::Json => emit_json(&status)?,
                Format::Table => emit(&status::status_table(&status))?,
            }
            // The process ends next: freeing a large model piece by piece
            // would only cost time (tens of ms at 100k pods).
            std::mem::forget((mesh, status));
        }
        Command::Explain { target, input } => {
            let mesh = Mesh::new(load(&input)?);
            emit(&explain::explain(&mesh, &target)?)?;
        }
        Command::Analyze {
            input,
            format,
            fail_on,
            explain,
        } => {
            if let Some(code) = explain {
                let code: meshrev::Code = code.parse()?;
                emit(&format!(
                    "{code}: {}\n\n{}\n",
                    code.summary(),
                    code.explain()
                ))?;
                return Ok(Outcome::Done);
            }
            let mesh = Mesh::new(load(&input)?);
            let findings = meshrev::analyze(&mesh);
            match format {
                Format::Json => emit_json(&findings)?,
                Format::Table => emit(&analyze::analyze_table(&findings))?,
            }
            if let Some(level) = fail_on
                && findings.iter().any(|f| level.fails(f.severity))
            {
                return Ok(Outcome::Found);
            }
        }
        Command::Graph { input, format } => {
            let mesh = Mesh::new(load(&input)?);
            emit(&graph::graph(&mesh, format))?;
        }
    }
    Ok(Outcome::Done)
}
