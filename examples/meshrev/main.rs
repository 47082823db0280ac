//! The command-line face of meshrev: every command reads a snapshot (what
//! `kubectl get ... -o yaml` printed: files, directories, or standard input) and
//! prints what the library makes of it.
//!
//! ```text
//! cargo run --example meshrev -- inspect fixtures/ossm-2.6-to-3.0/01-before.yaml
//! ```

use std::io::{BufWriter, StdoutLock, Write};
use std::process::ExitCode;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod alloc;
mod analyze;
mod exec;
mod explain;
mod filter;
mod graph;
mod inspect;
mod plan;
mod status;

use clap::{Args, Parser, Subcommand, ValueEnum};
use meshrev::analyze::Severity;
use meshrev::{Mesh, Snapshot, SnapshotBuilder, Status};

/// Exit codes, as `--help` and the README state them (grep's convention: 1 is
/// "found", 2 is "could not answer").
const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `analyze --fail-on`: no finding at or above that severity)
  1  `analyze --fail-on`: findings at or above that severity exist;
     `exec`: the run stopped (the reason is on standard error; resume with --journal)
  2  the answer could not be given: a snapshot that cannot be read or is invalid,
     a target not in the snapshot, a refused plan (the message names the object
     and the fix), or a usage error

Snapshots: files of what `kubectl get ... -o yaml` (or `-o json`) printed, gzipped
or not; directories, read recursively for *.yaml, *.yml and *.json (an
`oc adm must-gather` tree); or `-` for standard input. Recommended collection:
  mkdir cluster
  kubectl get namespaces,pods,deployments,statefulsets,daemonsets,replicasets,\\
    replicationcontrollers,jobs,cronjobs,mutatingwebhookconfigurations,configmaps \\
    -A -o yaml > cluster/core.yaml
  kubectl get smcp,smmr,smm,istio,istiorevision,istiorevisiontag,kiali,\\
    deploymentconfigs -A -o yaml > cluster/mesh.yaml   # the kinds your cluster has
  meshrev status cluster/
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revisions and their data planes, namespaces and workloads with their
    /// injector and running revisions, what needs a restart, migration progress.
    Status {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        namespaces: filter::Namespaces,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The status a saved plan (`plan --format json`) leaves: the plan is
        /// replayed on the snapshot, every step checked.
        #[arg(long, value_name = "PLAN")]
        after_plan: Option<String>,
    },
    /// Which revision injects a namespace, workload or pod, and the rule that decided.
    Explain {
        /// `<namespace>`, `<namespace>/<pod or workload>`, or
        /// `<namespace>/<Kind>/<name>` to pick among same-named objects (with
        /// `-n`, just `<name>` or `<Kind>/<name>`).
        target: String,
        #[command(flatten)]
        input: Input,
        /// The namespace of the target.
        #[arg(short = 'n', long = "namespace")]
        namespace: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Findings with stable codes: conflicting labels, dangling revisions, double
    /// injection, workloads needing a restart, unused revisions, ...
    Analyze {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        namespaces: filter::Namespaces,
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
        #[command(flatten)]
        namespaces: filter::Namespaces,
        /// Output format.
        #[arg(long, value_enum, default_value_t = graph::GraphFormat::Dot)]
        format: graph::GraphFormat,
        /// Show the mesh a saved plan (`plan --format json`) leaves: the plan
        /// is replayed on the snapshot, every step checked, before drawing.
        #[arg(long, value_name = "PLAN")]
        after_plan: Option<String>,
    },
    /// A migration plan: waves of steps (relabel, restart, move a tag, patch a
    /// version, delete the old control plane), each proven safe on the model.
    Plan {
        #[command(flatten)]
        input: Input,
        /// The revision or tag to move to (for in-place: the Istio or its revision).
        #[arg(long)]
        to: String,
        /// Source revisions (default: every other revision in use).
        #[arg(long, value_delimiter = ',')]
        from: Vec<String>,
        /// Only these namespaces (default: the sources' data planes).
        #[arg(long, value_delimiter = ',')]
        namespaces: Option<Vec<String>>,
        /// Force a strategy: canary-relabel, tag-move, in-place, revision-based,
        /// ossm-cluster-wide, ossm-default-tag, ossm-simple, ossm-multi-tenant.
        #[arg(long)]
        strategy: Option<String>,
        /// The canary namespace (default: the smallest by pods).
        #[arg(long)]
        canary: Option<String>,
        /// Namespaces per wave after the canary (default 1).
        #[arg(long)]
        batch: Option<usize>,
        /// For in-place: the version to move to (`v1.25.1`).
        #[arg(long)]
        version: Option<String>,
        /// Print the rollback instead: of the whole plan, or with `--done K` of
        /// steps 1 to K.
        #[arg(long)]
        rollback: bool,
        /// With `--rollback`: the last step that ran.
        #[arg(long, requires = "rollback")]
        done: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = plan::PlanFormat::Kubectl)]
        format: plan::PlanFormat,
    },
    /// Rehearse a saved plan (`plan --format json`) on a simulated copy of the
    /// snapshot: every step performed, verified and journaled as on a cluster.
    /// Progress as a line on a terminal, JSON lines otherwise.
    Exec {
        /// The plan file (JSON or YAML).
        plan: String,
        /// The snapshot the plan was made from.
        #[arg(long, required = true)]
        snapshot: Vec<String>,
        /// Run on the simulated cluster (the only executor of this command; see
        /// examples/kubectl_executor.rs for a real cluster).
        #[arg(long)]
        simulate: bool,
        /// Make step K fail once, to rehearse a stop and a resume.
        #[arg(long, value_name = "K")]
        fail_at: Option<usize>,
        /// Append the journal here; when the file has entries, resume from them.
        #[arg(long, value_name = "FILE")]
        journal: Option<String>,
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

/// Standard output, locked once and buffered for the whole command: output is
/// written as it is produced (JSON straight from the values), never gathered
/// into one string first.
type Out = BufWriter<StdoutLock<'static>>;

/// The system allocator with a per-thread cache of small freed blocks (see
/// `alloc.rs` for why).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: alloc::Cached = alloc::Cached;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = run(cli, &mut out).and_then(|outcome| {
        out.flush().map_err(write_failure)?;
        Ok(outcome)
    });
    match result {
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

/// The mesh a saved plan leaves (`--after-plan`), or the mesh itself. The plan
/// is replayed with every invariant checked, so a plan made for another
/// snapshot is refused at its first step that does not fit.
fn after(mesh: Mesh, plan: Option<&str>) -> Result<Mesh, Failure> {
    let Some(path) = plan else {
        return Ok(mesh);
    };
    let plan = exec::read_plan(path)?;
    meshrev::plan::simulate(&mesh, &plan).map_err(|e| {
        Failure::Message(format!(
            "{path}: the plan does not apply to this snapshot: {e}"
        ))
    })
}

/// A failed write: a closed pipe ends the command quietly.
fn write_failure(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::ClosedPipe
    } else {
        Failure::Message(format!("cannot write the output: {e}"))
    }
}

fn emit(out: &mut Out, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes()).map_err(write_failure)
}

/// Pretty JSON and a newline, serialized straight into the output.
fn emit_json(out: &mut Out, value: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| match e.io_error_kind() {
        Some(kind) => write_failure(kind.into()),
        None => Failure::Message(e.to_string()),
    })?;
    emit(out, "\n")
}

/// Leaves a large value to the process's exit instead of dropping it: freeing a
/// 100k-pod model piece by piece costs a noticeable share of a command's time,
/// and the operating system takes the memory back at once.
fn keep<T>(value: T) {
    std::mem::forget(value);
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

fn run(cli: Cli, out: &mut Out) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Inspect { input, format } => {
            let snapshot = load(&input)?;
            match format {
                Format::Json => emit_json(out, &inspect::inspect_json(&snapshot))?,
                Format::Table => emit(out, &inspect::inspect(&snapshot))?,
            }
            keep(snapshot);
        }
        Command::Plan {
            input,
            to,
            from,
            namespaces,
            strategy,
            canary,
            batch,
            version,
            rollback,
            done,
            format,
        } => {
            let mesh = Mesh::new(load(&input)?);
            let request = meshrev::plan::Request {
                target: to,
                from,
                namespaces,
                strategy: strategy.map(|s| s.parse()).transpose()?,
                canary,
                batch,
                version,
            };
            let rollback = rollback.then_some(done);
            emit(out, &plan::plan(&mesh, &request, rollback, format)?)?;
            keep(mesh);
        }
        Command::Status {
            input,
            namespaces,
            format,
            after_plan,
        } => {
            let mesh = after(Mesh::new(load(&input)?), after_plan.as_deref())?;
            let mut status = Status::of(&mesh);
            let only = namespaces.select(&mesh)?;
            if let Some(only) = &only {
                status = filter::status(&mesh, status, only);
            }
            match format {
                Format::Json => emit_json(out, &status)?,
                Format::Table => {
                    status::status_table(out, &status).map_err(write_failure)?;
                    if only.is_some() {
                        emit(
                            out,
                            "(selected namespaces only; revisions' in-use verdicts are cluster-wide)\n",
                        )?;
                    }
                }
            }
            keep((mesh, status));
        }
        Command::Explain {
            target,
            input,
            namespace,
            format,
        } => {
            let mesh = Mesh::new(load(&input)?);
            let as_json = matches!(format, Format::Json);
            emit(
                out,
                &explain::explain(&mesh, &target, namespace.as_deref(), as_json)?,
            )?;
            keep(mesh);
        }
        Command::Analyze {
            input,
            namespaces,
            format,
            fail_on,
            explain,
        } => {
            if let Some(code) = explain {
                let code: meshrev::Code = code.parse()?;
                emit(
                    out,
                    &format!("{code}: {}\n\n{}\n", code.summary(), code.explain()),
                )?;
                return Ok(Outcome::Done);
            }
            let mesh = Mesh::new(load(&input)?);
            let mut findings = meshrev::analyze(&mesh);
            if let Some(only) = namespaces.select(&mesh)? {
                let left_out;
                (findings, left_out) = filter::findings(findings, &only);
                if left_out > 0 {
                    eprintln!(
                        "meshrev: {left_out} finding{} about other namespaces or cluster-scoped \
                         objects not shown",
                        plural(left_out)
                    );
                }
            }
            match format {
                Format::Json => emit_json(out, &findings)?,
                Format::Table => emit(out, &analyze::analyze_table(&findings))?,
            }
            let found =
                fail_on.is_some_and(|level| findings.iter().any(|f| level.fails(f.severity)));
            keep((mesh, findings));
            if found {
                return Ok(Outcome::Found);
            }
        }
        Command::Graph {
            input,
            namespaces,
            format,
            after_plan,
        } => {
            let mesh = after(Mesh::new(load(&input)?), after_plan.as_deref())?;
            let mut status = Status::of(&mesh);
            if let Some(only) = namespaces.select(&mesh)? {
                status = filter::status(&mesh, status, &only);
            }
            emit(out, &graph::graph(&mesh, &status, format))?;
            keep((mesh, status));
        }
        Command::Exec {
            plan,
            snapshot,
            simulate,
            fail_at,
            journal,
        } => {
            if !simulate {
                return Err("exec runs on the simulated cluster only: add --simulate (for a real cluster, see examples/kubectl_executor.rs)".into());
            }
            let plan = exec::read_plan(&plan)?;
            let snapshot = load(&Input {
                files: snapshot,
                newest: false,
            })?;
            if !exec::exec(plan, snapshot, fail_at, journal.as_deref())? {
                return Ok(Outcome::Found);
            }
        }
    }
    Ok(Outcome::Done)
}
