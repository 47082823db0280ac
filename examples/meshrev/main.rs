//! The command-line face of meshrev: every command reads one snapshot file (what
//! `kubectl get ... -o yaml` printed) and prints what the library makes of it.
//!
//! ```text
//! cargo run --example meshrev -- inspect fixtures/ossm-2.6-to-3.0/01-before.yaml
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

mod explain;
mod inspect;
mod status;

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
            print!("{}", inspect::inspect(&snapshot));
        }
        Command::Status { file, format } => {
            let mesh = Mesh::new(Snapshot::from_path(&file).map_err(|e| e.to_string())?);
            let status = Status::of(&mesh);
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?
                ),
                Format::Table => print!("{}", status::status_table(&status)),
            }
        }
        Command::Explain { target, file } => {
            let mesh = Mesh::new(Snapshot::from_path(&file).map_err(|e| e.to_string())?);
            print!("{}", explain::explain(&mesh, &target)?);
        }
    }
    Ok(())
}
