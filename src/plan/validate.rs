//! A plan read from a file is checked before it is replayed or rendered for
//! execution: every name and label it would send to the API server must be one
//! the API server accepts. Besides catching a hand-edited typo early, this keeps
//! an argument starting with `-` (which no Kubernetes name can) from ever reaching
//! a command line, where kubectl would read it as a flag.

use super::Plan;
use super::error::PlanError;
use super::step::{Step, StepAction};
use crate::labels::{
    Labels, check_dns1123_label, check_dns1123_subdomain, check_label_key, check_label_value,
};

fn bad(step: &Step, field: &str, value: &str, message: String) -> PlanError {
    PlanError::InvalidStep {
        step: step.id,
        field: field.to_owned(),
        value: value.to_owned(),
        message,
    }
}

fn labels<'a>(
    step: &Step,
    set: &Labels,
    remove: impl IntoIterator<Item = &'a String>,
) -> Result<(), PlanError> {
    for (k, v) in set {
        check_label_key(k).map_err(|m| bad(step, "label key", k, m))?;
        check_label_value(v).map_err(|m| bad(step, "label value", v, m))?;
    }
    for k in remove {
        check_label_key(k).map_err(|m| bad(step, "label key", k, m))?;
    }
    Ok(())
}

impl Plan {
    /// Checks every name, label key and value the steps would send (as the API
    /// server would), and that step ids count up from 1.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (i, step) in self.steps().enumerate() {
            if step.id != i + 1 {
                return Err(bad(
                    step,
                    "id",
                    &step.id.to_string(),
                    format!("step ids must count up from 1; expected {}", i + 1),
                ));
            }
            let ns = |s: &str| check_dns1123_label(s).map_err(|m| bad(step, "namespace", s, m));
            let name = |s: &str| check_dns1123_subdomain(s).map_err(|m| bad(step, "name", s, m));
            match &step.action {
                StepAction::LabelNamespace {
                    namespace,
                    set,
                    remove,
                } => {
                    ns(namespace)?;
                    labels(step, set, remove)?;
                }
                StepAction::LabelTemplate {
                    workload,
                    set,
                    remove,
                } => {
                    ns(&workload.namespace)?;
                    name(&workload.name)?;
                    labels(step, set, remove)?;
                }
                StepAction::Restart { workload } => {
                    ns(&workload.namespace)?;
                    name(&workload.name)?;
                }
                StepAction::MoveTag { tag, revision } => {
                    check_label_value(tag).map_err(|m| bad(step, "tag", tag, m))?;
                    check_label_value(revision).map_err(|m| bad(step, "revision", revision, m))?;
                    if tag.is_empty() || revision.is_empty() || tag.starts_with('-') {
                        return Err(bad(step, "tag", tag, "must not be empty".to_owned()));
                    }
                }
                StepAction::RetargetSailTag {
                    tag, name: target, ..
                } => {
                    name(tag)?;
                    name(target)?;
                }
                StepAction::SetIstioVersion { istio, version } => {
                    name(istio)?;
                    check_label_value(version)
                        .ok()
                        .filter(|()| !version.is_empty())
                        .ok_or_else(|| bad(step, "version", version, "not a version".to_owned()))?;
                }
                StepAction::Delete { object } | StepAction::AwaitGone { object } => {
                    if let Some(n) = &object.namespace {
                        ns(n)?;
                    }
                    name(&object.name)?;
                }
                StepAction::Verify { namespace } => ns(namespace)?,
            }
        }
        Ok(())
    }
}
