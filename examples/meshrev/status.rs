//! `status --format table`.

use meshrev::Status;

pub fn status_table(status: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let or_dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "REVISIONS");
    let _ = writeln!(
        out,
        "  {:<18} {:<8} {:<48} {:<16} {:<7} {:<6} NAMESPACES",
        "NAME", "FAMILY", "CONTROL PLANE", "TAGS", "DEFAULT", "IN-USE"
    );
    for r in &status.revisions {
        let _ = writeln!(
            out,
            "  {:<18} {:<8} {:<48} {:<16} {:<7} {:<6} {}",
            r.name,
            format!("{:?}", r.family),
            r.control_plane,
            if r.tags.is_empty() {
                "-".into()
            } else {
                r.tags.join(",")
            },
            if r.default { "yes" } else { "no" },
            if r.in_use { "yes" } else { "no" },
            if r.namespaces.is_empty() {
                "-".into()
            } else {
                r.namespaces.join(",")
            }
        );
    }
    let _ = writeln!(out, "NAMESPACES");
    let _ = writeln!(
        out,
        "  {:<24} {:<18} {:<10} NEEDS RESTART",
        "NAME", "INJECTOR", "WORKLOADS"
    );
    for n in &status.namespaces {
        let restart = n.workloads.iter().filter(|w| w.needs_restart).count();
        let _ = writeln!(
            out,
            "  {:<24} {:<18} {:<10} {}",
            n.name,
            or_dash(&n.injector),
            n.workloads.len(),
            restart
        );
    }
    let _ = writeln!(out, "NEEDS RESTART");
    let mut any = false;
    for (n, w) in status.needs_restart() {
        any = true;
        let _ = writeln!(
            out,
            "  {}/{} {}: running {} -> injector {}",
            n.name,
            w.kind,
            w.name,
            if w.running.is_empty() {
                "no sidecar".into()
            } else {
                w.running.join(",")
            },
            or_dash(&w.injector)
        );
    }
    if !any {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(out, "PROGRESS (live injected pods per running revision)");
    for p in &status.progress {
        let _ = writeln!(
            out,
            "  {:<18} {:>5} pods {:>5.1}%  {} workloads",
            p.revision,
            p.pods,
            p.share * 100.0,
            p.workloads
        );
    }
    out
}
