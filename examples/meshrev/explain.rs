//! `explain`: a resolution and the rule that decided it.

use meshrev::snapshot::Target;
use meshrev::{Mesh, Status};

pub fn explain(mesh: &Mesh, target: &str) -> Result<String, String> {
    use std::fmt::Write;
    let s = mesh.snapshot();
    let found = s
        .find_target(target)
        .ok_or_else(|| match target.split_once('/') {
            Some((ns, name)) => format!("no pod or workload {name} in namespace {ns}"),
            None => format!("nothing named {target}"),
        })?;
    let ns = match found {
        Target::Namespace(ns) => ns,
        Target::Pod(p) => p.namespace(),
        Target::Workload(w) => w.namespace(),
    };
    let mut out = String::new();
    let labels = mesh.namespace_labels(ns);
    if s.namespace(ns).is_none() {
        let _ = writeln!(
            out,
            "namespace {ns} is not in the snapshot; resolving with no labels"
        );
    }
    let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "namespace {ns} [{}]", shown.join(", "));
    let _ = writeln!(out, "  {}", mesh.resolve_namespace(ns));
    let workload = match found {
        Target::Namespace(_) => return Ok(out),
        Target::Workload(w) => w,
        Target::Pod(pod) => {
            let name = &pod.meta.name;
            let (running, malformed) = meshrev::status::running_revision(pod);
            let _ = writeln!(out, "pod {ns}/{name}");
            let _ = writeln!(out, "  {}", mesh.resolve_pod(pod));
            let _ = writeln!(
                out,
                "  running: {}",
                running.as_str().unwrap_or("no sidecar")
            );
            if let Some(m) = malformed {
                let _ = writeln!(
                    out,
                    "  sidecar.istio.io/status is not valid JSON: {}",
                    m.message
                );
            }
            return Ok(out);
        }
    };
    let name = workload.meta.name.as_str();
    let status = Status::of(mesh);
    let _ = writeln!(out, "{} {ns}/{name}", workload.kind);
    let _ = writeln!(out, "  {}", mesh.resolve_workload(workload));
    if let Some(w) = status.namespace(ns).and_then(|n| {
        n.workloads
            .iter()
            .find(|w| w.name == name && w.kind == workload.kind.as_str())
    }) {
        let running = if w.running.is_empty() {
            "no sidecar".to_owned()
        } else {
            w.running.join(", ")
        };
        let _ = writeln!(out, "  running: {running} ({} live pods)", w.pods);
        if w.needs_restart {
            let _ = writeln!(
                out,
                "  needs a restart: its pods run {running}, a new pod would get {}",
                new_pod_words(&w.injector, &w.conflict)
            );
        }
    }
    Ok(out)
}

/// What a new pod would get, in words.
fn new_pod_words(injector: &Option<String>, conflict: &[String]) -> String {
    match injector {
        Some(r) => r.clone(),
        None if !conflict.is_empty() => {
            format!(
                "a sidecar from each of {} (double injection)",
                conflict.join(" and ")
            )
        }
        None => "no sidecar".to_owned(),
    }
}
