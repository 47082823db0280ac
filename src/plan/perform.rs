//! Performing a step on a mesh (exec needs this before the planner's simulation lands; the
//! planner's `simulate.rs` supersedes this file).

use super::step::StepAction;
use crate::mesh::Mesh;
use crate::snapshot::{Edit, EditError};

impl StepAction {
    /// Performs the action on a mesh, with the snapshot's edits: the same
    /// function serves the planner's simulation and an executor's simulated
    /// cluster. A restart (and a template patch, which rolls the pods too) ends
    /// with the finished rollout, [`Mesh::restart`]; the `restartedAt` annotation a
    /// real restart sets is the executor's to stamp, it changes nothing about
    /// injection. `await_gone` stands for the operator's prune; `verify` changes
    /// nothing.
    pub fn apply(&self, mesh: &mut Mesh) -> Result<(), EditError> {
        match self {
            StepAction::LabelNamespace {
                namespace,
                set,
                remove,
            } => mesh.apply(&Edit::LabelNamespace {
                namespace: namespace.clone(),
                set: set.clone(),
                remove: remove.clone(),
            }),
            StepAction::LabelTemplate {
                workload,
                set,
                remove,
            } => {
                mesh.apply(&Edit::LabelTemplate {
                    workload: workload.clone(),
                    set: set.clone(),
                    remove: remove.clone(),
                })?;
                let rollout = mesh.restart(workload)?;
                mesh.apply(&rollout)
            }
            StepAction::Restart { workload } => {
                let rollout = mesh.restart(workload)?;
                mesh.apply(&rollout)
            }
            StepAction::MoveTag { tag, revision } => mesh.apply(&Edit::RetargetTag {
                tag: tag.clone(),
                revision: revision.clone(),
            }),
            StepAction::RetargetSailTag { tag, kind, name } => mesh.apply(&Edit::RetargetSailTag {
                tag: tag.clone(),
                kind: *kind,
                name: name.clone(),
            }),
            StepAction::SetIstioVersion { istio, version } => mesh.apply(&Edit::SetIstioVersion {
                istio: istio.clone(),
                version: version.clone(),
            }),
            StepAction::Delete { object } | StepAction::AwaitGone { object } => {
                mesh.apply(&Edit::Delete {
                    object: object.clone(),
                })
            }
            StepAction::Verify { .. } => Ok(()),
        }
    }
}
