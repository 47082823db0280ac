//! Property tests of the planner over generated meshes of the three families
//! (upstream revisions with their chart webhooks, Sail `Istio`s, a Maistra
//! ClusterWide SMCP next to a 3.0 `Istio`) and generated namespaces, workloads
//! and pods:
//! - a plan's simulation breaks no invariant at any step, and ends with every
//!   moved workload on the target and nothing in scope left needing a restart;
//! - no label outside the injection keys changes;
//! - plan-then-rollback (of the whole plan, and of a prefix) restores the
//!   original labels exactly;
//! - the kubectl script is a flat list of one-line commands bash accepts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

use meshrev::labels::Labels;
use meshrev::plan::{self, INJECTION_KEYS, PlanError, Request, StepAction, render};
use meshrev::status::{is_live, running_revision};
use meshrev::{Mesh, Snapshot};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Family {
    Upstream,
    Sail,
    Maistra,
}

#[derive(Debug, Clone)]
struct Ns {
    /// 0: on the source, 1: already on the target, 2: no label.
    label: u8,
    workloads: Vec<Wl>,
}

#[derive(Debug, Clone)]
struct Wl {
    opt_out: bool,
    pods: u8,
    /// The pods run the other revision than the namespace's (drift).
    drift: bool,
}

fn arb_ns() -> impl Strategy<Value = Ns> {
    (
        0u8..3,
        prop::collection::vec(
            (any::<bool>(), 0u8..3, prop::bool::weighted(0.2)).prop_map(|(o, p, d)| Wl {
                opt_out: o,
                pods: p,
                drift: d,
            }),
            0..4,
        ),
    )
        .prop_map(|(label, workloads)| Ns { label, workloads })
}

fn arb_case() -> impl Strategy<Value = (Family, Vec<Ns>)> {
    (
        prop_oneof![
            Just(Family::Upstream),
            Just(Family::Sail),
            Just(Family::Maistra)
        ],
        prop::collection::vec(arb_ns(), 1..6),
    )
}

/// (source, target) revision names per family.
fn revisions(f: Family) -> (&'static str, &'static str) {
    match f {
        Family::Upstream => ("1-23-0", "1-24-0"),
        Family::Sail => ("blue", "green"),
        Family::Maistra => ("basic", "ossm3"),
    }
}

/// The chart's `rev.namespace.` and `rev.object.` webhooks for an upstream revision.
fn upstream_revision(out: &mut String, rev: &str, version: &str) {
    write!(
        out,
        r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod-{rev}, namespace: istio-system, labels: {{app: istiod, istio.io/rev: {rev}}}}}
spec:
  template:
    metadata: {{labels: {{app: istiod, istio.io/rev: {rev}, sidecar.istio.io/inject: "false"}}}}
    spec: {{containers: [{{name: discovery, image: "docker.io/istio/pilot:{version}"}}]}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {{name: istio-sidecar-injector-{rev}, labels: {{istio.io/rev: {rev}, app: sidecar-injector}}}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  clientConfig: {{service: {{name: istiod-{rev}, namespace: istio-system, path: /inject}}}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio.io/rev, operator: In, values: ["{rev}"]}}
    - {{key: istio-injection, operator: DoesNotExist}}
  objectSelector:
    matchExpressions:
    - {{key: sidecar.istio.io/inject, operator: NotIn, values: ["false"]}}
- name: rev.object.sidecar-injector.istio.io
  clientConfig: {{service: {{name: istiod-{rev}, namespace: istio-system, path: /inject}}}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio.io/rev, operator: DoesNotExist}}
    - {{key: istio-injection, operator: DoesNotExist}}
  objectSelector:
    matchExpressions:
    - {{key: sidecar.istio.io/inject, operator: NotIn, values: ["false"]}}
    - {{key: istio.io/rev, operator: In, values: ["{rev}"]}}
"#
    )
    .unwrap();
}

fn snapshot(family: Family, namespaces: &[Ns]) -> String {
    let (source, target) = revisions(family);
    let mut out = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n");
    match family {
        Family::Upstream => {
            upstream_revision(&mut out, source, "1.23.0");
            upstream_revision(&mut out, target, "1.24.0");
        }
        Family::Sail => {
            for (name, v) in [(source, "v1.24.3"), (target, "v1.25.1")] {
                write!(out, "---\napiVersion: sailoperator.io/v1\nkind: Istio\nmetadata: {{name: {name}}}\nspec: {{version: {v}, namespace: istio-system}}\n").unwrap();
            }
        }
        Family::Maistra => {
            out.push_str("---\napiVersion: maistra.io/v2\nkind: ServiceMeshControlPlane\nmetadata: {name: basic, namespace: istio-system, uid: smcp-uid}\nspec: {version: v2.6, mode: ClusterWide}\n");
            out.push_str("---\napiVersion: maistra.io/v1\nkind: ServiceMeshMemberRoll\nmetadata:\n  name: default\n  namespace: istio-system\n  ownerReferences: [{apiVersion: maistra.io/v2, kind: ServiceMeshControlPlane, name: basic, uid: smcp-uid, controller: true}]\nspec:\n  memberSelectors: [{matchLabels: {istio-injection: enabled}}]\n");
            out.push_str("---\napiVersion: sailoperator.io/v1\nkind: Istio\nmetadata: {name: ossm3}\nspec: {version: v1.24.3, namespace: istio-system}\n");
        }
    }
    for (i, ns) in namespaces.iter().enumerate() {
        let name = format!("ns{i}");
        let (labels, runs): (String, Option<&str>) = match (family, ns.label) {
            (Family::Maistra, 0) => (
                "{istio-injection: enabled, maistra.io/member-of: istio-system}".into(),
                Some(source),
            ),
            (Family::Maistra, 1) => (
                format!("{{istio.io/rev: {target}, maistra.io/ignore-namespace: \"true\"}}"),
                Some(target),
            ),
            (_, 0) => (format!("{{istio.io/rev: {source}}}"), Some(source)),
            (_, 1) => (format!("{{istio.io/rev: {target}}}"), Some(target)),
            _ => ("{}".into(), None),
        };
        write!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n"
        )
        .unwrap();
        for (j, w) in ns.workloads.iter().enumerate() {
            let app = format!("app{j}");
            // Maistra's policy is `disabled`: pods opt in. Others opt out or not.
            let inject = match (family, w.opt_out) {
                (_, true) => "\"false\"",
                (Family::Maistra, false) => "\"true\"",
                _ => "\"\"",
            };
            let template_labels = if w.opt_out {
                format!("{{app: {app}, sidecar.istio.io/inject: \"false\"}}")
            } else {
                format!("{{app: {app}}}")
            };
            write!(out, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}, namespace: {name}}}\nspec:\n  replicas: {}\n  template:\n    metadata: {{labels: {template_labels}, annotations: {{sidecar.istio.io/inject: {inject}}}}}\n    spec: {{containers: [{{name: {app}}}]}}\n", w.pods).unwrap();
            for k in 0..w.pods {
                let running = match (runs, w.opt_out, w.drift) {
                    (_, true, _) => None,
                    (Some(r), false, false) => Some(r),
                    (Some(r), false, true) => Some(if r == source { target } else { source }),
                    (None, false, _) => None,
                };
                let (annotations, containers) = match running {
                    Some(r) => (
                        format!("{{istio.io/rev: {r}, sidecar.istio.io/inject: {inject}}}"),
                        format!("[{{name: {app}}}, {{name: istio-proxy}}]"),
                    ),
                    None => (
                        format!("{{sidecar.istio.io/inject: {inject}}}"),
                        format!("[{{name: {app}}}]"),
                    ),
                };
                write!(out, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{k}\n  namespace: {name}\n  labels: {template_labels}\n  annotations: {annotations}\n  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {app}, uid: u-{i}-{j}, controller: true}}]\nspec: {{containers: {containers}}}\nstatus: {{phase: Running}}\n").unwrap();
            }
        }
    }
    out
}

fn labels(mesh: &Mesh) -> BTreeMap<String, Labels> {
    mesh.snapshot()
        .namespaces()
        .map(|n| (n.name().to_owned(), n.meta.labels.clone()))
        .collect()
}

fn bash_accepts(script: &str) -> bool {
    match Command::new("bash").args(["-n", "-c", script]).output() {
        Ok(out) => out.status.success(),
        Err(_) => true, // no bash: the structural checks below still run
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn plans_are_safe_complete_and_reversible((family, namespaces) in arb_case()) {
        let text = snapshot(family, &namespaces);
        let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
        let (_, target) = revisions(family);
        let plan = match plan::plan(&mesh, &Request::to(target)) {
            Ok(p) => p,
            // A refusal is an answer; a plan that breaks the mesh or cannot be
            // applied is a planner bug.
            Err(e @ (PlanError::Unsafe { .. } | PlanError::StepFailed { .. })) => {
                return Err(TestCaseError::fail(format!("{e}\n{text}")));
            }
            Err(_) => return Ok(()),
        };
        // No invariant breaks at any step (simulate re-checks every one).
        let end = plan::simulate(&mesh, &plan).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // Every moved workload runs the target; nothing in scope needs a restart.
        for ns in &plan.scope.namespaces {
            for w in ns.workloads.iter().filter(|w| w.disposition.moves()) {
                for pod in end.snapshot().pods_in(&ns.name).filter(|p| is_live(p)) {
                    if end.snapshot().owner_of(pod).is_some_and(|o| o.meta.name == w.workload.name) {
                        let running = running_revision(pod).0;
                        prop_assert_eq!(running.revision(), Some(target), "{}/{}\n{}", ns.name, pod.meta.name, text);
                    }
                }
            }
        }
        for ns in &plan.end_state.namespaces {
            for w in &ns.workloads {
                prop_assert!(!w.needs_restart, "{}/{} still needs a restart\n{}", ns.name, w.name, text);
            }
        }
        // Only injection labels (and the Maistra operator's member-of) change.
        let (before, after) = (labels(&mesh), labels(&end));
        for (ns, l) in &before {
            let l2 = after.get(ns).cloned().unwrap_or_default();
            for key in l.keys().chain(l2.keys()) {
                if l.get(key) != l2.get(key) {
                    prop_assert!(
                        INJECTION_KEYS.contains(&key.as_str()) || key == "maistra.io/member-of",
                        "{ns}: {key} changed\n{text}"
                    );
                }
            }
        }
        // Rollback of the whole plan (or of the part before a delete) restores
        // the labels exactly.
        let first_delete = plan.steps().find(|s| matches!(s.action, StepAction::Delete { .. } | StepAction::AwaitGone { .. })).map(|s| s.id);
        let done = first_delete.map_or(plan.len(), |d| d - 1);
        for prefix in [done, done / 2] {
            if prefix == 0 {
                continue;
            }
            let back = plan.rollback(&mesh, Some(prefix)).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let mut sim = plan::Simulation::new(&mesh, plan.allowed_label_keys());
            for step in plan.steps().filter(|s| s.id <= prefix) {
                sim.step(step).unwrap();
            }
            let restored = plan::simulate(sim.mesh(), &back).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(labels(&restored), labels(&mesh), "rollback after step {}\n{}", prefix, text);
        }
        if let Some(d) = first_delete {
            let refused = matches!(plan.rollback(&mesh, Some(d)), Err(PlanError::NoRollback { .. }));
            prop_assert!(refused, "rollback past step {} was not refused", d);
        }
        // The script: flat, one command per line, accepted by bash.
        let script = render::kubectl(&plan);
        for line in script.lines() {
            let word = line.split_whitespace().next().unwrap_or("");
            prop_assert!(
                !["for", "while", "until", "if", "function", "case", "{", "}"].contains(&word)
                    && !line.ends_with('\\')
                    && !line.contains("()"),
                "not flat: {line}"
            );
        }
        prop_assert!(bash_accepts(&script), "{script}");
    }
}
