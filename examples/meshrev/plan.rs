//! `meshrev plan`: a migration plan from a snapshot, as a kubectl script, JSON,
//! YAML or a Markdown runbook.

use clap::ValueEnum;
use meshrev::Mesh;
use meshrev::plan::{self, Plan, Request, StepId, render};

/// `plan --format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    /// A bash script of kubectl commands, one per line, with checks.
    Kubectl,
    /// The plan as JSON (save it, review it, run it later with an executor).
    Json,
    /// The plan as YAML.
    Yaml,
    /// A Markdown runbook for a change-approval ticket.
    Markdown,
}

/// Plans (or plans the rollback of a plan's prefix) and renders it.
pub fn plan(
    mesh: &Mesh,
    request: &Request,
    rollback: Option<Option<StepId>>,
    format: PlanFormat,
) -> Result<String, String> {
    let forward = plan::plan(mesh, request).map_err(|e| e.to_string())?;
    let shown: Plan = match rollback {
        Some(done) => forward.rollback(mesh, done).map_err(|e| e.to_string())?,
        None => forward.clone(),
    };
    Ok(match format {
        PlanFormat::Kubectl => render::kubectl(&shown),
        PlanFormat::Json => serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())? + "\n",
        PlanFormat::Yaml => serde_yaml::to_string(&shown).map_err(|e| e.to_string())?,
        PlanFormat::Markdown => {
            let back = shown.rollback(mesh, None);
            render::markdown(&shown, &back)
        }
    })
}
