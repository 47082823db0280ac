//! `meshrev-kube-executor PLAN.json --journal FILE [--apply]`: see the crate docs
//! and `--help`.

use std::process::ExitCode;

use clap::Parser;
use meshrev::exec::State;
use meshrev_kube_executor::{Options, error_chain, execute};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = Options::parse();
    let client = match kube::Client::try_default().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "meshrev-kube-executor: no cluster: {} (set KUBECONFIG or a current context, or run in a pod)",
                error_chain(&e)
            );
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    match execute(client, &options, std::time::SystemTime::now, &mut stdout).await {
        Ok((_, State::Finished)) => ExitCode::SUCCESS,
        Ok((run, State::Stopped(reason))) => {
            eprintln!("meshrev-kube-executor: stopped: {reason}");
            eprintln!(
                "meshrev-kube-executor: run the same command again to resume from {}",
                options.journal.display()
            );
            if let Some(done) = run.rollback_through() {
                eprintln!(
                    "meshrev-kube-executor: to undo steps 1 to {done} instead: meshrev plan SNAPSHOT --to {} --rollback --done {done}",
                    run.plan().target.name
                );
            }
            ExitCode::from(1)
        }
        Ok((_, _)) => {
            eprintln!("meshrev-kube-executor: the run ended while still running");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("meshrev-kube-executor: {e}");
            ExitCode::from(2)
        }
    }
}
