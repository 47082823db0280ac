//! `inspect`: what a snapshot holds.

use meshrev::Snapshot;

pub fn inspect(s: &Snapshot) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "objects:");
    for (kind, n) in s.counts() {
        let _ = writeln!(out, "  {kind:<30} {n}");
    }
    let _ = writeln!(out, "control planes:");
    let mut any = false;
    for cp in s.control_planes() {
        any = true;
        let _ = writeln!(
            out,
            "  ServiceMeshControlPlane {}/{} version={} mode={:?}",
            cp.meta.namespace.as_deref().unwrap_or_default(),
            cp.meta.name,
            cp.version.as_deref().unwrap_or("-"),
            cp.mode
        );
    }
    for i in s.istios() {
        any = true;
        let _ = writeln!(
            out,
            "  Istio {} version={} namespace={} strategy={:?} active={}",
            i.meta.name,
            i.version.as_deref().unwrap_or("-"),
            i.namespace,
            i.update_strategy,
            i.active_revision_name.as_deref().unwrap_or("-")
        );
    }
    for r in s.istio_revisions() {
        any = true;
        let _ = writeln!(
            out,
            "  IstioRevision {} version={}",
            r.meta.name,
            r.version.as_deref().unwrap_or("-")
        );
    }
    for t in s.istio_revision_tags() {
        any = true;
        let _ = writeln!(
            out,
            "  IstioRevisionTag {} -> {:?} {}",
            t.meta.name, t.target_kind, t.target_name
        );
    }
    for d in meshrev::mesh::istiod_deployments(s) {
        any = true;
        let _ = writeln!(
            out,
            "  {} {}/{} istio.io/rev={}",
            d.kind,
            d.namespace(),
            d.meta.name,
            meshrev::mesh::istiod_revision(d)
        );
    }
    for w in s.webhook_configurations().filter(|w| {
        w.meta.labels.contains_key(meshrev::labels::REV)
            || w.meta.labels.contains_key(meshrev::labels::TAG)
    }) {
        any = true;
        let _ = writeln!(
            out,
            "  MutatingWebhookConfiguration {} ({} webhooks)",
            w.meta.name,
            w.webhooks.len()
        );
    }
    if !any {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(out, "skipped kinds:");
    if s.skipped().is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (kind, n) in s.skipped() {
        let _ = writeln!(out, "  {kind:<30} {n}");
    }
    let absent = s.absent_namespaces();
    if !absent.is_empty() {
        let _ = writeln!(
            out,
            "namespaces referenced but not in the snapshot: {}",
            absent.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    out
}

/// `inspect --format json`: the same facts as data.
pub fn inspect_json(s: &Snapshot) -> serde_json::Value {
    use serde_json::json;
    let mut control_planes = Vec::new();
    for cp in s.control_planes() {
        control_planes.push(json!({
            "kind": "ServiceMeshControlPlane",
            "namespace": cp.meta.namespace,
            "name": cp.meta.name,
            "version": cp.version,
            "mode": format!("{:?}", cp.mode),
        }));
    }
    for i in s.istios() {
        control_planes.push(json!({
            "kind": "Istio",
            "name": i.meta.name,
            "version": i.version,
            "namespace": i.namespace,
            "update_strategy": format!("{:?}", i.update_strategy),
            "active_revision": i.active_revision_name,
        }));
    }
    for r in s.istio_revisions() {
        control_planes
            .push(json!({"kind": "IstioRevision", "name": r.meta.name, "version": r.version}));
    }
    for t in s.istio_revision_tags() {
        control_planes.push(json!({
            "kind": "IstioRevisionTag",
            "name": t.meta.name,
            "target": {"kind": format!("{:?}", t.target_kind), "name": t.target_name},
        }));
    }
    for d in meshrev::mesh::istiod_deployments(s) {
        control_planes.push(json!({
            "kind": d.kind.as_str(),
            "namespace": d.namespace(),
            "name": d.meta.name,
            "revision": meshrev::mesh::istiod_revision(d),
        }));
    }
    for w in s.webhook_configurations().filter(|w| {
        w.meta.labels.contains_key(meshrev::labels::REV)
            || w.meta.labels.contains_key(meshrev::labels::TAG)
    }) {
        control_planes.push(json!({
            "kind": "MutatingWebhookConfiguration",
            "name": w.meta.name,
            "webhooks": w.webhooks.len(),
        }));
    }
    json!({
        "objects": s.counts(),
        "control_planes": control_planes,
        "skipped": s.skipped(),
        "absent_namespaces": s.absent_namespaces(),
    })
}
