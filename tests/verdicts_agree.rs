//! `status`, `explain` and `analyze` give one verdict per namespace and workload
//! on every fixture: the injector, the revisions of a double injection, the
//! service whose absence makes the API server reject pods, or none.
//! (`explain` prints the resolution of [`Mesh::resolve_namespace`] /
//! [`Mesh::resolve_workload`]; the status reads the fast path [`Mesh::verdict`].)

use meshrev::analyze::Code;
use meshrev::{Finding, Mesh, Snapshot, Status, analyze_with_status};

mod common;

fn snapshots() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(common::fixtures_dir()).expect("fixtures/") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("fixture dir") {
            let f = f.expect("entry").path();
            let name = f.to_string_lossy().into_owned();
            if (name.ends_with(".yaml") || name.ends_with(".json"))
                && !name.ends_with(".expected.yaml")
            {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn about<'a>(
    findings: &'a [Finding],
    code: Code,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
) -> impl Iterator<Item = &'a Finding> + 'a {
    findings.iter().filter(move |f| {
        f.code == code
            && f.object.kind == kind
            && f.object.namespace.as_deref() == namespace
            && f.object.name == name
    })
}

#[test]
fn status_explain_and_analyze_agree_on_every_fixture() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in snapshots() {
        let mesh = Mesh::new(Snapshot::from_path(&path).unwrap_or_else(|e| panic!("{e}")));
        let status = Status::of(&mesh);
        let findings = analyze_with_status(&mesh, &status);
        let at = path.display();
        for ns in &status.namespaces {
            // explain <namespace>
            let explained = mesh.resolve_namespace(&ns.name);
            let v = explained.verdict();
            if ns.injector.as_deref() != v.revision()
                || ns.conflict != v.conflict()
                || ns.rejected.as_deref() != v.rejected()
            {
                problems.push(format!(
                    "{at}: namespace {}: status says {:?}/{:?}, explain says {explained}",
                    ns.name, ns.injector, ns.conflict
                ));
            }
            let double = about(
                &findings,
                Code::DoubleInjection,
                "Namespace",
                None,
                &ns.name,
            )
            .next()
            .is_some();
            if double == ns.conflict.is_empty() {
                problems.push(format!(
                    "{at}: namespace {}: status conflict {:?}, analyze double injection {double}",
                    ns.name, ns.conflict
                ));
            }
            for w in &ns.workloads {
                checked += 1;
                let object = format!("{}/{}/{}", w.kind, ns.name, w.name);
                // explain <namespace>/<workload>: the template's resolution, or the
                // bare pod's; a missing workload is judged from its pods only.
                let explained = match w.kind.workload() {
                    _ if w.missing => None,
                    Some(kind) => mesh
                        .snapshot()
                        .workload(&ns.name, kind, &w.name)
                        .map(|wl| mesh.resolve_workload(wl)),
                    None => mesh
                        .snapshot()
                        .pod(&ns.name, &w.name)
                        .map(|p| mesh.resolve_pod(p)),
                };
                if let Some(r) = &explained {
                    let v = r.verdict();
                    if w.injector.as_deref() != v.revision()
                        || w.conflict != v.conflict()
                        || w.rejected.as_deref() != v.rejected()
                    {
                        problems.push(format!(
                            "{at}: {object}: status says {:?}/{:?}, explain says {r}",
                            w.injector, w.conflict
                        ));
                    }
                }
                // analyze: a double injection is reported on the workload, or on its
                // namespace when the two conflict alike; never on a workload that
                // one revision (or none) injects.
                let on_workload: Vec<&Finding> = about(
                    &findings,
                    Code::DoubleInjection,
                    w.kind.as_str(),
                    Some(&ns.name),
                    &w.name,
                )
                .collect();
                if w.conflict.is_empty() {
                    if !on_workload.is_empty() {
                        problems.push(format!(
                            "{at}: {object}: analyze reports double injection, status {:?}",
                            w.injector
                        ));
                    }
                } else {
                    let named = |f: &&Finding| w.conflict.iter().all(|r| f.message.contains(r));
                    let covered = on_workload.iter().any(named)
                        || (ns.conflict == w.conflict
                            && about(
                                &findings,
                                Code::DoubleInjection,
                                "Namespace",
                                None,
                                &ns.name,
                            )
                            .any(|f| named(&f)));
                    if !covered {
                        problems.push(format!(
                            "{at}: {object}: status conflict {:?}, analyze reports none",
                            w.conflict
                        ));
                    }
                }
                // analyze: rejected pods are reported on the workload or its namespace.
                if let Some(service) = &w.rejected {
                    let named = |f: &Finding| f.message.contains(service.as_str());
                    let covered = about(
                        &findings,
                        Code::PodsRejected,
                        w.kind.as_str(),
                        Some(&ns.name),
                        &w.name,
                    )
                    .any(named)
                        || (ns.rejected.as_ref() == Some(service)
                            && about(&findings, Code::PodsRejected, "Namespace", None, &ns.name)
                                .any(named));
                    if !covered {
                        problems.push(format!(
                            "{at}: {object}: status rejected by {service}, analyze reports none"
                        ));
                    }
                } else if about(
                    &findings,
                    Code::PodsRejected,
                    w.kind.as_str(),
                    Some(&ns.name),
                    &w.name,
                )
                .next()
                .is_some()
                {
                    problems.push(format!(
                        "{at}: {object}: analyze says rejected, status does not"
                    ));
                }
                // analyze's restart advice names the same injector as status.
                let restart: Vec<&Finding> = about(
                    &findings,
                    Code::NeedsRestart,
                    w.kind.as_str(),
                    Some(&ns.name),
                    &w.name,
                )
                .collect();
                if w.needs_restart == restart.is_empty() {
                    problems.push(format!(
                        "{at}: {object}: status needs_restart {}, analyze {} restart findings",
                        w.needs_restart,
                        restart.len()
                    ));
                }
                let words = match (&w.injector, w.conflict.as_slice()) {
                    (Some(r), _) => format!("revision {r}"),
                    (None, _) if w.rejected.is_some() => "the API server rejects it".to_owned(),
                    (None, []) => String::new(),
                    (None, c) => format!("several revisions ({})", c.join(", ")),
                };
                if let Some(f) = restart.first()
                    && !f.message.contains(&words)
                {
                    problems.push(format!(
                        "{at}: {object}: status injector {words:?}, analyze says: {}",
                        f.message
                    ));
                }
            }
        }
    }
    assert!(checked > 100, "checked only {checked} workloads");
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
