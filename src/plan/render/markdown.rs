//! A plan as a Markdown runbook for a change-approval ticket: scope, waves,
//! commands, checks, end state and the way back.

use super::kubectl::action_commands;
use crate::plan::{Plan, PlanError, WorkloadDisposition};

/// Escapes text for a Markdown table cell or line.
fn md(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|")
}

fn disposition(d: WorkloadDisposition) -> &'static str {
    d.describe()
}

/// The runbook. `rollback` is the plan's full rollback (or why there is none).
pub fn markdown(plan: &Plan, rollback: &Result<Plan, PlanError>) -> String {
    let mut out = String::new();
    let sources: Vec<&str> = plan.sources.iter().map(|s| s.name.as_str()).collect();
    out.push_str(&format!(
        "# Migration runbook: {} -> {}\n\n",
        md(&sources.join(", ")),
        md(&plan.target.revision)
    ));
    out.push_str(&format!(
        "- **Strategy**: `{}`: {}\n- **Target**: `{}` (revision `{}`{})\n- **Sources**: {}\n- **Steps**: {} in {} waves\n",
        plan.strategy,
        plan.strategy.summary(),
        md(&plan.target.name),
        md(&plan.target.revision),
        plan.target
            .version
            .as_deref()
            .map(|v| format!(", {}", md(v)))
            .unwrap_or_default(),
        plan.sources
            .iter()
            .map(|s| format!("`{}` ({})", md(&s.name), md(&s.control_plane.to_string())))
            .collect::<Vec<_>>()
            .join(", "),
        plan.len(),
        plan.waves.len()
    ));
    if !plan.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for n in &plan.notes {
            out.push_str(&format!("- {}\n", md(n)));
        }
    }
    out.push_str("\n## Scope\n\n| namespace | pods | injector before | plan | workloads |\n|---|---:|---|---|---|\n");
    for ns in &plan.scope.namespaces {
        let workloads: Vec<String> = ns
            .workloads
            .iter()
            .map(|w| {
                format!(
                    "{} {} ({})",
                    w.workload.kind,
                    md(&w.workload.name),
                    disposition(w.disposition)
                )
            })
            .chain(ns.others.iter().map(|o| {
                format!(
                    "{} {} ({})",
                    o.kind,
                    md(&o.name),
                    disposition(o.disposition)
                )
            }))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {:?} | {} |\n",
            md(&ns.name),
            ns.pods,
            md(ns.injector.as_deref().unwrap_or("-")),
            ns.disposition,
            workloads.join(", ")
        ));
    }
    out.push_str("\n## Waves\n");
    for wave in &plan.waves {
        out.push_str(&format!(
            "\n### Wave {} ({}){}\n\n",
            wave.number,
            wave.kind,
            if wave.namespaces.is_empty() {
                String::new()
            } else {
                format!(": {}", md(&wave.namespaces.join(", ")))
            }
        ));
        for step in &wave.steps {
            out.push_str(&format!(
                "{}. **{}**: {}\n",
                step.id,
                md(&step.action.to_string()),
                md(&step.reason)
            ));
            let commands = action_commands(&step.action);
            if !commands.is_empty() {
                out.push_str("   ```sh\n");
                for c in commands {
                    out.push_str(&format!("   {c}\n"));
                }
                out.push_str("   ```\n");
            }
            for c in &step.postconditions {
                out.push_str(&format!("   - [ ] {}\n", md(&c.to_string())));
            }
        }
    }
    out.push_str(
        "\n## End state (simulated)\n\n| namespace | injector | workloads on it |\n|---|---|---|\n",
    );
    for ns in &plan.end_state.namespaces {
        let total = ns.workloads.len();
        let on = ns
            .workloads
            .iter()
            .filter(|w| w.injector.is_some() && !w.needs_restart && !w.running.is_empty())
            .count();
        out.push_str(&format!(
            "| {} | {} | {on} of {total} |\n",
            md(&ns.name),
            md(ns.injector.as_deref().unwrap_or("-"))
        ));
    }
    out.push_str("\n## Rollback\n\n");
    match rollback {
        Ok(back) if back.is_empty() => out.push_str("Nothing to undo.\n"),
        Ok(back) => {
            out.push_str(&format!(
                "If a wave fails, undo what ran (`meshrev plan ... --rollback` renders the inverse of the whole plan; {} steps):\n\n```sh\n",
                back.len()
            ));
            for step in back.steps() {
                for c in action_commands(&step.action) {
                    out.push_str(&format!("{c}\n"));
                }
            }
            out.push_str("```\n");
        }
        Err(e) => out.push_str(&format!("{}\n", md(&e.to_string()))),
    }
    out
}
