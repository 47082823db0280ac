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
    let n = |count: usize, word: &str| format!("{count} {word}{}", crate::plural(count));
    let _ = writeln!(
        out,
        "{}: {}, {}, {} info",
        n(findings.len(), "finding"),
        n(count(meshrev::analyze::Severity::Error), "error"),
        n(count(meshrev::analyze::Severity::Warning), "warning"),
        count(meshrev::analyze::Severity::Info)
    );
    out
}
