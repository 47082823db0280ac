//! `explain`: a resolution and the rule that decided it.

use meshrev::{Mesh, Status};

pub fn explain(mesh: &Mesh, target: &str) -> Result<String, String> {
    use std::fmt::Write;
    let s = mesh.snapshot();
    let (ns, object) = match target.split_once('/') {
        Some((ns, o)) => (ns, Some(o)),
        None => (target, None),
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
    let Some(name) = object else {
        return Ok(out);
    };
    let status = Status::of(mesh);
    if let Some(pod) = s.pod(ns, name) {
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
    let workload = s
        .workloads()
        .find(|w| {
            w.namespace() == ns
                && w.meta.name == name
                && w.kind != meshrev::snapshot::WorkloadKind::ReplicaSet
        })
        .or_else(|| {
            s.workloads()
                .find(|w| w.namespace() == ns && w.meta.name == name)
        })
        .ok_or_else(|| format!("no pod or workload {name} in namespace {ns}"))?;
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
                w.injector.as_deref().unwrap_or("no sidecar")
            );
        }
    }
    Ok(out)
}
