//! A Sail RevisionBased upgrade that starts from one revision: `--to <Istio, its
//! tag or revision> --version v1.25.1` on an `Istio` with `updateStrategy:
//! RevisionBased` that still runs only its old version.
//!
//! The operator does the first half: patched to a new `spec.version`, it creates
//! the revision `<istio>-<version>` beside the old one, makes it active and moves
//! the tags that target the `Istio` (sail-operator
//! `docs/update-strategy/update-strategy.adoc`, "RevisionBased"). The plan is
//! therefore that patch, as a wave of its own, followed by the ordinary
//! revision-based plan computed on the mesh the patch leaves (relabel what is
//! pinned to the old revision, restart what follows a tag, await the prune), and
//! the whole is proven on the original mesh by [`simulate`](super::simulate).

use super::check::Check;
use super::error::PlanError;
use super::request::Request;
use super::step::{Step, StepAction};
use super::strategy::Strategy;
use super::{Plan, Wave, WaveKind};
use crate::mesh::Mesh;
use crate::snapshot::{Edit, Istio, UpdateStrategy};

/// The plan, when the request is such an upgrade; `None` leaves the request to
/// the ordinary planner.
pub(super) fn plan(mesh: &Mesh, request: &Request) -> Result<Option<Plan>, PlanError> {
    let Some(version) = request.version.as_deref() else {
        return Ok(None);
    };
    if request
        .strategy
        .is_some_and(|s| s != Strategy::RevisionBased)
    {
        return Ok(None);
    }
    let Some(istio) = istio_of(mesh, &request.target, version) else {
        return Ok(None);
    };
    if istio.update_strategy != UpdateStrategy::RevisionBased
        || istio.version.as_deref() == Some(version)
    {
        return Ok(None);
    }
    let edit = Edit::SetIstioVersion {
        istio: istio.meta.name.clone(),
        version: version.to_owned(),
    };
    let mut after = mesh.clone();
    after.apply(&edit).map_err(|e| PlanError::StepFailed {
        step: 1,
        action: format!("set Istio {} spec.version={version}", istio.meta.name),
        message: e.to_string(),
    })?;
    let new_revision = after
        .snapshot()
        .istios()
        .find(|i| i.meta.name == istio.meta.name)
        .map(Istio::revision_name)
        .unwrap_or_default();
    // `--to default-v1-25-1` names the revision the patch creates.
    let target = if mesh.resolve_name(&request.target).is_some()
        || mesh
            .snapshot()
            .istios()
            .any(|i| i.meta.name == request.target)
    {
        request.target.clone()
    } else {
        new_revision.clone()
    };
    let rest = super::plan(
        &after,
        &Request {
            target,
            version: None,
            strategy: Some(Strategy::RevisionBased),
            ..request.clone()
        },
    )?;
    let patch = Step {
        id: 1,
        action: StepAction::SetIstioVersion {
            istio: istio.meta.name.clone(),
            version: version.to_owned(),
        },
        reason: format!(
            "RevisionBased upgrade: the Sail operator creates revision {new_revision} beside {} and moves the tags that target Istio {} to it; nothing restarts yet",
            istio.revision_name(),
            istio.meta.name
        ),
        preconditions: vec![Check::IstioVersion {
            istio: istio.meta.name.clone(),
            version: istio.version.clone(),
        }],
        postconditions: vec![
            Check::IstioVersion {
                istio: istio.meta.name.clone(),
                version: Some(version.to_owned()),
            },
            Check::RevisionExists {
                revision: new_revision,
            },
        ],
    };
    let mut waves = vec![Wave {
        number: 1,
        kind: WaveKind::Prepare,
        namespaces: Vec::new(),
        steps: vec![patch],
    }];
    for mut wave in rest.waves {
        wave.number += 1;
        for step in &mut wave.steps {
            step.id += 1;
        }
        waves.push(wave);
    }
    let plan = Plan { waves, ..rest };
    // Proven on the mesh the caller has, patch included.
    super::simulate(mesh, &plan)?;
    Ok(Some(plan))
}

/// The `Istio` a target names: by its own name, through a revision or tag that
/// leads to one of its revisions, or as the revision the version would create.
fn istio_of<'m>(mesh: &'m Mesh, target: &str, version: &str) -> Option<&'m Istio> {
    let istios = || mesh.snapshot().istios();
    if let Some(i) = istios().find(|i| i.meta.name == target) {
        return Some(i);
    }
    if let Some(r) = mesh.resolve_name(target) {
        let owned_by = |i: &&Istio| {
            i.revision_name() == r.name
                || i.active_revision_name.as_deref() == Some(&r.name)
                || r.name.starts_with(&format!("{}-", i.meta.name))
        };
        return istios().find(owned_by);
    }
    let wanted = |i: &&Istio| format!("{}-{}", i.meta.name, version.replace('.', "-")) == target;
    istios().find(wanted)
}
