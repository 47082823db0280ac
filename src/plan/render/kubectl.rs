//! A plan as a bash script of kubectl commands: a comment per wave and per step
//! with its reason, then a flat list of commands, one per line, no functions or
//! loops, every name quoted; checks are commands that fail the script
//! (`set -euo pipefail`) when a label or a running revision is not as planned.

use std::collections::BTreeSet;

use super::shell::{comment, label_arg, quote};
use crate::labels::Labels;
use crate::plan::{Check, Plan, Step, StepAction};
use crate::snapshot::ObjectRef;
use crate::snapshot::{TagTargetKind, WorkloadId, WorkloadKind};

/// The resource name kubectl takes for a kind (`smcp` for a
/// ServiceMeshControlPlane, as the migration guide writes it).
pub(super) fn resource(kind: &str) -> String {
    match kind {
        "ServiceMeshControlPlane" => "smcp".to_owned(),
        "ServiceMeshMemberRoll" => "smmr".to_owned(),
        "ServiceMeshMember" => "smm".to_owned(),
        "DeploymentConfig" => "dc".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}

fn ns_flag(namespace: Option<&str>) -> String {
    namespace.map_or_else(String::new, |ns| format!(" -n {}", quote(ns)))
}

fn workload_arg(w: &WorkloadId) -> String {
    quote(&format!("{}/{}", resource(w.kind.as_str()), w.name)).into_owned()
}

/// `kubectl label namespace NS k=v ... k- --overwrite=true`. The Maistra opt-out
/// comes first, then removals, then the rest, in the order of the migration
/// guide's command.
pub fn label_namespace(namespace: &str, set: &Labels, remove: &BTreeSet<String>) -> String {
    let mut args = Vec::new();
    if let Some(v) = set.get(crate::labels::MAISTRA_IGNORE_NAMESPACE) {
        args.push(label_arg(crate::labels::MAISTRA_IGNORE_NAMESPACE, v));
    }
    args.extend(remove.iter().map(|k| quote(&format!("{k}-")).into_owned()));
    args.extend(
        set.iter()
            .filter(|(k, _)| k.as_str() != crate::labels::MAISTRA_IGNORE_NAMESPACE)
            .map(|(k, v)| label_arg(k, v)),
    );
    format!(
        "kubectl label namespace {} {} --overwrite=true",
        quote(namespace),
        args.join(" ")
    )
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The commands that check one condition, failing the script when it does not hold.
fn check_commands(check: &Check, plan: &Plan) -> Vec<String> {
    match check {
        Check::NamespaceLabels { namespace, labels } => labels
            .iter()
            .map(|(k, v)| {
                let path = format!("{{.metadata.labels.{}}}", k.replace('.', "\\."));
                format!(
                    "test \"$(kubectl get namespace {} -o jsonpath={})\" = {}",
                    quote(namespace),
                    quote(&path),
                    quote(v.as_deref().unwrap_or(""))
                )
            })
            .collect(),
        Check::WorkloadRunning { workload, revision } => {
            let Some(selector) = template_selector(plan, workload) else {
                return Vec::new();
            };
            vec![format!(
                "test \"$(kubectl get pods -n {} -l {} -o jsonpath={} | sort -u)\" = {}",
                quote(&workload.namespace),
                quote(&selector),
                quote("{range .items[*]}{.metadata.annotations.istio\\.io/rev}{\"\\n\"}{end}"),
                quote(revision.as_deref().unwrap_or(""))
            )]
        }
        Check::TagTarget {
            tag,
            revision: Some(revision),
        } => {
            let sail = plan.steps().any(
                |s| matches!(&s.action, StepAction::RetargetSailTag { tag: t, .. } if t == tag),
            );
            if sail {
                vec![format!(
                    "test \"$(kubectl get istiorevisiontag {} -o jsonpath={})\" = {}",
                    quote(tag),
                    quote("{.status.istioRevision}"),
                    quote(revision)
                )]
            } else {
                vec![format!(
                    "test \"$(kubectl get mutatingwebhookconfiguration {} -o jsonpath={})\" = {}",
                    quote(&format!("istio-revision-tag-{tag}")),
                    quote("{.metadata.labels.istio\\.io/rev}"),
                    quote(revision)
                )]
            }
        }
        Check::IstioVersion {
            istio,
            version: Some(version),
        } => vec![format!(
            "test \"$(kubectl get istio {} -o jsonpath={})\" = {}",
            quote(istio),
            quote("{.spec.version}"),
            quote(version)
        )],
        // The Sail operator creates the IstioRevision after the version patch
        // and reports `Ready` once its istiod is (sail-operator
        // api/v1/istiorevision_types.go `IstioRevisionConditionReady`); only
        // then can a restart be injected by it. `--for=create` needs kubectl 1.31.
        Check::RevisionExists { revision } if sail_patch(plan) => vec![
            format!(
                "kubectl wait --for=create istiorevision/{} --timeout=5m",
                quote(revision)
            ),
            format!(
                "kubectl wait --for=condition=Ready istiorevision/{} --timeout=10m",
                quote(revision)
            ),
        ],
        Check::RevisionIdle { revision } => vec![format!(
            "test -z \"$(kubectl get pods -A -o jsonpath={} | grep -xF {})\"",
            quote("{range .items[*]}{.metadata.annotations.istio\\.io/rev}{\"\\n\"}{end}"),
            quote(revision)
        )],
        Check::ObjectAbsent { object } => vec![format!(
            "test -z \"$(kubectl get {} {}{} --ignore-not-found -o name)\"",
            quote(&resource(&object.kind)),
            quote(&object.name),
            ns_flag(object.namespace.as_deref())
        )],
        _ => Vec::new(),
    }
}

/// Whether the plan patches a Sail `Istio`'s version (so its revisions are
/// `IstioRevision` objects to wait for).
fn sail_patch(plan: &Plan) -> bool {
    plan.steps()
        .any(|s| matches!(s.action, StepAction::SetIstioVersion { .. }))
}

/// The pod-template labels of a workload as a `-l` selector: the pods of the
/// current template carry all of them.
fn template_selector(plan: &Plan, workload: &WorkloadId) -> Option<String> {
    let labels = &plan
        .scope
        .namespace(&workload.namespace)?
        .workloads
        .iter()
        .find(|w| w.workload == *workload)?
        .template_labels;
    if labels.is_empty() {
        return None;
    }
    Some(
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The mutating commands of one step (no checks).
pub fn action_commands(action: &StepAction) -> Vec<String> {
    match action {
        StepAction::LabelNamespace {
            namespace,
            set,
            remove,
        } => vec![label_namespace(namespace, set, remove)],
        StepAction::LabelTemplate {
            workload,
            set,
            remove,
        } => {
            let mut labels = serde_json::Map::new();
            for (k, v) in set {
                labels.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
            for k in remove {
                labels.insert(k.clone(), serde_json::Value::Null);
            }
            let patch = serde_json::json!({"spec": {"template": {"metadata": {"labels": labels}}}});
            vec![
                format!(
                    "kubectl patch {}{} --type merge -p {}",
                    workload_arg(workload),
                    ns_flag(Some(&workload.namespace)),
                    quote(&patch.to_string())
                ),
                rollout_status(workload),
            ]
        }
        // OpenShift DeploymentConfigs roll out with `oc rollout latest`.
        StepAction::Restart { workload } if workload.kind == WorkloadKind::DeploymentConfig => {
            vec![
                format!(
                    "oc rollout latest {}{}",
                    workload_arg(workload),
                    ns_flag(Some(&workload.namespace))
                ),
                format!(
                    "oc rollout status {}{}",
                    workload_arg(workload),
                    ns_flag(Some(&workload.namespace))
                ),
            ]
        }
        StepAction::Restart { workload } => vec![
            format!(
                "kubectl rollout restart {}{}",
                workload_arg(workload),
                ns_flag(Some(&workload.namespace))
            ),
            rollout_status(workload),
        ],
        StepAction::MoveTag { tag, revision } => vec![format!(
            "istioctl tag set {} --revision {} --overwrite",
            quote(tag),
            quote(revision)
        )],
        StepAction::RetargetSailTag { tag, kind, name } => {
            let kind = match kind {
                TagTargetKind::Istio => "Istio",
                TagTargetKind::IstioRevision => "IstioRevision",
            };
            let object = format!(
                "{{\"apiVersion\":\"sailoperator.io/v1\",\"kind\":\"IstioRevisionTag\",\"metadata\":{{\"name\":{}}},\"spec\":{{\"targetRef\":{{\"kind\":\"{kind}\",\"name\":{}}}}}}}",
                json_string(tag),
                json_string(name)
            );
            vec![format!(
                "printf '%s\\n' {} | kubectl apply -f -",
                quote(&object)
            )]
        }
        StepAction::SetIstioVersion { istio, version } => vec![format!(
            "kubectl patch istio {} --type merge -p {}",
            quote(istio),
            quote(&format!(
                "{{\"spec\":{{\"version\":{}}}}}",
                json_string(version)
            ))
        )],
        StepAction::Delete { object } => vec![delete(object)],
        StepAction::AwaitGone { object } => vec![format!(
            "kubectl wait --for=delete {}{} --timeout=30m",
            quote(&format!("{}/{}", resource(&object.kind), object.name)),
            ns_flag(object.namespace.as_deref())
        )],
        StepAction::Verify { .. } => Vec::new(),
    }
}

fn delete(object: &ObjectRef) -> String {
    format!(
        "kubectl delete {} {}{}",
        quote(&resource(&object.kind)),
        quote(&object.name),
        ns_flag(object.namespace.as_deref())
    )
}

fn rollout_status(workload: &WorkloadId) -> String {
    format!(
        "kubectl rollout status {}{}",
        workload_arg(workload),
        ns_flag(Some(&workload.namespace))
    )
}

/// The Deployments of a namespace the plan leaves alone (opted out, ...): when
/// there are none, the namespace's Deployment restarts render as the guide's
/// one command, `kubectl rollout restart deployment -n NS`.
fn all_deployments(plan: &Plan, namespace: &str, restarted: &BTreeSet<&str>) -> bool {
    let Some(scope) = plan.scope.namespace(namespace) else {
        return false;
    };
    let deployments: BTreeSet<&str> = scope
        .workloads
        .iter()
        .filter(|w| w.workload.kind == WorkloadKind::Deployment)
        .map(|w| w.workload.name.as_str())
        .collect();
    !deployments.is_empty() && deployments == *restarted
}

/// The whole plan as a bash script.
pub fn kubectl(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str("#!/usr/bin/env bash\n");
    out.push_str(&format!(
        "# meshrev plan: {} -> {} ({}), {} steps in {} waves.\n",
        comment(
            &plan
                .sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        comment(&plan.target.revision),
        plan.strategy,
        plan.len(),
        plan.waves.len()
    ));
    out.push_str("# Review before running: every command runs in order; the first that fails stops the script.\n");
    for note in &plan.notes {
        out.push_str(&format!("# Note: {}\n", comment(note)));
    }
    out.push_str("set -euo pipefail\n");
    for wave in &plan.waves {
        out.push('\n');
        out.push_str(&format!(
            "# Wave {} ({}){}\n",
            wave.number,
            wave.kind,
            if wave.namespaces.is_empty() {
                String::new()
            } else {
                format!(": {}", comment(&wave.namespaces.join(", ")))
            }
        ));
        let steps = &wave.steps;
        let mut i = 0;
        while i < steps.len() {
            // A run of Deployment restarts in one namespace covering all of them.
            let run = restart_run(&steps[i..]);
            if let Some(ns) = run_namespace(run) {
                let names: BTreeSet<&str> = run.iter().filter_map(restarted_name).collect();
                if all_deployments(plan, ns, &names) {
                    for step in run {
                        step_comment(&mut out, step);
                    }
                    out.push_str(&format!(
                        "kubectl rollout restart deployment -n {}\n",
                        quote(ns)
                    ));
                    for step in run {
                        if let StepAction::Restart { workload } = &step.action {
                            out.push_str(&rollout_status(workload));
                            out.push('\n');
                        }
                    }
                    i += run.len();
                    continue;
                }
            }
            let step = &steps[i];
            step_comment(&mut out, step);
            for line in action_commands(&step.action) {
                out.push_str(&line);
                out.push('\n');
            }
            let checks = match &step.action {
                // Restarts are checked by rollout status, then by the verify step.
                StepAction::Restart { .. } => Vec::new(),
                _ => step.postconditions.clone(),
            };
            for check in &checks {
                for line in check_commands(check, plan) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            i += 1;
        }
    }
    out
}

fn step_comment(out: &mut String, step: &Step) {
    out.push_str(&format!("# Step {}: {}\n", step.id, comment(&step.reason)));
}

fn restarted_name(step: &Step) -> Option<&str> {
    match &step.action {
        StepAction::Restart { workload } if workload.kind == WorkloadKind::Deployment => {
            Some(workload.name.as_str())
        }
        _ => None,
    }
}

fn run_namespace(run: &[Step]) -> Option<&str> {
    run.first().and_then(|s| s.action.namespace())
}

/// The leading steps that restart Deployments of one namespace.
fn restart_run(steps: &[Step]) -> &[Step] {
    let Some(ns) = steps
        .first()
        .filter(|s| restarted_name(s).is_some())
        .and_then(|s| s.action.namespace())
    else {
        return &[];
    };
    let n = steps
        .iter()
        .take_while(|s| restarted_name(s).is_some() && s.action.namespace() == Some(ns))
        .count();
    &steps[..n]
}
