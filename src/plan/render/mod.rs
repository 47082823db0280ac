//! Rendering a plan for people and tools: a kubectl script, JSON, YAML, and a
//! Markdown runbook for a change-approval ticket.

mod kubectl;
mod markdown;
mod shell;

pub use self::kubectl::{action_commands, kubectl, label_namespace};
pub use self::markdown::markdown;
pub use self::shell::quote;
