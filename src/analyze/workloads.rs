//! Workloads and their sidecars: pods injected by another revision than the
//! current injector (MR0005), sidecars of a revision that is gone (MR0007), and
//! the injector's record on a pod broken, missing or contradictory (MR0013 to
//! MR0015).

use std::collections::BTreeMap;

use super::{Analyzer, Code, outcome_words};
use crate::labels;
use crate::resolve::Resolution;
use crate::snapshot::ObjectRef;
use crate::snapshot::{Pod, PodController, Restart, Snapshot, WorkloadKind};
use crate::status::{self, Running, Status};

impl Analyzer<'_> {
    // --------------------------------------------------------------- restart

    pub(super) fn needs_restart(&mut self, status: &Status) {
        for (ns, w) in status.needs_restart() {
            let object = ObjectRef::new(w.kind.as_str(), Some(&ns.name), w.name.clone());
            let resolution = match w.kind.workload() {
                Some(kind) => self
                    .s
                    .workload(&ns.name, kind, &w.name)
                    .map(|wl| self.mesh.resolve_workload(wl)),
                None => self
                    .s
                    .pod(&ns.name, &w.name)
                    .map(|p| self.mesh.resolve_pod(p)),
            };
            let running: Vec<&str> = w.running.iter().filter_map(Running::revision).collect();
            let running_words = if running.is_empty() {
                "no sidecar".to_owned()
            } else {
                format!("a sidecar of {}", running.join(", "))
            };
            let injector = w.injector.as_deref();
            let kind = w.kind.workload();
            if kind.is_some_and(|k| k.restart() == Restart::NotRestartable) {
                // Jobs: no restart to offer. The pods finish; the next ones get the injector.
                let next = match injector {
                    Some(rev) => format!("a sidecar of {rev}"),
                    None => "no sidecar".to_owned(),
                };
                let missing = if w.missing {
                    " (not in the snapshot: judged from its pods)"
                } else {
                    ""
                };
                self.push(
                    Code::NeedsRestart,
                    object.clone(),
                    format!(
                        "{object}{missing} runs {running_words} ({}), but a pod created now would \
                         get {next}. Job pods run to completion and are not restarted: the \
                         running ones keep what they have, and the next Job (a CronJob's next \
                         run) gets {next}. To move it now, delete the Job and create it again",
                        pods_words(w.pods)
                    ),
                );
                continue;
            }
            // Every pod runs the injector's revision, only with an older proxy.
            if let Some(o) = &w.outdated_proxy
                && let Some(rev) = injector
                && running.iter().all(|r| *r == rev)
            {
                let cmd = restart_command(w.kind.as_str(), &ns.name, &w.name);
                self.push(
                    Code::NeedsRestart,
                    object.clone(),
                    format!(
                        "{object} runs revision {rev} ({}), which is its injector, but with proxy \
                         {} while the revision is now at {} (an in-place version change keeps the \
                         revision name; pods keep their proxy until recreated): a restart gives it \
                         the {} proxy. `{cmd}`",
                        pods_words(w.pods),
                        o.proxy,
                        o.revision,
                        o.revision
                    ),
                )
                .revisions([rev]);
                continue;
            }
            let (injector_words, effect) = match (&resolution, injector) {
                (Some(r @ Resolution::Rejected { .. }), _) => (
                    outcome_words(r),
                    "a restart now would leave it without pods: fix the webhook first".to_owned(),
                ),
                (Some(r @ Resolution::Conflict { .. }), _) => (
                    outcome_words(r),
                    "a restart now would be injected twice: fix the double injection first"
                        .to_owned(),
                ),
                (_, Some(rev)) if running.is_empty() => (
                    format!("revision {rev}"),
                    format!("a restart adds a sidecar of {rev}"),
                ),
                (_, Some(rev)) => (
                    format!("revision {rev}"),
                    format!("a restart moves it to {rev}"),
                ),
                (_, None) => (
                    "nothing".to_owned(),
                    "a restart removes its sidecar: relabel the namespace first if that is not \
                     what you want"
                        .to_owned(),
                ),
            };
            let cmd = restart_command(w.kind.as_str(), &ns.name, &w.name);
            let note = if w.kind == "Pod" {
                " (a bare pod is not recreated: apply it again)".to_owned()
            } else if w.missing {
                format!(
                    " ({object} is not in the snapshot: the injector is judged from its pods' \
                     labels, not its template)"
                )
            } else {
                String::new()
            };
            self.push(
                Code::NeedsRestart,
                object.clone(),
                format!(
                    "{object} runs {running_words} ({}), but a pod created now would be injected \
                     by {injector_words}: {effect}. `{cmd}`{note}",
                    pods_words(w.pods)
                ),
            )
            .revisions(running.iter().copied().chain(injector));
        }
    }

    /// Workloads whose proxies are more than one minor version behind their
    /// revision's version (MR0030).
    pub(super) fn proxy_version_skew(&mut self, status: &Status) {
        for ns in &status.namespaces {
            for w in &ns.workloads {
                let Some(o) = w.outdated_proxy.as_ref().filter(|o| o.minors_behind > 1) else {
                    continue;
                };
                let object = ObjectRef::new(w.kind.as_str(), Some(&ns.name), w.name.clone());
                let behind: Vec<&str> = status
                    .pods
                    .iter()
                    .filter(|p| *p.namespace == *ns.name)
                    .filter(|p| {
                        p.outdated_proxy
                            .as_ref()
                            .is_some_and(|po| po.minors_behind > 1)
                    })
                    .filter(|p| match w.kind.workload() {
                        None => *p.name == *w.name,
                        Some(_) => self.s.pod(&ns.name, &p.name).is_some_and(|pod| {
                            matches!(self.s.controller_of(pod),
                                PodController::Workload(c) if c.meta.name == w.name && c.kind.as_str() == w.kind.as_str())
                                || matches!(self.s.controller_of(pod),
                                PodController::Missing { kind, name } if name == w.name && kind == w.kind.as_str())
                        }),
                    })
                    .map(|p| &*p.name)
                    .collect();
                let rev = w.injector.as_deref().unwrap_or_default();
                let cmd = restart_command(w.kind.as_str(), &ns.name, &w.name);
                self.push(
                    Code::ProxyVersionSkew,
                    object.clone(),
                    format!(
                        "{object} runs proxy {} ({}) while revision {rev} is at {}: {} minor \
                         versions behind, a whole upgrade step without a restart. `{cmd}`",
                        o.proxy,
                        if behind.is_empty() {
                            "its pods".to_owned()
                        } else {
                            behind.join(", ")
                        },
                        o.revision,
                        o.minors_behind
                    ),
                )
                .revisions([rev]);
            }
        }
    }

    // --------------------------------------------------------- pod records

    pub(super) fn pod_records(&mut self) {
        // (object, revision) -> pods, for running-revision-gone.
        let mut gone: BTreeMap<(ObjectRef, String), Vec<String>> = BTreeMap::new();
        for pod in self.s.pods() {
            let object = pod.meta.object_ref("Pod");
            // The record was parsed once at ingest; a malformed one is reported even
            // when the `istio.io/rev` annotation decides the running revision.
            let (running, malformed) = status::running_revision(pod);
            let malformed = malformed.map(|m| m.message);
            let live = status::is_live(pod);
            if let Some(m) = &malformed {
                let then = match &running {
                    Running::Revision(r) => format!(
                        "its running revision {r} is read from the istio.io/rev annotation instead"
                    ),
                    _ => "with no istio.io/rev annotation either, its running revision is unknown"
                        .to_owned(),
                };
                self.push(
                    Code::MalformedSidecarStatus,
                    object.clone(),
                    format!(
                        "annotation sidecar.istio.io/status on {object} is not valid JSON ({}): \
                         {then}. {}",
                        m,
                        restart_hint(self.s, pod)
                    ),
                );
            } else if live && running == Running::Unknown {
                self.push(
                    Code::SidecarWithoutRecord,
                    object.clone(),
                    format!(
                        "{object} has an istio-proxy container but no istio.io/rev annotation and \
                         no sidecar.istio.io/status revision: nothing says which revision it \
                         belongs to (added by hand, or annotations stripped). {}",
                        restart_hint(self.s, pod)
                    ),
                );
            }
            if let Some((anno, st)) = record_disagreement(pod) {
                self.push(
                    Code::InjectionRecordDisagrees,
                    object.clone(),
                    format!(
                        "{object} has annotation istio.io/rev={anno} but its \
                         sidecar.istio.io/status says revision {st}: one of them was edited; \
                         meshrev and istioctl trust the annotation ({anno}). {}",
                        restart_hint(self.s, pod)
                    ),
                )
                .revisions([anno.as_str(), st.as_str()]);
            }
            if live
                && let Running::Revision(r) = &running
                && self.mesh.revision(r).is_none()
            {
                let owner = match self.s.controller_of(pod) {
                    PodController::Workload(w) => w.meta.object_ref(w.kind.as_str()),
                    PodController::Missing { kind, name } => {
                        ObjectRef::new(kind, Some(pod.namespace()), name)
                    }
                    PodController::Bare => object.clone(),
                };
                gone.entry((owner, r.to_string()))
                    .or_default()
                    .push(pod.meta.name.clone());
            }
        }
        for ((object, rev), pods) in gone {
            let ns = object.namespace.clone().unwrap_or_default();
            let target = self
                .s
                .namespace(&ns)
                .map(|_| self.mesh.resolve_namespace(&ns))
                .and_then(|r| r.revision().map(str::to_owned));
            let next = match target {
                Some(t) => format!(
                    "A restart moves it to {t}, the injector of namespace {ns}: `{}`",
                    restart_command(&object.kind, &ns, &object.name)
                ),
                None => format!(
                    "Point namespace {ns} at an existing revision first (`kubectl label namespace \
                     {ns} istio.io/rev=<revision> --overwrite`), then `{}`",
                    restart_command(&object.kind, &ns, &object.name)
                ),
            };
            self.push(
                Code::RunningRevisionGone,
                object.clone(),
                format!(
                    "{object} runs a sidecar of revision {rev} ({} pod{}: {}), which has no \
                     control plane any more (no istiod-{rev}, no webhook configuration): its \
                     proxies get no configuration or certificate updates. {next}",
                    pods.len(),
                    if pods.len() == 1 { "" } else { "s" },
                    pods.join(", ")
                ),
            )
            .revisions([rev.as_str()])
            .objects(
                pods.iter()
                    .map(|p| ObjectRef::new("Pod", Some(&ns), p.as_str())),
            );
        }
    }
}

/// `1 live pod` / `2 live pods`.
fn pods_words(n: usize) -> String {
    format!("{n} live pod{}", if n == 1 { "" } else { "s" })
}

/// The command that replaces the pods of a workload of `kind` (a workload kind,
/// `Pod` for a bare pod, or a controller kind meshrev does not read).
fn restart_command(kind: &str, ns: &str, name: &str) -> String {
    match WorkloadKind::from_kind(kind) {
        Some(k) => k.restart_command(ns, name).unwrap_or_else(|| {
            format!(
                "kubectl delete {}/{name} -n {ns}, then create it again",
                k.resource()
            )
        }),
        None if kind == "Pod" => format!("kubectl delete pod {name} -n {ns}"),
        None => format!("kubectl delete pods -n {ns} -l <the selector of {kind} {name}>"),
    }
}

fn restart_hint(s: &Snapshot, pod: &Pod) -> String {
    let ns = pod.namespace();
    match s.controller_of(pod) {
        PodController::Workload(w) => format!(
            "A restart writes a fresh record: `{}`",
            restart_command(w.kind.as_str(), ns, &w.meta.name)
        ),
        PodController::Missing { kind, name } => format!(
            "A restart of its controller (not in the snapshot) writes a fresh record: `{}`",
            restart_command(&kind, ns, &name)
        ),
        PodController::Bare => format!(
            "Recreating the pod writes a fresh record: `{}`",
            restart_command("Pod", ns, &pod.meta.name)
        ),
    }
}

/// `(annotation, status revision)` when both are present and differ.
fn record_disagreement(pod: &Pod) -> Option<(String, String)> {
    let anno = pod
        .meta
        .annotations
        .get(labels::REV)
        .filter(|r| !r.is_empty())?;
    let st = pod.sidecar_status.as_ref()?.revision()?;
    (st != anno).then(|| (anno.clone(), st.to_owned()))
}
