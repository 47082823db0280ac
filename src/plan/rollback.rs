//! Rollback: the inverse of a plan, or of the prefix of it that ran. Labels,
//! template labels, tags and versions go back to exactly what the steps'
//! preconditions recorded; then every restarted workload is restarted again, onto
//! the revision that injects it once the labels are back. A deleted control plane
//! is never re-created silently: a prefix past a delete has no automatic rollback.

use std::collections::{BTreeMap, BTreeSet};

use super::check::Check;
use super::end_state::EndState;
use super::error::PlanError;
use super::simulate::Simulation;
use super::step::{Step, StepAction, StepId};
use super::{Plan, SourceRevision, Target, Wave, WaveKind};
use crate::labels::Labels;
use crate::mesh::Mesh;
use crate::snapshot::ObjectRef;
use crate::snapshot::{TagTargetKind, WorkloadId};

/// Expected label values by key (`None`: absent), as checks record them.
type Recorded = BTreeMap<String, Option<String>>;

/// An inverse step before it gets its id: action, reason, pre- and postconditions.
type Inverse = (StepAction, String, Vec<Check>, Vec<Check>);

/// Splits recorded prior values into what to set and what to remove.
fn restore(prior: &Recorded) -> (Labels, BTreeSet<String>) {
    let set = prior
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
        .collect();
    let remove = prior
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    (set, remove)
}

fn inverse_labels(pre: &[Check], post: &[Check]) -> Option<(Recorded, Recorded)> {
    let find = |checks: &[Check]| {
        checks.iter().find_map(|c| match c {
            Check::NamespaceLabels { labels, .. } | Check::TemplateLabels { labels, .. } => {
                Some(labels.clone())
            }
            _ => None,
        })
    };
    Some((find(pre)?, find(post).unwrap_or_default()))
}

fn prior_of<T>(pre: &[Check], pick: impl Fn(&Check) -> Option<T>) -> Option<T> {
    pre.iter().find_map(pick)
}

/// The inverse of one change, from the step's own preconditions; `None` for
/// steps that need no undoing (restarts and verifications are redone at the end).
fn inverse(step: &Step) -> Result<Option<Inverse>, PlanError> {
    let no_rollback = |object: ObjectRef| PlanError::NoRollback {
        step: step.id,
        object,
    };
    let undo = format!("undo step {}", step.id);
    Ok(match &step.action {
        StepAction::LabelNamespace { namespace, .. } => {
            let Some((prior, after)) = inverse_labels(&step.preconditions, &step.postconditions)
            else {
                return Ok(None);
            };
            let (set, remove) = restore(&prior);
            Some((
                StepAction::LabelNamespace {
                    namespace: namespace.clone(),
                    set,
                    remove,
                },
                format!("{undo}: namespace {namespace}'s labels back to what they were"),
                vec![Check::NamespaceLabels {
                    namespace: namespace.clone(),
                    labels: after,
                }],
                vec![Check::NamespaceLabels {
                    namespace: namespace.clone(),
                    labels: prior,
                }],
            ))
        }
        StepAction::LabelTemplate { workload, .. } => {
            let Some((prior, after)) = inverse_labels(&step.preconditions, &step.postconditions)
            else {
                return Ok(None);
            };
            let (set, remove) = restore(&prior);
            Some((
                StepAction::LabelTemplate {
                    workload: workload.clone(),
                    set,
                    remove,
                },
                format!("{undo}: the pod template of {workload} back to what it was"),
                vec![Check::TemplateLabels {
                    workload: workload.clone(),
                    labels: after,
                }],
                vec![Check::TemplateLabels {
                    workload: workload.clone(),
                    labels: prior,
                }],
            ))
        }
        StepAction::MoveTag { tag, revision } => {
            let Some(Some(old)) = prior_of(&step.preconditions, |c| match c {
                Check::TagTarget { revision, .. } => Some(revision.clone()),
                _ => None,
            }) else {
                return Ok(None);
            };
            Some((
                StepAction::MoveTag {
                    tag: tag.clone(),
                    revision: old.clone(),
                },
                format!("{undo}: tag {tag} back to {old}"),
                vec![Check::TagTarget {
                    tag: tag.clone(),
                    revision: Some(revision.clone()),
                }],
                vec![Check::TagTarget {
                    tag: tag.clone(),
                    revision: Some(old),
                }],
            ))
        }
        StepAction::RetargetSailTag { tag, name, .. } => {
            let old = prior_of(&step.preconditions, |c| match c {
                Check::TagTarget { revision, .. } => Some(revision.clone()),
                _ => None,
            })
            .flatten();
            let pre = vec![Check::TagTarget {
                tag: tag.clone(),
                revision: Some(name.clone()),
            }];
            match old {
                Some(old) => Some((
                    StepAction::RetargetSailTag {
                        tag: tag.clone(),
                        kind: TagTargetKind::IstioRevision,
                        name: old.clone(),
                    },
                    format!("{undo}: IstioRevisionTag {tag} back to {old}"),
                    pre,
                    vec![Check::TagTarget {
                        tag: tag.clone(),
                        revision: Some(old),
                    }],
                )),
                // The plan created the tag: delete it.
                None => {
                    let object = ObjectRef::new("IstioRevisionTag", None, tag.clone());
                    Some((
                        StepAction::Delete {
                            object: object.clone(),
                        },
                        format!("{undo}: the plan created IstioRevisionTag {tag}"),
                        pre,
                        vec![Check::ObjectAbsent { object }],
                    ))
                }
            }
        }
        StepAction::SetIstioVersion { istio, version } => {
            let Some(Some(old)) = prior_of(&step.preconditions, |c| match c {
                Check::IstioVersion { version, .. } => Some(version.clone()),
                _ => None,
            }) else {
                return Ok(None);
            };
            Some((
                StepAction::SetIstioVersion {
                    istio: istio.clone(),
                    version: old.clone(),
                },
                format!("{undo}: Istio {istio} back to {old}"),
                vec![Check::IstioVersion {
                    istio: istio.clone(),
                    version: Some(version.clone()),
                }],
                vec![Check::IstioVersion {
                    istio: istio.clone(),
                    version: Some(old),
                }],
            ))
        }
        StepAction::Delete { object } | StepAction::AwaitGone { object } => {
            return Err(no_rollback(object.clone()));
        }
        StepAction::Restart { .. } | StepAction::Verify { .. } => None,
    })
}

impl Plan {
    /// The rollback of the steps up to and including `done` (all of them when
    /// `None`), planned and simulated from `mesh`, the cluster before the plan.
    ///
    /// Refused with [`PlanError::NoRollback`] when the prefix deleted a control
    /// plane (or waited for one to be pruned).
    pub fn rollback(&self, mesh: &Mesh, done: Option<StepId>) -> Result<Plan, PlanError> {
        let last = done.unwrap_or(self.len());
        if last > self.len() {
            return Err(PlanError::NoSuchStep {
                step: last,
                steps: self.len(),
            });
        }
        let prefix: Vec<&Step> = self.steps().filter(|s| s.id <= last).collect();
        // The first delete in the prefix is the one to name.
        for step in &prefix {
            inverse(step)?;
        }
        // Walk the prefix forward on the model, to start the rollback where it ends.
        let mut sim = Simulation::new(mesh, self.allowed_label_keys());
        for step in &prefix {
            sim.step(step)?;
        }
        let forward = sim.mesh().clone();
        let mut back = Simulation::new(&forward, self.allowed_label_keys());
        let mut id = 1;
        let mut changes = Vec::new();
        for step in prefix.iter().rev() {
            if let Some((action, reason, preconditions, postconditions)) = inverse(step)? {
                let step = Step {
                    id,
                    action,
                    reason,
                    preconditions,
                    postconditions,
                };
                back.step(&step)?;
                id += 1;
                changes.push(step);
            }
        }
        // Then every workload the prefix restarted, once, onto what injects it now.
        // (Sets beside the lists keep this linear in the plan's length.)
        let mut restarted: Vec<WorkloadId> = Vec::new();
        let mut seen: BTreeSet<&WorkloadId> = BTreeSet::new();
        for step in &prefix {
            if let StepAction::Restart { workload } | StepAction::LabelTemplate { workload, .. } =
                &step.action
                && seen.insert(workload)
            {
                restarted.push(workload.clone());
            }
        }
        // A template patch already rolled the pods back.
        let patched: BTreeSet<&WorkloadId> = changes
            .iter()
            .filter_map(|s| match &s.action {
                StepAction::LabelTemplate { workload, .. } => Some(workload),
                _ => None,
            })
            .collect();
        let mut restarts = Vec::new();
        let mut namespaces: Vec<String> = Vec::new();
        let mut namespace_seen: BTreeSet<String> = BTreeSet::new();
        for workload in restarted {
            let already = patched.contains(&workload);
            let injector = back
                .mesh()
                .snapshot()
                .workload(&workload.namespace, workload.kind, &workload.name)
                .and_then(|w| {
                    back.mesh()
                        .resolve_workload(w)
                        .revision()
                        .map(str::to_owned)
                });
            if namespace_seen.insert(workload.namespace.clone()) {
                namespaces.push(workload.namespace.clone());
            }
            if already {
                continue;
            }
            let step = Step {
                id,
                action: StepAction::Restart {
                    workload: workload.clone(),
                },
                reason: format!(
                    "{workload} back onto {}",
                    injector.as_deref().unwrap_or("no sidecar")
                ),
                preconditions: vec![Check::WorkloadInjector {
                    workload: workload.clone(),
                    revision: injector.clone(),
                }],
                postconditions: vec![Check::WorkloadRunning {
                    workload,
                    revision: injector,
                }],
            };
            back.step(&step)?;
            id += 1;
            restarts.push(step);
        }
        let mut verifies = Vec::new();
        for ns in &namespaces {
            let before = mesh.resolve_namespace(ns).revision().map(str::to_owned);
            let step = Step {
                id,
                action: StepAction::Verify {
                    namespace: ns.clone(),
                },
                reason: format!(
                    "namespace {ns} must be injected by {} again",
                    before.as_deref().unwrap_or("nothing")
                ),
                preconditions: Vec::new(),
                postconditions: vec![Check::NamespaceInjector {
                    namespace: ns.clone(),
                    revision: before,
                }],
            };
            back.step(&step)?;
            id += 1;
            verifies.push(step);
        }
        restarts.extend(verifies);
        let waves: Vec<Wave> = [changes, restarts]
            .into_iter()
            .filter(|steps| !steps.is_empty())
            .enumerate()
            .map(|(i, steps)| Wave {
                number: i + 1,
                kind: WaveKind::Rollback,
                namespaces: if i == 0 {
                    Vec::new()
                } else {
                    namespaces.clone()
                },
                steps,
            })
            .collect();
        let source = self.sources.first();
        // The revision the rollback leaves: in the original mesh, or (when the
        // plan created it, as a RevisionBased version patch does) where the
        // forward prefix left it.
        let leaving = mesh
            .revision(&self.target.revision)
            .or_else(|| forward.revision(&self.target.revision));
        Ok(Plan {
            target: Target {
                name: source.map_or_else(String::new, |s| s.name.clone()),
                revision: source.map_or_else(String::new, |s| s.name.clone()),
                version: source.and_then(|s| s.version.clone()),
            },
            strategy: self.strategy,
            sources: leaving
                .map(|r| SourceRevision {
                    name: r.name.clone(),
                    control_plane: r.control_plane.clone(),
                    version: self.target.version.clone(),
                })
                .into_iter()
                .collect(),
            scope: self.scope.clone(),
            end_state: EndState::of(
                back.mesh(),
                self.scope.namespaces.iter().map(|n| n.name.as_str()),
            ),
            waves,
            discovery_labels: self.discovery_labels.clone(),
            notes: vec![format!(
                "rollback of steps 1 to {last} of the plan to {}",
                self.target.revision
            )],
        })
    }
}
