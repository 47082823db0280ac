//! Plans restart each owner kind the way its pods are really replaced (issue 9
//! item 3, issue 11): Deployments by `kubectl rollout restart`, OpenShift
//! DeploymentConfigs by `oc rollout latest` (a `DeploymentRequest` posted to
//! `instantiate`, openshift/oc `pkg/cli/rollout/latest.go`), while Jobs, CronJobs,
//! ReplicaSets and ReplicationControllers with nothing above them, bare pods and
//! controllers the snapshot lacks are reported, never restarted, and never
//! required to move.
//!
//! The namespace `vault` is made by kubectl (`tests/data/kubectl/make.sh`) and
//! read next to the story's first stage, which holds the control planes (`basic`
//! 2.6 ClusterWide, `ossm3` 3.0): every live pod in it runs `basic`.

use std::collections::BTreeMap;

use meshrev::exec::{self, Entry, Fault, Limits, Request, Run, SimulatedCluster, State};
use meshrev::plan::{self, Check, Plan, StepAction, WorkloadDisposition, render};
use meshrev::snapshot::{EditError, WorkloadKind};
use meshrev::status::{Running, is_live, running_revision};
use meshrev::{Mesh, SnapshotBuilder, WorkloadId};

const STORY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/ossm-2.6-to-3.0/01-before.yaml"
);

fn data(name: &str) -> String {
    format!("{}/tests/data/kubectl/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The story's control planes and namespaces plus these kubectl-made files.
fn mesh(files: &[&str]) -> Mesh {
    let mut b = SnapshotBuilder::new();
    b.add_path(STORY).unwrap();
    for f in files {
        b.add_path(data(f)).unwrap();
    }
    Mesh::new(b.build())
}

fn vault() -> Mesh {
    mesh(&["vault.yaml"])
}

fn vault_plan(mesh: &Mesh) -> Plan {
    plan::plan(mesh, &plan::Request::to("ossm3").namespaces(["vault"])).unwrap()
}

fn id(kind: WorkloadKind, name: &str) -> WorkloadId {
    WorkloadId::new("vault", kind, name)
}

/// The revision each live pod of the namespace runs, by pod name.
fn running(mesh: &Mesh, ns: &str) -> BTreeMap<String, Option<String>> {
    mesh.snapshot()
        .pods_in(ns)
        .filter(|p| is_live(p))
        .map(|p| {
            (
                p.meta.name.clone(),
                running_revision(p).0.revision().map(str::to_owned),
            )
        })
        .collect()
}

/// The revision the live pods of one workload run (sorted, once each).
fn workload_runs(mesh: &Mesh, w: &WorkloadId) -> Vec<Option<String>> {
    let s = mesh.snapshot();
    let mut runs: Vec<Option<String>> = s
        .pods_in(&w.namespace)
        .filter(|p| is_live(p))
        .filter(|p| {
            s.owner_of(p)
                .is_some_and(|o| o.kind == w.kind && o.meta.name == w.name)
        })
        .map(|p| running_revision(p).0.revision().map(str::to_owned))
        .collect();
    runs.sort();
    runs.dedup();
    runs
}

fn restarted(plan: &Plan) -> Vec<WorkloadId> {
    plan.steps()
        .filter_map(|s| match &s.action {
            StepAction::Restart { workload } | StepAction::LabelTemplate { workload, .. } => {
                Some(workload.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn only_deployments_and_deploymentconfigs_are_restarted() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    assert_eq!(
        restarted(&plan),
        [
            id(WorkloadKind::Deployment, "api"),
            id(WorkloadKind::DeploymentConfig, "ledger")
        ]
    );
    let kinds: Vec<&str> = plan.steps().map(|s| s.action.kind()).collect();
    assert_eq!(kinds, ["label_namespace", "restart", "restart", "verify"]);
}

#[test]
fn every_owner_kind_is_in_scope_with_what_the_plan_does_with_it() {
    let plan = vault_plan(&vault());
    let ns = plan.scope.namespace("vault").unwrap();
    let got: Vec<(&str, &str, WorkloadDisposition, usize)> = ns
        .workloads
        .iter()
        .map(|w| {
            (
                w.workload.kind.as_str(),
                w.workload.name.as_str(),
                w.disposition,
                w.pods,
            )
        })
        .chain(
            ns.others
                .iter()
                .map(|o| (o.kind.as_str(), o.name.as_str(), o.disposition, o.pods)),
        )
        .collect();
    use WorkloadDisposition::*;
    assert_eq!(
        got,
        [
            // One live pod: the earlier run's pod has Succeeded.
            ("CronJob", "backup", RunsToCompletion, 1),
            ("Deployment", "api", Restart, 1),
            ("DeploymentConfig", "ledger", Restart, 1),
            ("Job", "migrate-db", RunsToCompletion, 1),
            ("ReplicaSet", "cache", RecreateByHand, 1),
            ("ReplicationController", "legacy", RecreateByHand, 1),
            ("Pod", "debug", RecreateByHand, 1),
        ]
    );
    for w in &ns.workloads {
        assert_eq!(w.running, ["basic"], "{}", w.workload);
    }
    assert_eq!(ns.others[0].running, ["basic"]);
    assert!(
        ns.workloads
            .iter()
            .all(|w| w.disposition.moves() != w.disposition.is_reported()
                || w.disposition == AlreadyOnTarget)
    );
}

#[test]
fn reported_workloads_are_noted_with_their_reason_and_what_to_do() {
    let plan = vault_plan(&vault());
    let note = |about: &str| -> &str {
        let found: Vec<&String> = plan.notes.iter().filter(|n| n.contains(about)).collect();
        assert_eq!(found.len(), 1, "{about}: {:#?}", plan.notes);
        found[0]
    };
    for job in ["CronJob vault/backup", "Job vault/migrate-db"] {
        let n = note(job);
        assert!(n.contains("not restarted by the plan"), "{n}");
        assert!(n.contains("run to completion"), "{n}");
        assert!(n.contains("its next run is injected by ossm3"), "{n}");
    }
    let n = note("ReplicaSet vault/cache");
    assert!(n.contains("no Deployment above it"), "{n}");
    assert!(n.contains("kubectl delete pod -n vault cache-q8w4n"), "{n}");
    let n = note("ReplicationController vault/legacy");
    assert!(n.contains("no DeploymentConfig above it"), "{n}");
    assert!(
        n.contains("kubectl delete pod -n vault legacy-h2k9s"),
        "{n}"
    );
    let n = note("pod vault/debug");
    assert!(n.contains("no controller"), "{n}");
    assert!(n.contains("re-create it from its manifest"), "{n}");
    // No placeholder reaches an operator.
    assert!(
        plan.notes.iter().all(|n| !n.contains('<')),
        "{:#?}",
        plan.notes
    );
}

#[test]
fn the_script_rolls_deployments_with_kubectl_and_deploymentconfigs_with_oc() {
    let plan = vault_plan(&vault());
    let script = render::kubectl(&plan);
    let commands: Vec<&str> = script
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("test ") && !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        [
            "set -euo pipefail",
            "kubectl label namespace vault maistra.io/ignore-namespace=\"true\" istio-injection- istio.io/rev=ossm3 --overwrite=true",
            "kubectl rollout restart deployment -n vault",
            "kubectl rollout status deployment/api -n vault",
            "oc rollout latest dc/ledger -n vault",
            "oc rollout status dc/ledger -n vault",
        ],
        "{script}"
    );
    // The reported workloads are in the script's notes, as comments only.
    for name in ["backup", "migrate-db", "cache", "legacy", "debug"] {
        assert!(
            script
                .lines()
                .any(|l| l.starts_with("# Note: ") && l.contains(name)),
            "{name}: {script}"
        );
    }
    // The markdown runbook shows the same commands and every disposition.
    let md = render::markdown(&plan, &plan.rollback(&vault(), None));
    assert!(md.contains("oc rollout latest dc/ledger -n vault"), "{md}");
    assert!(md.contains("CronJob backup (runs to completion"), "{md}");
    assert!(md.contains("Pod debug (nothing rolls it"), "{md}");
}

#[test]
fn the_verification_requires_only_the_restarted_workloads_to_move() {
    let plan = vault_plan(&vault());
    let verify = plan
        .steps()
        .find(|s| matches!(s.action, StepAction::Verify { .. }))
        .unwrap();
    let required: Vec<&WorkloadId> = verify
        .postconditions
        .iter()
        .filter_map(|c| match c {
            Check::WorkloadRunning { workload, .. } => Some(workload),
            _ => None,
        })
        .collect();
    assert_eq!(
        required,
        [
            &id(WorkloadKind::Deployment, "api"),
            &id(WorkloadKind::DeploymentConfig, "ledger")
        ]
    );
}

#[test]
fn the_simulation_moves_what_restarts_and_leaves_the_rest_on_basic() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let end = plan::simulate(&mesh, &plan).unwrap();
    for (w, want) in [
        (id(WorkloadKind::Deployment, "api"), "ossm3"),
        (id(WorkloadKind::DeploymentConfig, "ledger"), "ossm3"),
        (id(WorkloadKind::CronJob, "backup"), "basic"),
        (id(WorkloadKind::Job, "migrate-db"), "basic"),
        (id(WorkloadKind::ReplicaSet, "cache"), "basic"),
        (id(WorkloadKind::ReplicationController, "legacy"), "basic"),
    ] {
        assert_eq!(workload_runs(&end, &w), [Some(want.to_owned())], "{w}");
    }
    assert_eq!(running(&end, "vault")["debug"].as_deref(), Some("basic"));
    // The DeploymentConfig's new pods stay under it, through a ReplicationController.
    let s = end.snapshot();
    let ledger_pods: Vec<_> = s
        .pods_in("vault")
        .filter(|p| s.owner_of(p).is_some_and(|o| o.meta.name == "ledger"))
        .collect();
    assert_eq!(ledger_pods.len(), 1);
    assert_eq!(
        ledger_pods[0].meta.controller().map(|o| o.kind.as_str()),
        Some("ReplicationController")
    );
    // The plan's end state says the same: the reported ones still need a restart.
    let ns = &plan.end_state.namespaces[0];
    assert_eq!(ns.injector.as_deref(), Some("ossm3"));
    let needs: Vec<(&str, bool)> = ns
        .workloads
        .iter()
        .map(|w| (w.name.as_str(), w.needs_restart))
        .collect();
    assert_eq!(
        needs,
        [
            ("backup", true),
            ("api", false),
            ("ledger", false),
            ("migrate-db", true),
            ("debug", true),
            ("cache", true),
            ("legacy", true),
        ]
    );
}

#[test]
fn the_2_6_control_plane_is_kept_while_reported_pods_run_it() {
    let mesh = vault();
    // Every namespace of the story and vault: all Deployments move, yet Job,
    // CronJob, ReplicaSet, ReplicationController and bare pods still run basic.
    let plan = plan::plan(&mesh, &plan::Request::to("ossm3")).unwrap();
    assert!(
        !plan
            .steps()
            .any(|s| matches!(&s.action, StepAction::Delete { object } if object.kind == "ServiceMeshControlPlane")),
        "{:#?}",
        plan.steps().map(|s| s.action.to_string()).collect::<Vec<_>>()
    );
    let kept = plan
        .notes
        .iter()
        .find(|n| n.starts_with("ServiceMeshControlPlane istio-system/basic is not deleted"))
        .unwrap();
    assert!(kept.contains("5 live pod(s) run its sidecar"), "{kept}");
    plan::simulate(&mesh, &plan).unwrap();
}

#[test]
fn rollback_restarts_only_what_the_plan_restarted_with_the_same_tools() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let back = plan.rollback(&mesh, None).unwrap();
    assert_eq!(restarted(&back), restarted(&plan));
    let end = plan::simulate(&plan::simulate(&mesh, &plan).unwrap(), &back).unwrap();
    assert_eq!(
        end.snapshot().namespace("vault").unwrap().meta.labels,
        mesh.snapshot().namespace("vault").unwrap().meta.labels
    );
    // Everything runs basic again, and nothing the plan did not touch changed.
    assert!(
        running(&end, "vault")
            .values()
            .all(|r| r.as_deref() == Some("basic"))
    );
    let script = render::kubectl(&back);
    assert!(
        script.contains("\noc rollout latest dc/ledger -n vault\n"),
        "{script}"
    );
    assert!(
        !script.contains("backup") && !script.contains("debug"),
        "{script}"
    );
}

#[test]
fn the_executor_posts_a_deployment_request_for_a_deploymentconfig() {
    let mesh = vault();
    let dc = StepAction::Restart {
        workload: id(WorkloadKind::DeploymentConfig, "ledger"),
    };
    let requests = exec::render(&dc, mesh.snapshot()).unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(matches!(r, Request::Post { subresource, .. } if subresource == "instantiate"));
    assert_eq!(r.method(), "POST");
    assert_eq!(
        r.path(),
        "/apis/apps.openshift.io/v1/namespaces/vault/deploymentconfigs/ledger/instantiate"
    );
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(
        r.body(),
        Some(&serde_json::json!({
            "kind": "DeploymentRequest",
            "apiVersion": "apps.openshift.io/v1",
            "name": "ledger",
            "latest": true,
            "force": true,
        }))
    );
    // A Deployment still gets kubectl's restartedAt patch.
    let dep = StepAction::Restart {
        workload: id(WorkloadKind::Deployment, "api"),
    };
    let r = &exec::render(&dep, mesh.snapshot()).unwrap()[0];
    assert_eq!(
        (r.method(), r.path().as_str()),
        ("PATCH", "/apis/apps/v1/namespaces/vault/deployments/api")
    );
    // A hand-written plan that restarts what cannot be restarted is refused,
    // with the reason.
    for (kind, name, words) in [
        (WorkloadKind::Job, "migrate-db", "run to completion"),
        (WorkloadKind::CronJob, "backup", "run to completion"),
        (WorkloadKind::ReplicaSet, "cache", "delete its pods"),
        (
            WorkloadKind::ReplicationController,
            "legacy",
            "delete its pods",
        ),
    ] {
        let action = StepAction::Restart {
            workload: id(kind, name),
        };
        let err = exec::render(&action, mesh.snapshot()).unwrap_err();
        assert!(err.to_string().contains(words), "{kind}: {err}");
        assert!(err.to_string().contains(name), "{kind}: {err}");
    }
}

#[test]
fn a_rehearsal_ends_where_the_plan_simulation_does() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let mut cluster = SimulatedCluster::from_mesh(mesh.clone());
    let mut run = Run::with_limits(
        plan.clone(),
        Limits {
            observations: 3,
            ..Limits::default()
        },
    );
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    let simulated = plan::simulate(&mesh, &plan).unwrap();
    // The same pods on the same revisions (the rehearsal's restartedAt stamp
    // makes another template hash, so the restarted pods' names differ).
    let by_owner = |mesh: &Mesh| -> BTreeMap<String, Vec<Option<String>>> {
        let s = mesh.snapshot();
        let mut out: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        for p in s.pods_in("vault").filter(|p| is_live(p)) {
            let owner = s
                .owner_of(p)
                .map_or_else(|| p.meta.name.clone(), |o| o.id().to_string());
            out.entry(owner)
                .or_default()
                .push(running_revision(p).0.revision().map(str::to_owned));
        }
        out
    };
    assert_eq!(by_owner(cluster.mesh()), by_owner(&simulated));
    assert_eq!(by_owner(&simulated).len(), 7);
    // `kubectl rollout restart` stamps the Deployment's template; `oc rollout
    // latest` leaves the DeploymentConfig's alone.
    let s = cluster.mesh().snapshot();
    let annotated = |kind, name| {
        s.workload("vault", kind, name)
            .unwrap()
            .template
            .annotations
            .contains_key(exec::RESTARTED_AT)
    };
    assert!(annotated(WorkloadKind::Deployment, "api"));
    assert!(!annotated(WorkloadKind::DeploymentConfig, "ledger"));
}

#[test]
fn a_job_has_no_rollout_to_simulate() {
    let mesh = vault();
    for (kind, name) in [
        (WorkloadKind::Job, "migrate-db"),
        (WorkloadKind::CronJob, "backup"),
    ] {
        let err = mesh.restart(&id(kind, name)).unwrap_err();
        assert!(matches!(err, EditError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("run to completion"), "{err}");
    }
    // Deleting the pods of a ReplicaSet nothing controls is modelled: it
    // re-creates them from its template.
    assert!(mesh.restart(&id(WorkloadKind::ReplicaSet, "cache")).is_ok());
}

#[test]
fn the_plan_round_trips_with_its_reported_pods() {
    let plan = vault_plan(&vault());
    let json = serde_json::to_value(&plan).unwrap();
    let others = &json["scope"]["namespaces"][0]["others"];
    assert_eq!(
        others,
        &serde_json::json!([{"kind": "Pod", "name": "debug", "pods": 1,
                             "running": ["basic"], "disposition": "recreate_by_hand"}])
    );
    let dispositions: Vec<&str> = json["scope"]["namespaces"][0]["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["disposition"].as_str().unwrap())
        .collect();
    assert_eq!(
        dispositions,
        [
            "runs_to_completion",
            "restart",
            "restart",
            "runs_to_completion",
            "recreate_by_hand",
            "recreate_by_hand"
        ]
    );
    assert_eq!(serde_json::from_value::<Plan>(json).unwrap(), plan);
    let yaml = serde_yaml::to_string(&plan).unwrap();
    assert_eq!(serde_yaml::from_str::<Plan>(&yaml).unwrap(), plan);
}

#[test]
fn a_workload_missing_from_the_snapshot_is_reported_with_what_to_collect() {
    // ledger's namespace is already relabelled to ossm3; the StatefulSet owning
    // redis-0 was not collected, the DeploymentConfig's pod has no DC either.
    let mesh = mesh(&["ledger-namespace.yaml", "ledger-redis-pod.yaml"]);
    let plan = plan::plan(&mesh, &plan::Request::to("ossm3").namespaces(["ledger"])).unwrap();
    let ns = plan.scope.namespace("ledger").unwrap();
    assert_eq!(ns.workloads.len(), 1);
    assert_eq!(
        ns.workloads[0].disposition,
        WorkloadDisposition::NotInSnapshot
    );
    assert!(restarted(&plan).is_empty());
    let note = plan
        .notes
        .iter()
        .find(|n| n.contains("StatefulSet ledger/redis"))
        .unwrap();
    assert!(
        note.contains("add `statefulsets` to the `kubectl get`"),
        "{note}"
    );
    // Its pods keep basic in the end state, flagged.
    let end = &plan.end_state.namespaces[0].workloads[0];
    assert_eq!(end.running, [Running::Revision("basic".into())]);
    assert!(end.needs_restart);
}

// --- A DeploymentConfig's rollout is never requested twice by surprise.
//
// `oc rollout latest` posts a `DeploymentRequest` with `force` to the
// `instantiate` subresource; the API server then raises the DeploymentConfig's
// `status.latestVersion` by one and its controller starts deployment
// `<name>-<latestVersion>` (openshift-apiserver
// `pkg/apps/apiserver/registry/instantiate/rest.go`, `REST.Create`). Posting it
// again is another rollout, so the run journals the latestVersion it saw before
// sending and, when it cannot know the outcome (a crash, a timeout), observes
// before sending again.

fn ledger() -> WorkloadId {
    id(WorkloadKind::DeploymentConfig, "ledger")
}

fn ledger_step(plan: &Plan) -> usize {
    plan.steps()
        .find(|s| s.action == StepAction::Restart { workload: ledger() })
        .expect("the plan restarts ledger")
        .id
}

fn latest_version(mesh: &Mesh) -> Option<i64> {
    mesh.snapshot()
        .workload("vault", WorkloadKind::DeploymentConfig, "ledger")
        .and_then(|w| w.latest_version)
}

fn quick() -> Limits {
    Limits {
        observations: 3,
        ..Limits::default()
    }
}

/// The `sent` entries of a step: (latest_version) each.
fn sent(journal: &[Entry], step: usize) -> Vec<Option<i64>> {
    journal
        .iter()
        .filter_map(|e| match e {
            Entry::Sent {
                step: s,
                latest_version,
                ..
            } if *s == step => Some(*latest_version),
            _ => None,
        })
        .collect()
}

#[test]
fn the_snapshot_reads_a_deploymentconfigs_latest_version_and_the_simulation_raises_it() {
    let mesh = vault();
    // tests/data/kubectl/vault.yaml: `status: {latestVersion: 3}`, as `ledger-3` is its latest.
    assert_eq!(latest_version(&mesh), Some(3));
    // Other kinds have none, whatever their status says.
    let api = mesh
        .snapshot()
        .workload("vault", WorkloadKind::Deployment, "api")
        .unwrap();
    assert_eq!(api.latest_version, None);
    // The plan's simulation instantiates once: the end shows deployment 4.
    let plan = vault_plan(&mesh);
    assert_eq!(
        latest_version(&plan::simulate(&mesh, &plan).unwrap()),
        Some(4)
    );
    // Bad input is refused naming the object and the field.
    let yaml = |status: &str| {
        format!(
            "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {{name: ledger, namespace: vault}}\nspec: {{template: {{metadata: {{labels: {{app: ledger}}}}}}}}\nstatus: {status}\n"
        )
    };
    for (status, words) in [
        ("{latestVersion: -1}", "is negative"),
        ("{latestVersion: three}", "latestVersion"),
    ] {
        let err = meshrev::Snapshot::from_yaml(&yaml(status)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("ledger") && text.contains(words),
            "{status}: {text}"
        );
    }
    // No status at all: unknown, not zero.
    let s = meshrev::Snapshot::from_yaml(&yaml("{}")).unwrap();
    let dc = s
        .workload("vault", WorkloadKind::DeploymentConfig, "ledger")
        .unwrap();
    assert_eq!(dc.latest_version, None);
    // The edit is for DeploymentConfigs only.
    let mut s = mesh.snapshot().clone();
    let err = s
        .apply(&meshrev::Edit::Instantiate {
            workload: id(WorkloadKind::Deployment, "api"),
        })
        .unwrap_err();
    assert!(err.to_string().contains("only a DeploymentConfig"), "{err}");
    s.apply(&meshrev::Edit::Instantiate { workload: ledger() })
        .unwrap();
    assert_eq!(
        s.workload("vault", WorkloadKind::DeploymentConfig, "ledger")
            .unwrap()
            .latest_version,
        Some(4)
    );
}

#[test]
fn a_crash_around_a_deploymentconfigs_instantiate_rolls_it_out_once() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let k = ledger_step(&plan);
    let end = plan::simulate(&mesh, &plan).unwrap();
    // Died before the request left; after it, with the rollout done; after it,
    // with the rollout still under way when the run resumes (its pods still
    // on basic, so the step's postconditions do not hold yet).
    let schedules = [
        vec![Fault::CrashBefore { step: k }],
        vec![Fault::CrashAfter { step: k }],
        vec![
            Fault::CrashAfter { step: k },
            Fault::PartialRollout {
                step: k,
                held: 1,
                observations: 2,
            },
        ],
    ];
    for faults in schedules {
        let mut cluster = SimulatedCluster::from_mesh(mesh.clone());
        for f in &faults {
            cluster.inject(f.clone());
        }
        let mut run = Run::with_limits(plan.clone(), quick());
        assert_eq!(exec::run(&mut run, &mut cluster).unwrap_err().step, k);
        // The latestVersion seen before the instantiate was journaled with it.
        assert_eq!(sent(cluster.journal(), k), vec![Some(3)], "{faults:?}");
        let journal = cluster.journal().to_vec();
        let mut run = Run::resume_with_limits(plan.clone(), &journal, quick()).unwrap();
        assert_eq!(
            exec::run(&mut run, &mut cluster).unwrap(),
            State::Finished,
            "{faults:?}"
        );
        // One rollout, whatever happened: sent again only when it never arrived.
        assert_eq!(cluster.restarts(&ledger()), 1, "{faults:?}");
        assert_eq!(latest_version(cluster.mesh()), Some(4), "{faults:?}");
        let again = sent(&cluster.journal()[journal.len()..], k);
        if matches!(faults[0], Fault::CrashBefore { .. }) {
            assert_eq!(again, vec![Some(3)], "{faults:?}");
        } else {
            assert!(again.is_empty(), "{faults:?}: sent again");
            assert!(cluster.journal()[journal.len()..].contains(&Entry::Applied { step: k }));
        }
        assert_eq!(
            workload_runs(cluster.mesh(), &ledger()),
            workload_runs(&end, &ledger())
        );
    }
}

#[test]
fn without_the_journaled_latest_version_a_crashed_instantiate_would_roll_twice() {
    // What the journaled value prevents (and what a journal written before
    // meshrev recorded it still does): the resumed run sees the rollout under
    // way, the step's postconditions unmet and its preconditions holding, and
    // has nothing that tells it the instantiate was made.
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let k = ledger_step(&plan);
    let mut cluster = SimulatedCluster::from_mesh(mesh.clone())
        .with_fault(Fault::CrashAfter { step: k })
        .with_fault(Fault::PartialRollout {
            step: k,
            held: 1,
            observations: 2,
        });
    let mut run = Run::with_limits(plan.clone(), quick());
    assert!(exec::run(&mut run, &mut cluster).is_err());
    let old: Vec<Entry> = cluster
        .journal()
        .iter()
        .map(|e| match e {
            Entry::Sent {
                step,
                attempt,
                restarted_at,
                ..
            } => Entry::Sent {
                step: *step,
                attempt: *attempt,
                restarted_at: restarted_at.clone(),
                latest_version: None,
            },
            other => other.clone(),
        })
        .collect();
    let mut run = Run::resume_with_limits(plan.clone(), &old, quick()).unwrap();
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert_eq!(cluster.restarts(&ledger()), 2);
    assert_eq!(latest_version(cluster.mesh()), Some(5));
}

/// A simulated cluster whose answer to one step's change is lost: the change
/// is made, and the client reports a timeout (retryable).
struct LostAnswer {
    cluster: SimulatedCluster,
    step: usize,
    lost: bool,
}

impl exec::Executor for LostAnswer {
    type Error = exec::Crashed;

    fn perform(&mut self, action: &exec::Action) -> Result<exec::Outcome, exec::Crashed> {
        let outcome = self.cluster.perform(action)?;
        if action.step == self.step
            && !self.lost
            && matches!(action.kind, exec::ActionKind::Change { .. })
        {
            self.lost = true;
            return Ok(exec::Outcome::Failed {
                message: "context deadline exceeded".into(),
                retryable: true,
            });
        }
        Ok(outcome)
    }

    fn wait(&mut self, _: std::time::Duration) {}

    fn now(&mut self) -> std::time::SystemTime {
        self.cluster.now()
    }

    fn record(&mut self, entry: &Entry) -> Result<(), exec::Crashed> {
        self.cluster.record(entry)
    }
}

#[test]
fn a_timed_out_instantiate_is_observed_before_it_is_sent_again() {
    let mesh = vault();
    let plan = vault_plan(&mesh);
    let k = ledger_step(&plan);
    // The timeout hides a made instantiate: the retry observes, sees
    // latestVersion 4, and only waits for the rollout.
    let mut lost = LostAnswer {
        cluster: SimulatedCluster::from_mesh(mesh.clone()),
        step: k,
        lost: false,
    };
    let mut run = Run::with_limits(plan.clone(), quick());
    assert_eq!(exec::run(&mut run, &mut lost).unwrap(), State::Finished);
    assert_eq!(lost.cluster.restarts(&ledger()), 1);
    assert_eq!(sent(lost.cluster.journal(), k), vec![Some(3)]);
    assert!(lost.cluster.journal().contains(&Entry::Applied { step: k }));
    // A timeout that hid nothing (the request never arrived) is sent again
    // after the observation, still counted as the step's second attempt.
    let mut cluster = SimulatedCluster::from_mesh(mesh.clone())
        .with_fault(Fault::FailTimes { step: k, times: 2 });
    let mut run = Run::with_limits(plan.clone(), quick());
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert_eq!(cluster.restarts(&ledger()), 1);
    assert_eq!(sent(cluster.journal(), k), vec![Some(3); 3]);
    let attempts: Vec<u32> = cluster
        .journal()
        .iter()
        .filter_map(|e| match e {
            Entry::Sent { step, attempt, .. } if *step == k => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    // The limit still holds: three timeouts stop the run.
    let mut cluster =
        SimulatedCluster::from_mesh(mesh).with_fault(Fault::FailTimes { step: k, times: 3 });
    let mut run = Run::with_limits(plan, quick());
    match exec::run(&mut run, &mut cluster).unwrap() {
        State::Stopped(exec::StopReason::Failed { step, attempts, .. }) => {
            assert_eq!((step, attempts), (k, 3))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cluster.restarts(&ledger()), 0);
}
