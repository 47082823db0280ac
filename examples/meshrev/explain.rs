//! `explain`: a resolution and the rule that decided it, as text or JSON.
//!
//! Targets: `<namespace>`, `<namespace>/<pod or workload>`, and
//! `<namespace>/<Kind>/<name>` to pick among same-named objects (`Kind` as
//! `kubectl` takes it: `Deployment`, `deployment`, `deployments`, `deploy`,
//! `sts`, `dc`, `pod`, ...). A workload that pods name as their controller but
//! the snapshot lacks is explained from its pods.

use meshrev::snapshot::{Pod, PodController, Workload, WorkloadKind};
use meshrev::status::WorkloadStatus;
use meshrev::{Mesh, Resolution, Status};
use serde_json::{Value, json};

/// What was asked about, found in the snapshot.
enum Found<'a> {
    Namespace,
    Pod(&'a Pod),
    Workload(&'a Workload),
    /// Named by its pods' owner references, not in the snapshot.
    Missing {
        kind: String,
        name: String,
    },
}

/// A `Kind` on the command line: a pod, or a workload kind.
#[derive(Clone, Copy, PartialEq)]
enum KindArg {
    Pod,
    Workload(WorkloadKind),
}

fn kind_arg(text: &str) -> Result<KindArg, String> {
    let t = text.to_ascii_lowercase();
    if matches!(t.as_str(), "pod" | "pods" | "po") {
        return Ok(KindArg::Pod);
    }
    let short = |k: WorkloadKind| match k {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::StatefulSet => "sts",
        WorkloadKind::DaemonSet => "ds",
        WorkloadKind::ReplicaSet => "rs",
        WorkloadKind::DeploymentConfig => "dc",
        WorkloadKind::ReplicationController => "rc",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cj",
    };
    WorkloadKind::ALL
        .into_iter()
        .find(|k| t == k.as_str().to_ascii_lowercase() || t == k.resource() || t == short(*k))
        .map(KindArg::Workload)
        .ok_or_else(|| {
            format!(
                "unknown kind {text:?}: expected Pod or one of {}",
                WorkloadKind::ALL.map(WorkloadKind::as_str).join(", ")
            )
        })
}

/// Finds `name` (of `kind`, when given) in namespace `ns`; more than one
/// candidate without a kind is an error that lists how to pick.
fn find<'a>(
    mesh: &'a Mesh,
    ns: &str,
    kind: Option<KindArg>,
    name: &str,
) -> Result<Found<'a>, String> {
    let s = mesh.snapshot();
    let mut found: Vec<Found<'a>> = Vec::new();
    if matches!(kind, None | Some(KindArg::Pod))
        && let Some(pod) = s.pod(ns, name)
    {
        found.push(Found::Pod(pod));
    }
    let wants = |k: WorkloadKind| match kind {
        None => true,
        Some(KindArg::Workload(want)) => want == k,
        Some(KindArg::Pod) => false,
    };
    let workloads: Vec<&Workload> = s
        .workloads()
        .filter(|w| w.namespace() == ns && w.meta.name == name && wants(w.kind))
        .collect();
    // Without a kind, a ReplicaSet (or ReplicationController, Job) under a
    // workload of the same name does not compete with it.
    let top: Vec<&Workload> = workloads
        .iter()
        .copied()
        .filter(|w| kind.is_some() || s.is_pod_owner(w))
        .collect();
    found.extend(
        if top.is_empty() { workloads } else { top }
            .into_iter()
            .map(Found::Workload),
    );
    if found.is_empty() {
        let missing = s.pods_in(ns).find_map(|p| match s.controller_of(p) {
            PodController::Missing { kind: k, name: n }
                if n == name
                    && kind.is_none_or(|want| match want {
                        KindArg::Workload(w) => w.as_str() == k,
                        KindArg::Pod => false,
                    }) =>
            {
                Some(Found::Missing { kind: k, name: n })
            }
            _ => None,
        });
        found.extend(missing);
    }
    match found.len() {
        0 => Err(format!("no pod or workload {name} in namespace {ns}")),
        1 => Ok(found.remove(0)),
        _ => {
            let picks: Vec<String> = found
                .iter()
                .map(|f| match f {
                    Found::Pod(_) => format!("{ns}/Pod/{name}"),
                    Found::Workload(w) => format!("{ns}/{}/{name}", w.kind),
                    _ => String::new(),
                })
                .collect();
            Err(format!(
                "{ns}/{name} names {} objects: pick one with {}",
                picks.len(),
                picks.join(" or ")
            ))
        }
    }
}

/// Parses the target (with `-n`, a bare name or `Kind/name` is in that namespace).
fn parse<'t>(
    target: &'t str,
    namespace: Option<&'t str>,
) -> Result<(&'t str, Option<&'t str>, Option<&'t str>), String> {
    let parts: Vec<&str> = target.split('/').collect();
    let parts = match (namespace, parts.as_slice()) {
        (Some(ns), [name]) => vec![ns, name],
        (Some(ns), [kind, name]) => vec![ns, kind, name],
        (Some(ns), [first, ..]) if *first == ns => parts,
        (Some(ns), _) => {
            return Err(format!(
                "target {target} and --namespace {ns} disagree: give one namespace"
            ));
        }
        (None, _) => parts,
    };
    match parts.as_slice() {
        [ns] if !ns.is_empty() => Ok((ns, None, None)),
        [ns, name] if !ns.is_empty() && !name.is_empty() => Ok((ns, None, Some(name))),
        [ns, kind, name] if !ns.is_empty() && !name.is_empty() => Ok((ns, Some(kind), Some(name))),
        _ => Err(format!(
            "target {target:?}: expected <namespace>, <namespace>/<name> or <namespace>/<Kind>/<name>"
        )),
    }
}

fn resolution_json(r: &Resolution) -> Value {
    json!({
        "injector": r.revision(),
        "reason": r.to_string(),
        "resolution": r,
    })
}

fn words(n: usize, word: &str) -> String {
    format!("{n} {word}{}", crate::plural(n))
}

fn running_words(running: &[meshrev::status::Running]) -> String {
    let labels: Vec<&str> = running.iter().filter_map(|r| r.label()).collect();
    if labels.is_empty() {
        "no sidecar".to_owned()
    } else {
        labels.join(", ")
    }
}

/// The explanation as text (`json == false`) or pretty JSON.
pub fn explain(
    mesh: &Mesh,
    target: &str,
    namespace: Option<&str>,
    as_json: bool,
) -> Result<String, String> {
    use std::fmt::Write;
    let s = mesh.snapshot();
    let (ns, kind, name) = parse(target, namespace)?;
    let kind = kind.map(kind_arg).transpose()?;
    let in_snapshot = s.namespace(ns).is_some();
    let holds_anything =
        s.pods_in(ns).next().is_some() || s.workloads().any(|w| w.namespace() == ns);
    if !in_snapshot && !holds_anything {
        return Err(format!(
            "namespace {ns} is not in the snapshot, and nothing in it is: check the name, or \
             add `namespaces` to the `kubectl get` (its labels decide injection)"
        ));
    }
    let found = match name {
        None => Found::Namespace,
        Some(name) => find(mesh, ns, kind, name)?,
    };
    let labels = mesh.namespace_labels(ns);
    let ns_resolution = mesh.resolve_namespace(ns);
    let status = Status::of(mesh);
    let workload_status = |kind: &str, name: &str| -> Option<WorkloadStatus> {
        status
            .namespace(ns)?
            .workloads
            .iter()
            .find(|w| w.name == name && w.kind.as_str() == kind)
            .cloned()
    };

    let mut doc = json!({
        "namespace": {
            "name": ns,
            "in_snapshot": in_snapshot,
            "labels": labels,
        },
    });
    doc["namespace"].as_object_mut().expect("an object").extend(
        resolution_json(&ns_resolution)
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );

    let mut out = String::new();
    if !in_snapshot {
        let _ = writeln!(
            out,
            "namespace {ns} is not in the snapshot (only its pods or workloads are): its labels \
             are unknown, so it is resolved with none"
        );
    }
    let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "namespace {ns} [{}]", shown.join(", "));
    let _ = writeln!(out, "  {ns_resolution}");

    let (kind_name, wname, status_row, resolution) = match found {
        Found::Namespace => return finish(as_json, doc, out),
        Found::Pod(pod) => {
            let name = &pod.meta.name;
            let (running, malformed) = meshrev::status::running_revision(pod);
            let r = mesh.resolve_pod(pod);
            let _ = writeln!(out, "pod {ns}/{name}");
            let _ = writeln!(out, "  {r}");
            let _ = writeln!(
                out,
                "  running: {}",
                running.label().unwrap_or("no sidecar")
            );
            if let Some(m) = &malformed {
                let _ = writeln!(
                    out,
                    "  sidecar.istio.io/status is not valid JSON: {}",
                    m.message
                );
            }
            let mut pod_json = json!({"name": name, "running": running});
            pod_json
                .as_object_mut()
                .expect("an object")
                .extend(resolution_json(&r).as_object().cloned().unwrap_or_default());
            doc["pod"] = pod_json;
            return finish(as_json, doc, out);
        }
        Found::Workload(w) => {
            let r = mesh.resolve_workload(w);
            let row = workload_status(w.kind.as_str(), &w.meta.name);
            (
                w.kind.as_str().to_owned(),
                w.meta.name.clone(),
                row,
                Some(r),
            )
        }
        Found::Missing { kind, name } => {
            let row = workload_status(&kind, &name);
            (kind, name, row, None)
        }
    };
    let _ = writeln!(out, "{kind_name} {ns}/{wname}");
    let mut wjson = json!({"kind": kind_name, "name": wname, "in_snapshot": resolution.is_some()});
    match &resolution {
        Some(r) => {
            let _ = writeln!(out, "  {r}");
            wjson
                .as_object_mut()
                .expect("an object")
                .extend(resolution_json(r).as_object().cloned().unwrap_or_default());
        }
        None => {
            let _ = writeln!(
                out,
                "  not in the snapshot: its pods name it as their controller, so what a new pod \
                 gets is judged from them, not from its template"
            );
        }
    }
    if let Some(w) = &status_row {
        let running = running_words(&w.running);
        let _ = writeln!(out, "  running: {running} ({})", words(w.pods, "live pod"));
        if let Some(o) = w.outdated_proxy.as_ref().filter(|_| w.needs_restart) {
            let _ = writeln!(
                out,
                "  needs a restart: its pods run {running} with proxy {}, but the revision is now at {} \
                 ({} minor versions behind; an in-place version change keeps the revision name, pods \
                 keep their proxy until recreated)",
                o.proxy, o.revision, o.minors_behind
            );
        } else if w.needs_restart {
            let _ = writeln!(
                out,
                "  needs a restart: its pods run {running}, a new pod would get {}",
                new_pod_words(&w.injector, &w.conflict, &w.rejected)
            );
            let command = w.kind.workload().map(|k| k.restart_command(ns, &wname));
            match command {
                Some(Some(cmd)) => {
                    let _ = writeln!(out, "  restart: {cmd}");
                }
                Some(None) => {
                    let _ = writeln!(
                        out,
                        "  not restartable: Job pods run to completion; the next Job gets {}",
                        new_pod_words(&w.injector, &w.conflict, &w.rejected)
                    );
                }
                None => {}
            }
        }
        wjson["status"] = serde_json::to_value(w).unwrap_or(Value::Null);
    }
    doc["workload"] = wjson;
    finish(as_json, doc, out)
}

fn finish(as_json: bool, doc: Value, text: String) -> Result<String, String> {
    if as_json {
        serde_json::to_string_pretty(&doc)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string())
    } else {
        Ok(text)
    }
}

/// What a new pod would get, in words.
fn new_pod_words(
    injector: &Option<String>,
    conflict: &[String],
    rejected: &Option<String>,
) -> String {
    match injector {
        Some(r) => r.clone(),
        None if rejected.is_some() => format!(
            "no pod at all: the API server rejects it (service {} has no istiod)",
            rejected.as_deref().unwrap_or_default()
        ),
        None if !conflict.is_empty() => {
            format!(
                "a sidecar from each of {} (double injection)",
                conflict.join(" and ")
            )
        }
        None => "no sidecar".to_owned(),
    }
}
