//! The planner: from a mesh and a request to a plan, built by simulation. Each
//! step is applied to a copy of the mesh as soon as it is planned, so the next
//! decision (which workloads need a restart after this relabel?) is read off the
//! model, and every invariant is checked as the plan grows.

use std::collections::{BTreeMap, BTreeSet};

use super::check::Check;
use super::end_state::EndState;
use super::error::{PlanError, Violation};
use super::request::Request;
use super::scope::{
    NamespaceDisposition, NamespaceScope, OtherScope, Scope, WorkloadDisposition, WorkloadScope,
};
use super::simulate::Simulation;
use super::step::{Step, StepAction};
use super::strategy::Strategy;
use super::target::{self, IGNORE, Route};
use super::waves::waves;
use super::{Plan, Wave, WaveKind};
use crate::error::ObjectRef;
use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh, Revision, Via};
use crate::resolve::Resolution;
use crate::snapshot::{Restart, TagTargetKind, WorkloadId, WorkloadKind};
use crate::status::{Kind, Running, Status, WorkloadStatus, is_live, running_name};

/// Plans a migration: target, sources and strategy from the request and the mesh,
/// then waves of steps, each proven on a copy of the mesh.
///
/// ```
/// use meshrev::plan::{self, Request, StepAction};
/// use meshrev::{Mesh, Snapshot};
///
/// let mesh = Mesh::new(Snapshot::from_path("fixtures/ossm-2.6-to-3.0/01-before.yaml")?);
/// let plan = plan::plan(&mesh, &Request::to("ossm3"))?;
/// assert_eq!(plan.strategy, plan::Strategy::OssmClusterWide);
/// // The last step deletes the 2.6 control plane, once nothing runs on it.
/// let last = plan.steps().last().unwrap();
/// assert!(matches!(&last.action, StepAction::Delete { object } if object.kind == "ServiceMeshControlPlane"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(mesh: &Mesh, request: &Request) -> Result<Plan, PlanError> {
    if let Some(plan) = super::version_upgrade::plan(mesh, request)? {
        return Ok(plan);
    }
    let route = target::route(mesh, request)?;
    let target_rev = mesh
        .revision(&route.target.revision)
        .cloned()
        .ok_or_else(|| PlanError::UnknownTarget {
            name: route.target.name.clone(),
            revisions: Vec::new(),
            tags: Vec::new(),
        })?;
    let discovery = match route.strategy {
        Strategy::OssmMultiTenant => target::discovery_labels(&target_rev).unwrap_or_default(),
        _ => Labels::new(),
    };
    let mut b = Builder {
        mesh,
        sim: Simulation::new(mesh, discovery.keys().cloned()),
        route: &route,
        target_rev: &target_rev,
        discovery,
        next_id: 1,
        waves: Vec::new(),
        notes: Vec::new(),
    };
    if route.strategy.is_ossm_migration() {
        b.note_unstated_smcp_settings();
    }
    let in_scope = b.scope_namespaces(request);
    let before = Status::namespaces_only(mesh, in_scope.iter().map(String::as_str));
    b.preflight_namespaces(&in_scope)?;

    b.prepare()?;
    // Namespaces already on the target need nothing: skipped, and said so.
    let mut scope_entries = Vec::new();
    let mut to_move = Vec::new();
    for ns in &before.namespaces {
        let pods = ns.workloads.iter().map(|w| w.pods).sum();
        let needs = b.needs_moving(&ns.name);
        scope_entries.push(NamespaceScope {
            name: ns.name.clone(),
            injector: ns.injector.clone(),
            disposition: if needs {
                NamespaceDisposition::Migrate
            } else {
                NamespaceDisposition::AlreadyOnTarget
            },
            pods,
            workloads: Vec::new(),
            others: Vec::new(),
        });
        if needs {
            to_move.push((ns.name.clone(), pods));
        } else {
            b.notes.push(format!(
                "namespace {} is already on {}: skipped",
                ns.name, route.target.revision
            ));
        }
    }
    let groups = waves(&to_move, request.canary.as_deref(), request.batch)?;
    let mut dispositions: BTreeMap<String, (Vec<WorkloadScope>, Vec<OtherScope>)> = BTreeMap::new();
    for (i, group) in groups.iter().enumerate() {
        let kind = if i == 0 {
            WaveKind::Canary
        } else {
            WaveKind::Batch
        };
        let mut steps = Vec::new();
        for ns in group {
            let change = b.first_pass_labels(ns);
            let moved = b.move_namespace(&mut steps, ns, change, &before)?;
            dispositions.insert(ns.clone(), moved);
        }
        b.waves.push((kind, group.clone(), steps));
    }
    if route.strategy == Strategy::OssmDefaultTag && !groups.is_empty() {
        b.default_tag_pass(&groups, &before)?;
    }
    b.cleanup()?;

    for entry in &mut scope_entries {
        match dispositions.remove(&entry.name) {
            Some((workloads, others)) => {
                entry.workloads = workloads;
                entry.others = others;
            }
            None => {
                entry.workloads =
                    before_workloads(&before, &entry.name, WorkloadDisposition::AlreadyOnTarget);
            }
        }
    }
    let Builder {
        sim,
        waves: built,
        mut notes,
        discovery,
        ..
    } = b;
    // A namespace moved twice (the default-tag variant) reports its workloads once.
    let mut seen = BTreeSet::new();
    notes.retain(|n| seen.insert(n.clone()));
    // An empty plan says why, so that "0 steps" is never mistaken for a failure
    // to plan.
    if built.is_empty() && notes.is_empty() {
        notes.push(format!(
            "nothing to do: no namespace in scope is injected by, or runs pods of, a revision other than {}",
            route.target.revision
        ));
    }
    let end_state = EndState::of(sim.mesh(), in_scope.iter().map(String::as_str));
    Ok(Plan {
        target: route.target.clone(),
        strategy: route.strategy,
        sources: route.sources.clone(),
        scope: Scope {
            explicit: request.namespaces.is_some(),
            namespaces: scope_entries,
        },
        waves: built
            .into_iter()
            .enumerate()
            .map(|(i, (kind, namespaces, steps))| Wave {
                number: i + 1,
                kind,
                namespaces,
                steps,
            })
            .collect(),
        end_state,
        discovery_labels: discovery,
        notes,
    })
}

/// What pods run, as the status JSON names it (`unknown` for a sidecar with no record).
fn labels_of(running: &[Running]) -> Vec<String> {
    running
        .iter()
        .filter_map(|r| r.label().map(str::to_owned))
        .collect()
}

/// `basic`, `basic, ossm3`, or `no sidecar`.
fn runs_text(running: &[String]) -> String {
    if running.is_empty() {
        "no sidecar".to_owned()
    } else {
        running.join(", ")
    }
}

fn before_workloads(
    before: &Status,
    ns: &str,
    disposition: WorkloadDisposition,
) -> Vec<WorkloadScope> {
    before
        .namespace(ns)
        .into_iter()
        .flat_map(|n| &n.workloads)
        .filter_map(|w| {
            let kind = w.kind.workload();
            Some(WorkloadScope {
                workload: WorkloadId::new(ns, kind?, w.name.clone()),
                pods: w.pods,
                running: labels_of(&w.running),
                disposition,
                template_labels: Labels::new(),
            })
        })
        .collect()
}

struct Builder<'a> {
    mesh: &'a Mesh,
    sim: Simulation,
    route: &'a Route,
    target_rev: &'a Revision,
    /// Labels the target's discoverySelectors need (MultiTenant's tenant label).
    discovery: Labels,
    next_id: usize,
    waves: Vec<(WaveKind, Vec<String>, Vec<Step>)>,
    notes: Vec<String>,
}

/// Label changes for one namespace: set, then remove.
type Change = (Labels, BTreeSet<String>);

impl Builder<'_> {
    fn target(&self) -> &str {
        &self.route.target.revision
    }

    fn is_source(&self, revision: &str) -> bool {
        self.route.sources.iter().any(|s| s.name == revision)
    }

    /// Applies a step to the simulation and appends it.
    fn push(
        &mut self,
        steps: &mut Vec<Step>,
        action: StepAction,
        reason: String,
        preconditions: Vec<Check>,
        postconditions: Vec<Check>,
    ) -> Result<(), PlanError> {
        let step = Step {
            id: self.next_id,
            action,
            reason,
            preconditions,
            postconditions,
        };
        self.sim.step(&step)?;
        self.next_id += 1;
        steps.push(step);
        Ok(())
    }

    /// Notes each source SMCP that leaves gateway or addon settings to its
    /// profile: the migration guide requires gateways and addons disabled
    /// first, and an unstated setting is enabled by the v2.6 `base` profile
    /// (maistra/istio-operator `resources/smcp-templates/v2.6/base`), so the
    /// operator must check what was applied. A note, not a refusal: only
    /// settings the SMCP states are known to the model (those it enables are
    /// refused, [`PlanError::SmcpFeaturesEnabled`]).
    fn note_unstated_smcp_settings(&mut self) {
        for source in &self.route.sources {
            let cp = &source.control_plane;
            if cp.kind != "ServiceMeshControlPlane" {
                continue;
            }
            let Some(smcp) = self.mesh.snapshot().control_planes().find(|c| {
                c.meta.name == cp.name && c.meta.namespace.as_deref() == cp.namespace.as_deref()
            }) else {
                continue;
            };
            if smcp.unstated_features.is_empty() {
                continue;
            }
            let ns = cp.namespace.as_deref().unwrap_or_default();
            self.notes.push(format!(
                "{cp} does not state {}: its profile's defaults apply, and the v2.6 base profile enables gateways and the prometheus, grafana and kiali addons; the migration requires gateways and addons disabled, so check the applied spec (oc get smcp {} -n {ns} -o jsonpath='{{.status.appliedSpec}}') and set them to false before the first step",
                smcp.unstated_features.join(", "),
                cp.name
            ));
        }
    }

    /// The namespaces the plan covers: the caller's list, or every namespace a
    /// source revision injects or runs pods in (a Maistra control plane's own
    /// namespace aside).
    fn scope_namespaces(&self, request: &Request) -> Vec<String> {
        if let Some(list) = &request.namespaces {
            let set: BTreeSet<String> = list.iter().cloned().collect();
            return set.into_iter().collect();
        }
        let s = self.mesh.snapshot();
        let mut set = BTreeSet::new();
        for ns in s.namespaces() {
            let name = ns.name();
            if let Some(r) = self.mesh.resolve_namespace(name).revision()
                && self.is_source(r)
                && !target::is_own_namespace(self.mesh, r, name)
            {
                set.insert(name.to_owned());
            }
        }
        for pod in s.pods().filter(|p| is_live(p)) {
            // A namespace is named once, not once a pod (100,000 pods).
            if !set.contains(pod.namespace())
                && let Some(r) = running_name(pod)
                && self.is_source(r)
                && !target::is_own_namespace(self.mesh, r, pod.namespace())
            {
                set.insert(pod.namespace().to_owned());
            }
        }
        set.into_iter().collect()
    }

    /// Refusals about namespaces: the target's istiod must discover each one.
    fn preflight_namespaces(&self, namespaces: &[String]) -> Result<(), PlanError> {
        for ns in namespaces {
            if !target::discovered_with(self.mesh, self.target_rev, ns, &self.discovery) {
                return Err(PlanError::NotDiscovered {
                    namespace: ns.clone(),
                    revision: self.target_rev.name.clone(),
                    selectors: target::selectors_text(self.target_rev),
                });
            }
        }
        Ok(())
    }

    /// Whether a namespace has anything left to do: labels to change, or a live
    /// pod not on the target that a restart would move.
    fn needs_moving(&self, ns: &str) -> bool {
        if self.route.strategy == Strategy::InPlace {
            return self
                .mesh
                .snapshot()
                .pods_in(ns)
                .any(|p| is_live(p) && running_name(p) == Some(self.target()));
        }
        let (set, remove) = self.first_pass_labels(ns);
        let labels = self
            .mesh
            .snapshot()
            .namespace(ns)
            .map(|n| n.meta.labels.clone())
            .unwrap_or_default();
        let relabel = set.iter().any(|(k, v)| labels.get(k) != Some(v))
            || remove.iter().any(|k| labels.contains_key(k));
        relabel
            || self
                .mesh
                .snapshot()
                .pods_in(ns)
                .any(|p| is_live(p) && running_name(p).is_some_and(|r| r != self.target()))
            || self.mesh.resolve_namespace(ns).revision() != Some(self.target())
    }

    /// The label changes the strategy makes to a namespace on its (first) move.
    fn first_pass_labels(&self, ns: &str) -> Change {
        let labels = self
            .mesh
            .snapshot()
            .namespace(ns)
            .map(|n| n.meta.labels.clone())
            .unwrap_or_default();
        let name = self.route.target.name.clone();
        let mut set = Labels::new();
        let mut remove = BTreeSet::new();
        let drop_injection = |remove: &mut BTreeSet<String>| {
            if labels.contains_key(labels::INJECTION) {
                remove.insert(labels::INJECTION.to_owned());
            }
        };
        match self.route.strategy {
            Strategy::CanaryRelabel => {
                set.insert(labels::REV.to_owned(), name);
                drop_injection(&mut remove);
            }
            Strategy::TagMove | Strategy::InPlace => {}
            Strategy::RevisionBased => {
                // Only namespaces pinned to an old revision's own name move by label;
                // those following a tag that targets the Istio only restart.
                if let Resolution::Injected {
                    revision,
                    via: Via::Direct,
                    ..
                } = self.mesh.resolve_namespace(ns)
                    && self.is_source(&revision)
                {
                    set.insert(labels::REV.to_owned(), name);
                    drop_injection(&mut remove);
                }
            }
            Strategy::OssmClusterWide | Strategy::OssmDefaultTag => {
                set.insert(IGNORE.to_owned(), "true".to_owned());
                set.insert(labels::REV.to_owned(), name);
                drop_injection(&mut remove);
            }
            Strategy::OssmSimple => {
                set.insert(IGNORE.to_owned(), "true".to_owned());
            }
            Strategy::OssmMultiTenant => {
                set.extend(self.discovery.clone());
                set.insert(labels::REV.to_owned(), name);
                set.insert(IGNORE.to_owned(), "true".to_owned());
            }
        }
        // Only what differs is sent.
        set.retain(|k, v| labels.get(k) != Some(v));
        (set, remove)
    }

    /// Cluster-wide steps before any namespace moves.
    fn prepare(&mut self) -> Result<(), PlanError> {
        let mut steps = Vec::new();
        match self.route.strategy {
            Strategy::InPlace => {
                let istio = self.route.istio.as_ref().map(|i| i.meta.name.clone());
                let version = self.route.target.version.clone();
                if let (Some(istio), Some(version)) = (istio, version) {
                    let current = self
                        .mesh
                        .snapshot()
                        .istios()
                        .find(|i| i.meta.name == istio)
                        .and_then(|i| i.version.clone());
                    if current.as_deref() != Some(version.as_str()) {
                        self.push(
                            &mut steps,
                            StepAction::SetIstioVersion {
                                istio: istio.clone(),
                                version: version.clone(),
                            },
                            format!(
                                "InPlace upgrade: the Sail operator rolls istiod {} to {version}; the webhooks keep their name",
                                self.target()
                            ),
                            vec![Check::IstioVersion {
                                istio: istio.clone(),
                                version: current,
                            }],
                            vec![
                                Check::IstioVersion {
                                    istio,
                                    version: Some(version),
                                },
                                Check::RevisionExists {
                                    revision: self.target().to_owned(),
                                },
                            ],
                        )?;
                    }
                }
            }
            Strategy::TagMove => {
                let tags: Vec<(String, String)> = self
                    .mesh
                    .tags()
                    .filter_map(|t| {
                        let r = t.revision.as_deref()?;
                        self.is_source(r).then(|| (t.name.clone(), r.to_owned()))
                    })
                    .collect();
                for (tag, old) in tags {
                    let sail = self
                        .mesh
                        .tag(&tag)
                        .is_some_and(|t| t.source.kind == "IstioRevisionTag");
                    let action = if sail {
                        StepAction::RetargetSailTag {
                            tag: tag.clone(),
                            kind: TagTargetKind::IstioRevision,
                            name: self.target().to_owned(),
                        }
                    } else {
                        StepAction::MoveTag {
                            tag: tag.clone(),
                            revision: self.target().to_owned(),
                        }
                    };
                    self.push(
                        &mut steps,
                        action,
                        format!(
                            "namespaces labelled with tag {tag} follow it: moving it from {old} to {} moves their injector without a relabel",
                            self.target()
                        ),
                        vec![Check::TagTarget {
                            tag: tag.clone(),
                            revision: Some(old),
                        }],
                        vec![Check::TagTarget {
                            tag,
                            revision: Some(self.target().to_owned()),
                        }],
                    )?;
                }
            }
            _ => {}
        }
        if !steps.is_empty() {
            self.waves.push((WaveKind::Prepare, Vec::new(), steps));
        }
        Ok(())
    }

    /// One namespace: the label step, the template patches and restarts the new
    /// labels call for, then the verification. Returns what happened to each
    /// workload, and the pods no workload meshrev reads owns.
    fn move_namespace(
        &mut self,
        steps: &mut Vec<Step>,
        ns: &str,
        (set, remove): Change,
        before: &Status,
    ) -> Result<(Vec<WorkloadScope>, Vec<OtherScope>), PlanError> {
        let target = self.target().to_owned();
        if !set.is_empty() || !remove.is_empty() {
            let current = self
                .sim
                .mesh()
                .snapshot()
                .namespace(ns)
                .map(|n| n.meta.labels.clone())
                .unwrap_or_default();
            let keys: BTreeSet<&String> = set.keys().chain(&remove).collect();
            let pre_labels = keys
                .iter()
                .map(|k| ((*k).clone(), current.get(*k).cloned()))
                .collect();
            let post_labels = keys
                .iter()
                .map(|k| ((*k).clone(), set.get(*k).cloned()))
                .collect();
            let injector_before = self
                .sim
                .mesh()
                .resolve_namespace(ns)
                .revision()
                .map(str::to_owned);
            let reason = self.label_reason(ns, injector_before.as_deref());
            self.push(
                steps,
                StepAction::LabelNamespace {
                    namespace: ns.to_owned(),
                    set,
                    remove,
                },
                reason,
                vec![
                    Check::NamespaceLabels {
                        namespace: ns.to_owned(),
                        labels: pre_labels,
                    },
                    Check::NamespaceInjector {
                        namespace: ns.to_owned(),
                        revision: injector_before,
                    },
                ],
                vec![
                    Check::NamespaceLabels {
                        namespace: ns.to_owned(),
                        labels: post_labels,
                    },
                    Check::NamespaceInjector {
                        namespace: ns.to_owned(),
                        revision: Some(target.clone()),
                    },
                ],
            )?;
        }
        let now = Status::namespaces_only(self.sim.mesh(), [ns]);
        let mut out = Vec::new();
        let mut others = Vec::new();
        let mut moved = Vec::new();
        let workloads: Vec<WorkloadStatus> = now
            .namespaces
            .into_iter()
            .flat_map(|n| n.workloads)
            .collect();
        let before_ns = before.namespace(ns);
        for w in workloads {
            let running_before = before_ns
                .and_then(|n| {
                    n.workloads
                        .iter()
                        .find(|b| b.kind == w.kind && b.name == w.name)
                })
                .map(|b| b.running.clone())
                .unwrap_or_else(|| w.running.clone());
            let running_before = labels_of(&running_before);
            let Some(kind) = w.kind.workload() else {
                let disposition = self.report_other(ns, &w, &running_before);
                others.push(OtherScope {
                    kind: w.kind.clone(),
                    name: w.name.clone(),
                    pods: w.pods,
                    running: running_before,
                    disposition,
                });
                continue;
            };
            let id = WorkloadId::new(ns, kind, w.name.clone());
            let disposition = if w.missing {
                self.report_missing(&id, &w, &running_before);
                WorkloadDisposition::NotInSnapshot
            } else {
                self.restart_workload(steps, &id, &w, &running_before)?
            };
            if disposition.moves() {
                moved.push(id.clone());
            }
            let template_labels = self
                .mesh
                .snapshot()
                .workload(ns, kind, &w.name)
                .map(|w| w.template.labels.clone())
                .unwrap_or_default();
            out.push(WorkloadScope {
                workload: id,
                pods: w.pods,
                running: running_before,
                disposition,
                template_labels,
            });
        }
        // The injector the moved namespace has (none where pods opt in one by one).
        let injector = self
            .sim
            .mesh()
            .resolve_namespace(ns)
            .revision()
            .map(str::to_owned);
        let reason = match &injector {
            Some(r) => format!(
                "namespace {ns} must be injected by {r} and every moved workload run {target} before the next namespace"
            ),
            None => format!(
                "namespace {ns} has no injector of its own (its pods opt in one by one): every moved workload must run {target} before the next namespace"
            ),
        };
        let mut post = vec![Check::NamespaceInjector {
            namespace: ns.to_owned(),
            revision: injector,
        }];
        post.extend(moved.into_iter().map(|w| Check::WorkloadRunning {
            workload: w,
            revision: Some(target.clone()),
        }));
        self.push(
            steps,
            StepAction::Verify {
                namespace: ns.to_owned(),
            },
            reason,
            Vec::new(),
            post,
        )?;
        Ok((out, others))
    }

    /// Reports pods no workload meshrev reads owns (a bare pod, or a controller of
    /// another kind): nothing the plan can roll. Noted when they need moving.
    fn report_other(
        &mut self,
        ns: &str,
        w: &WorkloadStatus,
        running: &[String],
    ) -> WorkloadDisposition {
        let target = self.target().to_owned();
        let runs = runs_text(running);
        match &w.kind {
            Kind::BarePod => {
                if w.needs_restart {
                    self.notes.push(format!(
                        "pod {ns}/{} has no controller and is not restarted by the plan: it runs {runs}, and nothing re-creates it if deleted; re-create it from its manifest (kubectl delete pod -n {ns} {}, then apply it again) to move it to {target}",
                        w.name, w.name
                    ));
                }
                WorkloadDisposition::RecreateByHand
            }
            other => {
                if w.needs_restart {
                    self.notes.push(format!(
                        "{other} {ns}/{} (a controller meshrev does not read) is not restarted by the plan: its pods run {runs}; restart it with its own tooling to move it to {target}",
                        w.name
                    ));
                }
                WorkloadDisposition::NotInSnapshot
            }
        }
    }

    /// Reports a workload its pods name as their controller but the snapshot
    /// lacks: what a restart would give cannot be known without its template.
    fn report_missing(&mut self, id: &WorkloadId, w: &WorkloadStatus, running: &[String]) {
        if w.needs_restart {
            self.notes.push(format!(
                "{id} is not in the snapshot (its pods name it as their controller) and is not restarted by the plan: its pods run {}; add `{}` to the `kubectl get` and plan again",
                runs_text(running),
                id.kind.resource()
            ));
        }
    }

    fn label_reason(&self, ns: &str, before: Option<&str>) -> String {
        let target = self.target();
        let from = before.unwrap_or("no revision");
        match self.route.strategy {
            Strategy::OssmClusterWide | Strategy::OssmDefaultTag => format!(
                "move {ns} from {from} to {target}: maistra.io/ignore-namespace stops the 2.6 webhook, istio.io/rev selects {target}"
            ),
            Strategy::OssmSimple => format!(
                "move {ns} from {from} to {target}: maistra.io/ignore-namespace stops the 2.6 webhook, istio-injection=enabled then reaches the default revision {target}"
            ),
            Strategy::OssmMultiTenant => format!(
                "move {ns} from {from} to {target}: the tenant label puts it inside {target}'s discoverySelectors, istio.io/rev selects {target}, maistra.io/ignore-namespace stops the 2.6 webhook"
            ),
            _ => format!(
                "move {ns} from {from} to {target}: istio.io/rev selects {}",
                self.route.target.name
            ),
        }
    }

    /// Decides and plans what a workload needs once its namespace is relabelled.
    fn restart_workload(
        &mut self,
        steps: &mut Vec<Step>,
        id: &WorkloadId,
        w: &WorkloadStatus,
        running_before: &[String],
    ) -> Result<WorkloadDisposition, PlanError> {
        let target = self.target().to_owned();
        let workload = self
            .sim
            .mesh()
            .snapshot()
            .workload(&id.namespace, id.kind, &id.name)
            .cloned();
        if workload.as_ref().is_some_and(|w| w.template.host_network) {
            return Ok(WorkloadDisposition::HostNetwork);
        }
        match id.kind.restart() {
            Restart::RolloutRestart | Restart::RolloutLatest => {}
            Restart::NotRestartable => {
                if w.needs_restart {
                    self.notes.push(format!(
                        "{id} is not restarted by the plan: its pods run to completion (they run {} until they finish); its next run is injected by {target}",
                        runs_text(running_before)
                    ));
                }
                return Ok(WorkloadDisposition::RunsToCompletion);
            }
            Restart::DeletePods => {
                if w.needs_restart {
                    let above = id.kind.parent().map_or("controller", WorkloadKind::as_str);
                    let pods: Vec<String> = super::check::pods_of(self.sim.mesh().snapshot(), id)
                        .map(|p| format!("kubectl delete pod -n {} {}", id.namespace, p.meta.name))
                        .collect();
                    self.notes.push(format!(
                        "{id} has no {above} above it and is not restarted by the plan: its pods run {}; delete them one at a time ({}) and it re-creates each from its template with {target}'s sidecar",
                        runs_text(running_before),
                        pods.join("; ")
                    ));
                }
                return Ok(WorkloadDisposition::RecreateByHand);
            }
        }
        let mut injector = w.injector.clone();
        // A template pinned to a source revision by its own istio.io/rev label.
        if injector.as_deref() != Some(target.as_str())
            && let Some(pin) = workload
                .as_ref()
                .and_then(|w| w.template.labels.get(labels::REV))
                .cloned()
            && self
                .mesh
                .resolve_name(&pin)
                .is_some_and(|r| self.is_source(&r.name))
        {
            let name = self.route.target.name.clone();
            self.push(
                steps,
                StepAction::LabelTemplate {
                    workload: id.clone(),
                    set: Labels::from([(labels::REV.to_owned(), name.clone())]),
                    remove: BTreeSet::new(),
                },
                format!(
                    "the pod template of {id} pins istio.io/rev={pin}; pointing it at {name} moves it (the patch rolls the pods)"
                ),
                vec![
                    Check::TemplateLabels {
                        workload: id.clone(),
                        labels: [(labels::REV.to_owned(), Some(pin.clone()))].into(),
                    },
                    Check::WorkloadInjector {
                        workload: id.clone(),
                        revision: injector.clone(),
                    },
                ],
                vec![
                    Check::TemplateLabels {
                        workload: id.clone(),
                        labels: [(labels::REV.to_owned(), Some(name.clone()))].into(),
                    },
                    Check::WorkloadInjector {
                        workload: id.clone(),
                        revision: Some(target.clone()),
                    },
                    Check::WorkloadRunning {
                        workload: id.clone(),
                        revision: Some(target.clone()),
                    },
                ],
            )?;
            return Ok(WorkloadDisposition::Restart);
        }
        match injector.take() {
            Some(r) if r == target => {
                let on_target = !w.needs_restart
                    && (self.route.strategy != Strategy::InPlace || w.running.is_empty());
                if on_target && !w.running.is_empty() {
                    return Ok(WorkloadDisposition::AlreadyOnTarget);
                }
                if w.pods == 0 {
                    return Ok(WorkloadDisposition::AlreadyOnTarget);
                }
                if running_before.is_empty() {
                    self.notes.push(format!(
                        "{id} runs no sidecar now and gets one from {target} on restart (its pods do not opt out)"
                    ));
                }
                self.push(
                    steps,
                    StepAction::Restart {
                        workload: id.clone(),
                    },
                    match (&self.route.strategy, &self.route.target.version) {
                        (Strategy::InPlace, Some(v)) => format!(
                            "{id} runs the proxy {target} had before the upgrade; new pods get its {v} proxy"
                        ),
                        _ => format!(
                            "{id} runs {}; new pods get {target}",
                            if w.running.is_empty() {
                                "no sidecar".to_owned()
                            } else {
                                labels_of(&w.running).join(", ")
                            }
                        ),
                    },
                    vec![Check::WorkloadInjector {
                        workload: id.clone(),
                        revision: Some(target.clone()),
                    }],
                    {
                        let mut post = vec![Check::WorkloadRunning {
                            workload: id.clone(),
                            revision: Some(target.clone()),
                        }];
                        // In place, the pods run the target before the restart
                        // too: only their proxy tells the restart was made.
                        if self.route.strategy == Strategy::InPlace {
                            post.push(Check::ProxyCurrent {
                                workload: id.clone(),
                                revision: target.clone(),
                            });
                        }
                        post
                    },
                )?;
                Ok(WorkloadDisposition::Restart)
            }
            None if w.running.is_empty() => Ok(WorkloadDisposition::OptedOut),
            other => Err(PlanError::Stranded {
                workload: id.clone(),
                injector: other,
                target,
            }),
        }
    }

    /// The default-tag variant's second pass: the `default` IstioRevisionTag to
    /// the 3.0 revision, then per namespace `istio-injection=enabled istio.io/rev-`.
    fn default_tag_pass(
        &mut self,
        groups: &[Vec<String>],
        before: &Status,
    ) -> Result<(), PlanError> {
        let target = self.target().to_owned();
        let mut steps = Vec::new();
        let current = self
            .sim
            .mesh()
            .tag("default")
            .and_then(|t| t.revision.clone());
        self.push(
            &mut steps,
            StepAction::RetargetSailTag {
                tag: "default".to_owned(),
                kind: TagTargetKind::IstioRevision,
                name: target.clone(),
            },
            format!(
                "every namespace runs {target}: the default tag makes istio-injection=enabled reach {target}"
            ),
            vec![Check::TagTarget {
                tag: "default".to_owned(),
                revision: current,
            }],
            vec![Check::TagTarget {
                tag: "default".to_owned(),
                revision: Some(target.clone()),
            }],
        )?;
        self.waves.push((WaveKind::Switch, Vec::new(), steps));
        for group in groups {
            let mut steps = Vec::new();
            for ns in group {
                let labels = self
                    .sim
                    .mesh()
                    .snapshot()
                    .namespace(ns)
                    .map(|n| n.meta.labels.clone())
                    .unwrap_or_default();
                let mut set = Labels::new();
                if labels.get(labels::INJECTION).map(String::as_str) != Some("enabled") {
                    set.insert(labels::INJECTION.to_owned(), "enabled".to_owned());
                }
                let mut remove = BTreeSet::new();
                if labels.contains_key(labels::REV) {
                    remove.insert(labels::REV.to_owned());
                }
                self.move_namespace(&mut steps, ns, (set, remove), before)?;
            }
            self.waves.push((WaveKind::Batch, group.clone(), steps));
        }
        Ok(())
    }

    /// Removing what no longer runs anything: the SMCP (and whatever of its member
    /// roll and members the delete leaves), or waiting for the Sail operator to
    /// prune an old revision.
    fn cleanup(&mut self) -> Result<(), PlanError> {
        let mut steps = Vec::new();
        let sources: Vec<Revision> = self
            .route
            .sources
            .iter()
            .filter_map(|s| self.mesh.revision(&s.name).cloned())
            .collect();
        for source in sources {
            if source.name == self.target() {
                continue;
            }
            if source.family == Family::Maistra && self.route.strategy.is_ossm_migration() {
                // The simulation refuses the delete while anything uses the
                // control plane, naming what does (one scan of every pod, not
                // a second one here): that refusal becomes the note.
                match self.delete_smcp(&mut steps, &source) {
                    Err(PlanError::Unsafe {
                        violation: Violation::RemovedWhileInUse { users, .. },
                        ..
                    }) => self.notes.push(format!(
                        "{} is not deleted: {}",
                        source.control_plane,
                        users.join(", ")
                    )),
                    other => other?,
                }
                continue;
            }
            let users = super::check::revision_users(self.sim.mesh(), &source.name);
            match source.family {
                Family::Sail if self.route.strategy == Strategy::RevisionBased => {
                    if !users.is_empty() {
                        self.notes.push(format!(
                            "revision {} stays in use and is not pruned: {}",
                            source.name,
                            users.join(", ")
                        ));
                        continue;
                    }
                    let object = target::revision_object(&source.name);
                    self.push(
                        &mut steps,
                        StepAction::AwaitGone {
                            object: object.clone(),
                        },
                        format!(
                            "nothing uses {} any more: the Sail operator prunes it after the grace period",
                            source.name
                        ),
                        vec![Check::RevisionIdle {
                            revision: source.name.clone(),
                        }],
                        vec![Check::ObjectAbsent { object }],
                    )?;
                }
                _ if users.is_empty() => {
                    // A tag still leading here keeps its webhooks calling this
                    // istiod: uninstalling first would make the API server reject
                    // every pod they match (chart `failurePolicy: Fail`).
                    let tags: Vec<String> = self
                        .sim
                        .mesh()
                        .tags_of(&source.name)
                        .map(|t| t.name.clone())
                        .collect();
                    let note = if tags.is_empty() {
                        format!(
                            "revision {} runs nothing any more; uninstall it ({}) when ready",
                            source.name, source.control_plane
                        )
                    } else {
                        let moves: Vec<String> = tags
                            .iter()
                            .map(|t| {
                                format!(
                                    "`istioctl tag set {t} --revision {} --overwrite`",
                                    self.target()
                                )
                            })
                            .collect();
                        format!(
                            "revision {} runs nothing any more, but tag(s) {} still lead to it: move them first ({}) and restart what follows them, then uninstall it ({}); uninstalled first, their webhooks would call a missing istiod and the API server would reject the pods they match",
                            source.name,
                            tags.join(", "),
                            moves.join(", "),
                            source.control_plane
                        )
                    };
                    self.notes.push(note);
                }
                _ => {}
            }
        }
        if !steps.is_empty() {
            self.waves.push((WaveKind::Cleanup, Vec::new(), steps));
        }
        Ok(())
    }

    fn delete_smcp(&mut self, steps: &mut Vec<Step>, smcp: &Revision) -> Result<(), PlanError> {
        let object = smcp.control_plane.clone();
        self.push(
            steps,
            StepAction::Delete {
                object: object.clone(),
            },
            format!(
                "every workload runs {}: the 2.6 control plane {} injects and runs nothing",
                self.target(),
                smcp.name
            ),
            vec![
                Check::ObjectPresent {
                    object: object.clone(),
                },
                Check::RevisionIdle {
                    revision: smcp.name.clone(),
                },
            ],
            vec![
                Check::ObjectAbsent { object },
                Check::RevisionExists {
                    revision: self.target().to_owned(),
                },
            ],
        )?;
        // What the operator leaves behind: a member roll and members the user made.
        let cp_ns = smcp.namespace.clone();
        let s = self.sim.mesh().snapshot();
        let mut leftovers: Vec<ObjectRef> = s
            .member_rolls()
            .filter(|m| m.meta.namespace.as_deref() == Some(cp_ns.as_str()))
            .map(|m| m.meta.object_ref("ServiceMeshMemberRoll"))
            .collect();
        leftovers.extend(
            s.members()
                .filter(|m| m.control_plane_namespace == cp_ns && m.control_plane_name == smcp.name)
                .map(|m| m.meta.object_ref("ServiceMeshMember")),
        );
        for object in leftovers {
            self.push(
                steps,
                StepAction::Delete {
                    object: object.clone(),
                },
                format!(
                    "{object} belonged to the deleted control plane {}",
                    smcp.name
                ),
                Vec::new(),
                vec![Check::ObjectAbsent { object }],
            )?;
        }
        Ok(())
    }
}
