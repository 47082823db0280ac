//! `status --format table`, written line by line to the output.

use std::io::{self, Write};

use meshrev::Status;

/// Rows of cells printed as left-aligned columns, each as wide as its widest cell.
fn table(out: &mut impl Write, header: &[&str], rows: Vec<Vec<String>>) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "  {}", line.join("  ").trim_end())?;
    }
    Ok(())
}

fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(",")
    }
}

/// The injector column: a revision, `conflict: a+b` (double injection),
/// `rejected` (the API server refuses new pods), or `-`.
pub fn injector_cell(
    injector: &Option<String>,
    conflict: &[String],
    rejected: &Option<String>,
) -> String {
    match injector {
        Some(r) => r.clone(),
        None if rejected.is_some() => "rejected".into(),
        None if !conflict.is_empty() => format!("conflict: {}", conflict.join("+")),
        None => "-".into(),
    }
}

pub fn status_table(out: &mut impl Write, status: &Status) -> io::Result<()> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    out.write_all("REVISIONS\n".as_bytes())?;
    table(
        out,
        &[
            "NAME",
            "FAMILY",
            "CONTROL PLANE",
            "TAGS",
            "DEFAULT",
            "IN-USE",
            "NAMESPACES",
        ],
        status
            .revisions
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    format!("{:?}", r.family),
                    r.control_plane.clone(),
                    list_or_dash(&r.tags),
                    yes_no(r.default),
                    yes_no(r.in_use),
                    list_or_dash(&r.namespaces),
                ]
            })
            .collect(),
    )?;
    out.write_all("NAMESPACES\n".as_bytes())?;
    table(
        out,
        &["NAME", "INJECTOR", "WORKLOADS", "NEEDS RESTART"],
        status
            .namespaces
            .iter()
            .map(|n| {
                vec![
                    n.name.clone(),
                    match &n.control_plane_of {
                        Some(r) => format!("{r} (own control plane: not its data plane)"),
                        None => injector_cell(&n.injector, &n.conflict, &n.rejected),
                    },
                    n.workloads.len().to_string(),
                    n.workloads
                        .iter()
                        .filter(|w| w.needs_restart)
                        .count()
                        .to_string(),
                ]
            })
            .collect(),
    )?;
    out.write_all("NEEDS RESTART\n".as_bytes())?;
    let restarts: Vec<Vec<String>> = status
        .needs_restart()
        .map(|(n, w)| {
            let running = if w.running.is_empty() {
                "no sidecar".into()
            } else {
                w.running
                    .iter()
                    .filter_map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let missing = if w.missing { " (not in snapshot)" } else { "" };
            // Same revision, older proxy (an in-place version change).
            let running = match &w.outdated_proxy {
                Some(o) => format!("{running} (proxy {} < {})", o.proxy, o.revision),
                None => running,
            };
            vec![
                format!("{}/{} {}{missing}", n.name, w.kind, w.name),
                running,
                injector_cell(&w.injector, &w.conflict, &w.rejected),
            ]
        })
        .collect();
    if restarts.is_empty() {
        out.write_all("  (none)\n".as_bytes())?;
    } else {
        table(out, &["WORKLOAD", "RUNNING", "INJECTOR"], restarts)?;
    }
    out.write_all("PROGRESS (live injected pods per running revision)\n".as_bytes())?;
    table(
        out,
        &["REVISION", "PODS", "SHARE", "WORKLOADS"],
        status
            .progress
            .iter()
            .map(|p| {
                vec![
                    p.revision.clone(),
                    p.pods.to_string(),
                    format!("{:.1}%", p.share * 100.0),
                    p.workloads.to_string(),
                ]
            })
            .collect(),
    )
}
