//! `analyze`: findings with stable codes.

use meshrev::analyze::Finding;

/// One finding a line: `severity[CODE slug] Object: message`, then a count line.
pub fn analyze_table(findings: &[Finding]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(out, "{f}");
    }
    let count = |s: meshrev::analyze::Severity| findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{} findings: {} errors, {} warnings, {} info",
        findings.len(),
        count(meshrev::analyze::Severity::Error),
        count(meshrev::analyze::Severity::Warning),
        count(meshrev::analyze::Severity::Info)
    );
    out
}
