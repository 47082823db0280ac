//! The story (domain.md section 8): OSSM 2.6 -> 3.0, ClusterWide, `istio.io/rev`
//! variant, planned from `01-before.yaml`, checked against the later stages of
//! the same story and against the real kubectl client.

use std::collections::BTreeMap;
use std::process::Command;

use meshrev::labels::Labels;
use meshrev::plan::{self, Request, StepAction, Strategy, WaveKind, render};
use meshrev::status::{is_live, running_revision};
use meshrev::{Mesh, Snapshot};

fn story(stage: &str) -> Mesh {
    Mesh::new(Snapshot::from_path(format!("fixtures/ossm-2.6-to-3.0/{stage}.yaml")).unwrap())
}

fn labels(mesh: &Mesh) -> BTreeMap<String, Labels> {
    mesh.snapshot()
        .namespaces()
        .map(|n| (n.name().to_owned(), n.meta.labels.clone()))
        .collect()
}

const PLANETS: [&str; 5] = ["earth", "jupiter", "mars", "mercury", "venus"];

fn mutating(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter(|l| {
            l.starts_with("kubectl label")
                || l.starts_with("kubectl rollout restart")
                || l.starts_with("kubectl delete")
        })
        .collect()
}

#[test]
fn story_plan_is_the_seed_commands_in_wave_order() {
    let mesh = story("01-before");
    let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
    assert_eq!(plan.strategy, Strategy::OssmClusterWide);
    assert_eq!(plan.target.revision, "ossm3");
    assert_eq!(plan.sources.len(), 1);
    assert_eq!(plan.sources[0].name, "basic");
    // Canary: the smallest namespace by pods (ties by name), then one at a time.
    let order: Vec<&str> = plan.moved_namespaces().collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, PLANETS);
    assert_eq!(plan.waves[0].kind, WaveKind::Canary);
    assert_eq!(plan.waves.last().unwrap().kind, WaveKind::Cleanup);

    let script = render::kubectl(&plan);
    let mut expected = Vec::new();
    for ns in &order {
        expected.push(format!(
            "kubectl label namespace {ns} maistra.io/ignore-namespace=\"true\" istio-injection- istio.io/rev=ossm3 --overwrite=true"
        ));
        expected.push(format!("kubectl rollout restart deployment -n {ns}"));
    }
    expected.push("kubectl delete smcp basic -n istio-system".to_owned());
    assert_eq!(mutating(&script), expected, "{script}");
    // Every restart is waited for, per Deployment.
    assert!(script.contains("kubectl rollout status deployment/web -n mercury\n"));
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("\nset -euo pipefail\n"));
}

#[test]
fn story_simulation_ends_where_the_story_does() {
    let mesh = story("01-before");
    let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
    // Up to the clean-up wave: exactly the labels of 04-all-migrated.yaml.
    let before_cleanup = plan
        .steps()
        .filter(|s| !matches!(s.action, StepAction::Delete { .. }))
        .map(|s| s.id)
        .max()
        .unwrap();
    let mut sim = plan::Simulation::new(&mesh, plan.allowed_label_keys());
    for step in plan.steps().filter(|s| s.id <= before_cleanup) {
        sim.step(step).unwrap();
    }
    assert_eq!(labels(sim.mesh()), labels(&story("04-all-migrated")));
    // Every pod in the five namespaces runs ossm3.
    for ns in PLANETS {
        let pods: Vec<_> = sim
            .mesh()
            .snapshot()
            .pods_in(ns)
            .filter(|p| is_live(p))
            .collect();
        assert!(!pods.is_empty());
        for pod in pods {
            assert_eq!(
                running_revision(pod).0.revision(),
                Some("ossm3"),
                "{ns}/{}",
                pod.meta.name
            );
        }
    }
    // After the delete: the labels of 05-smcp-deleted.yaml, and no basic at all.
    let end = plan::simulate(&mesh, &plan).unwrap();
    assert_eq!(labels(&end), labels(&story("05-smcp-deleted")));
    assert!(end.revision("basic").is_none());
    // The plan's own end state says the same.
    for ns in &plan.end_state.namespaces {
        assert_eq!(ns.injector.as_deref(), Some("ossm3"), "{}", ns.name);
        assert!(ns.workloads.iter().all(|w| w.running
            == [meshrev::status::Running::Revision("ossm3".into())]
            && !w.needs_restart));
    }
}

#[test]
fn story_plan_round_trips_and_replays() {
    let mesh = story("01-before");
    let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
    let json = serde_json::to_string(&plan).unwrap();
    let back: plan::Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
    let yaml = serde_yaml::to_string(&plan).unwrap();
    assert_eq!(serde_yaml::from_str::<plan::Plan>(&yaml).unwrap(), plan);
    // A saved plan replays on the snapshot it was made from...
    plan::simulate(&mesh, &back).unwrap();
    // ...and is refused, naming the step, on one where it no longer fits.
    let err = plan::simulate(&story("04-all-migrated"), &back).unwrap_err();
    assert!(err.to_string().contains("step 1 "), "{err}");
}

#[test]
fn story_rollback_restores_the_labels_exactly() {
    let mesh = story("01-before");
    let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
    let delete = plan
        .steps()
        .find(|s| matches!(s.action, StepAction::Delete { .. }))
        .unwrap()
        .id;
    for done in 1..delete {
        let back = plan.rollback(&mesh, Some(done)).unwrap();
        let mut sim = plan::Simulation::new(&mesh, plan.allowed_label_keys());
        for step in plan.steps().filter(|s| s.id <= done) {
            sim.step(step).unwrap();
        }
        let end = plan::simulate(sim.mesh(), &back).unwrap();
        assert_eq!(labels(&end), labels(&mesh), "rollback after step {done}");
        for ns in PLANETS {
            for pod in end.snapshot().pods_in(ns).filter(|p| is_live(p)) {
                assert_eq!(
                    running_revision(pod).0.revision(),
                    Some("basic"),
                    "after {done}: {ns}/{}",
                    pod.meta.name
                );
            }
        }
    }
    let err = plan.rollback(&mesh, None).unwrap_err();
    assert!(matches!(err, plan::PlanError::NoRollback { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("ServiceMeshControlPlane istio-system/basic"),
        "{err}"
    );
}

/// The label commands, run by the real kubectl client in `--local` mode on the
/// namespaces as the snapshot has them, give the labels the simulation gives.
#[test]
fn story_label_commands_agree_with_kubectl() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("skipped: kubectl is not installed");
        return;
    }
    let mesh = story("01-before");
    let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
    let dir = std::env::temp_dir().join(format!("meshrev-story-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let end = plan::simulate(&mesh, &plan).unwrap();
    for step in plan.steps() {
        let StepAction::LabelNamespace { namespace, .. } = &step.action else {
            continue;
        };
        let before = mesh.snapshot().namespace(namespace).unwrap();
        let file = dir.join(format!("{namespace}.json"));
        let object = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": before.meta.labels},
        });
        std::fs::write(&file, object.to_string()).unwrap();
        let command = render::action_commands(&step.action).remove(0);
        // The rendered line is a shell command: let bash split it, as it would.
        let shell = format!(
            "{} --local -f {} -o json",
            command.replacen(
                &format!("kubectl label namespace {namespace} "),
                "kubectl label ",
                1
            ),
            file.display()
        );
        let out = Command::new("bash").arg("-c").arg(&shell).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Labels = serde_json::from_value(got["metadata"]["labels"].clone()).unwrap();
        let mut want = end
            .snapshot()
            .namespace(namespace)
            .unwrap()
            .meta
            .labels
            .clone();
        // maistra.io/member-of is the Maistra operator's, not kubectl's: it reacts
        // to the relabel afterwards.
        want.remove("maistra.io/member-of");
        let mut got = got;
        got.remove("maistra.io/member-of");
        assert_eq!(got, want, "{namespace}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
