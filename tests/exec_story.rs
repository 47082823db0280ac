//! The story's plan (OSSM 2.6 -> 3.0, `fixtures/ossm-2.6-to-3.0/01-before.yaml`
//! to `ossm3`) carried out on the simulated cluster: uninterrupted, failing at
//! every step, crashing after every step, rolled back, and with the faults a
//! real cluster has (retries, partial rollouts, changes that do not stick).

use std::collections::BTreeMap;
use std::time::SystemTime;

use meshrev::exec::{
    self, ActionKind, Entry, Executor, Fault, JournalError, Limits, PatchKind, Request, Run,
    SimulatedCluster, State, StopReason,
};
use meshrev::labels::Labels;
use meshrev::plan::{self, Plan, StepAction};
use meshrev::status::{is_live, running_revision};
use meshrev::{Mesh, Snapshot, WorkloadId};

fn before() -> Mesh {
    Mesh::new(Snapshot::from_path("fixtures/ossm-2.6-to-3.0/01-before.yaml").unwrap())
}

fn story_plan() -> Plan {
    plan::plan(&before(), &plan::Request::to("ossm3")).unwrap()
}

/// Patient but quick: the simulation has no clock.
fn limits() -> Limits {
    Limits {
        observations: 3,
        ..Limits::default()
    }
}

fn labels(snapshot: &Snapshot) -> BTreeMap<String, Labels> {
    snapshot
        .namespaces()
        .map(|n| (n.name().to_owned(), n.meta.labels.clone()))
        .collect()
}

/// The cluster after an uninterrupted run.
fn uninterrupted() -> Snapshot {
    let mut cluster = SimulatedCluster::from_mesh(before());
    let mut run = Run::with_limits(story_plan(), limits());
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    cluster.mesh().snapshot().clone()
}

/// Resumes from the cluster's journal until the run finishes (at most `tries` times).
fn resume_to_end(plan: &Plan, cluster: &mut SimulatedCluster, tries: usize) {
    for _ in 0..tries {
        let journal = cluster.journal().to_vec();
        let mut run = Run::resume_with_limits(plan.clone(), &journal, limits()).unwrap();
        match exec::run(&mut run, cluster) {
            Ok(State::Finished) => return,
            Ok(_) | Err(_) => continue,
        }
    }
    panic!("the run did not finish after {tries} resumes");
}

#[test]
fn uninterrupted_run_ends_where_the_plan_simulation_ends() {
    let plan = story_plan();
    let end = uninterrupted();
    let simulated = plan::simulate(&before(), &plan).unwrap();
    assert_eq!(labels(&end), labels(simulated.snapshot()));
    // Every live pod runs ossm3, and the SMCP is gone.
    let moved: Vec<&str> = plan.moved_namespaces().collect();
    let pods: Vec<_> = end
        .pods()
        .filter(|p| is_live(p) && moved.contains(&p.meta.namespace.as_deref().unwrap_or_default()))
        .collect();
    assert!(!pods.is_empty());
    for pod in pods {
        assert_eq!(
            running_revision(pod).0.revision(),
            Some("ossm3"),
            "{}",
            pod.meta.name
        );
    }
    assert_eq!(end.control_planes().count(), 0);
    // The restarts carry the caller's timestamp, as kubectl rollout restart does.
    let web = end
        .workloads_in("mercury")
        .next()
        .expect("mercury has workloads");
    assert_eq!(
        web.template.annotations[exec::RESTARTED_AT],
        "2026-01-01T00:00:00Z"
    );
}

#[test]
fn fail_at_every_step_then_resume_reaches_the_same_end() {
    let plan = story_plan();
    let end = uninterrupted();
    for step in plan.steps() {
        let k = step.id;
        let mut cluster = SimulatedCluster::from_mesh(before()).with_fault(Fault::Fail { step: k });
        let mut run = Run::with_limits(plan.clone(), limits());
        let state = exec::run(&mut run, &mut cluster).unwrap();
        if step.action.is_change() {
            match state {
                State::Stopped(StopReason::Failed {
                    step, attempts: 1, ..
                }) => {
                    assert_eq!(step, k)
                }
                other => panic!("step {k}: {other:?}"),
            }
        } else {
            // A refusal only ever meets a change: observing steps never fail.
            assert_eq!(state, State::Finished, "step {k}");
        }
        resume_to_end(&plan, &mut cluster, 1);
        assert!(
            cluster.mesh().snapshot() == &end,
            "fail at {k}: the end differs"
        );
    }
}

#[test]
fn crash_after_every_step_then_resume_reaches_the_same_end() {
    let plan = story_plan();
    let end = uninterrupted();
    for step in plan.steps().filter(|s| s.action.is_change()) {
        let k = step.id;
        let mut cluster =
            SimulatedCluster::from_mesh(before()).with_fault(Fault::CrashAfter { step: k });
        let mut run = Run::with_limits(plan.clone(), limits());
        let err = exec::run(&mut run, &mut cluster).unwrap_err();
        assert_eq!(err.step, k);
        let changes = cluster.changes();
        // The journal says the change was sent but not that it was applied.
        assert!(matches!(
            cluster.journal().last(),
            Some(Entry::Sent { step, .. }) if *step == k
        ));
        let crashed = cluster.journal().len();
        resume_to_end(&plan, &mut cluster, 1);
        assert!(
            cluster.mesh().snapshot() == &end,
            "crash after {k}: the end differs"
        );
        // The crashed step is re-observed and found made: a relabel because its
        // postconditions hold, a restart because the workload carries the
        // restartedAt value journaled before it was sent.
        let after = &cluster.journal()[crashed..];
        if matches!(step.action, StepAction::Restart { .. }) {
            assert!(after.contains(&Entry::Applied { step: k }), "step {k}");
        } else {
            assert!(
                after.contains(&Entry::Done {
                    step: k,
                    already: true
                }),
                "step {k}"
            );
        }
        assert!(
            !after
                .iter()
                .any(|e| matches!(e, Entry::Sent { step, .. } if *step == k)),
            "step {k} was sent again"
        );
        let remaining = plan
            .steps()
            .filter(|s| s.id > k && s.action.is_change())
            .count();
        assert_eq!(cluster.changes(), changes + remaining, "crash after {k}");
        assert_eq!(
            cluster.restart_counts(),
            &planned_restarts(&plan),
            "crash after {k}"
        );
    }
}

/// How many times the plan restarts each workload.
fn planned_restarts(plan: &Plan) -> BTreeMap<WorkloadId, u32> {
    let mut planned = BTreeMap::new();
    for step in plan.steps() {
        if let StepAction::Restart { workload } = &step.action {
            *planned.entry(workload.clone()).or_insert(0) += 1;
        }
    }
    planned
}

/// The restartedAt values the journal's `sent` entries of a step carry.
fn sent_values(journal: &[Entry], k: usize) -> Vec<Option<String>> {
    journal
        .iter()
        .filter_map(|e| match e {
            Entry::Sent {
                step, restarted_at, ..
            } if *step == k => Some(restarted_at.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_crash_between_sending_a_step_and_recording_its_outcome_never_applies_it_twice() {
    // For every change of the story, three ways to die with the step in flight:
    // before the request reached the cluster; after it, with the rollout done;
    // after it, with the rollout still under way (a restart re-sent then, with
    // a new value, would roll the workload a second time).
    let plan = story_plan();
    let end = uninterrupted();
    let planned = planned_restarts(&plan);
    assert!(
        planned.len() > 3 && planned.values().all(|n| *n == 1),
        "{planned:?}"
    );
    let mut restarts_checked = 0;
    for step in plan.steps().filter(|s| s.action.is_change()) {
        let k = step.id;
        let restart = matches!(step.action, StepAction::Restart { .. });
        let mut schedules = vec![
            vec![Fault::CrashBefore { step: k }],
            vec![Fault::CrashAfter { step: k }],
        ];
        if restart {
            schedules.push(vec![
                Fault::CrashAfter { step: k },
                Fault::PartialRollout {
                    step: k,
                    held: 1,
                    observations: 2,
                },
            ]);
        }
        for faults in schedules {
            let mut cluster = SimulatedCluster::from_mesh(before());
            for f in &faults {
                cluster.inject(f.clone());
            }
            let mut run = Run::with_limits(plan.clone(), limits());
            assert_eq!(exec::run(&mut run, &mut cluster).unwrap_err().step, k);
            // The value was journaled before the request was handed out.
            let sent = sent_values(cluster.journal(), k);
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].is_some(), restart, "step {k}");
            resume_to_end(&plan, &mut cluster, 3);
            assert!(
                cluster.mesh().snapshot() == &end,
                "{faults:?}: the end differs"
            );
            assert_eq!(cluster.restart_counts(), &planned, "{faults:?}");
            // Sent again only when it never arrived, and then with the same value.
            let sent_again = sent_values(cluster.journal(), k);
            if matches!(faults[0], Fault::CrashBefore { .. }) {
                assert_eq!(sent_again, vec![sent[0].clone(); 2], "{faults:?}");
            } else {
                assert_eq!(sent_again, sent, "{faults:?}");
            }
            restarts_checked += usize::from(restart);
        }
    }
    assert_eq!(restarts_checked, 3 * planned.len());
}

#[test]
fn a_restart_sent_twice_with_its_value_rolls_once_and_a_rollback_rolls_again() {
    // What makes re-sending safe: the same restartedAt value leaves the
    // template, and so the pods, as they are. A later restart of the same
    // workload (a rollback's) in the same second gets a value one second on.
    let plan = story_plan();
    let restart = plan
        .steps()
        .find(|s| matches!(s.action, StepAction::Restart { .. }))
        .unwrap();
    let StepAction::Restart { workload } = &restart.action else {
        unreachable!()
    };
    // The run stops at the next change; the rollback undoes the restart too.
    let next = plan
        .steps()
        .find(|s| s.id > restart.id && s.action.is_change())
        .unwrap();
    let mut cluster =
        SimulatedCluster::from_mesh(before()).with_fault(Fault::Fail { step: next.id });
    let mut run = Run::with_limits(plan.clone(), limits());
    let mut sent = Vec::new();
    while let Some(action) = run.poll_action(cluster.now()) {
        let outcome = cluster.perform(&action).unwrap();
        if action.step == restart.id
            && let ActionKind::Change { requests } = &action.kind
        {
            sent.push(requests[0].clone());
            let pods = cluster.mesh().snapshot().clone();
            // The same request again: accepted, nothing rolls.
            assert_eq!(cluster.perform(&action).unwrap(), exec::Outcome::Applied);
            assert!(cluster.mesh().snapshot() == &pods);
        }
        run.handle_outcome(action.id, outcome).unwrap();
    }
    assert!(matches!(run.state(), State::Stopped(_)));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].restarted_at(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(cluster.restarts(workload), 1);
    let back = plan.rollback(&before(), run.rollback_through()).unwrap();
    assert!(back.steps().any(|s| s.action
        == StepAction::Restart {
            workload: workload.clone()
        }));
    cluster.clear_journal();
    let mut run = Run::with_limits(back, limits());
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert_eq!(cluster.restarts(workload), 2);
    let w = cluster
        .mesh()
        .snapshot()
        .workload(&workload.namespace, workload.kind, &workload.name)
        .unwrap();
    assert_eq!(
        w.template.annotations[exec::RESTARTED_AT],
        "2026-01-01T00:00:01Z"
    );
}

#[test]
fn a_journal_written_before_restart_values_were_recorded_still_resumes() {
    // Lines as meshrev wrote them before `restarted_at` (no such field).
    let plan = story_plan();
    let restart = plan
        .steps()
        .find(|s| matches!(s.action, StepAction::Restart { .. }))
        .unwrap();
    let mut cluster = SimulatedCluster::from_mesh(before());
    let mut run = Run::with_limits(plan.clone(), limits());
    exec::run(&mut run, &mut cluster).unwrap();
    let done: String = cluster
        .journal()
        .iter()
        .take_while(|e| !matches!(e, Entry::Sent { step, .. } if *step == restart.id))
        .map(|e| e.to_line() + "\n")
        .collect();
    let old = format!(
        "{done}{{\"entry\":\"sent\",\"step\":{},\"attempt\":1}}\n",
        restart.id
    );
    let entries = exec::journal::parse(&old).unwrap();
    assert_eq!(
        entries.last(),
        Some(&Entry::Sent {
            step: restart.id,
            attempt: 1,
            restarted_at: None,
            latest_version: None,
        })
    );
    // The cluster is already at the end: the step is found done.
    let mut run = Run::resume_with_limits(plan.clone(), &entries, limits()).unwrap();
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
}

#[test]
fn rollback_after_a_failure_restores_the_original_labels_exactly() {
    let plan = story_plan();
    let original = labels(before().snapshot());
    let mut rolled_back = 0;
    for step in plan.steps().filter(|s| s.action.is_change()) {
        let k = step.id;
        let mut cluster = SimulatedCluster::from_mesh(before()).with_fault(Fault::Fail { step: k });
        let mut run = Run::with_limits(plan.clone(), limits());
        assert!(matches!(
            exec::run(&mut run, &mut cluster).unwrap(),
            State::Stopped(_)
        ));
        let Some(through) = run.rollback_through() else {
            assert_eq!(
                k, 1,
                "only a failure at the first change leaves nothing to undo"
            );
            continue;
        };
        assert!(through < k, "step {k} failed, so it is not undone");
        let back = plan.rollback(&before(), Some(through)).unwrap();
        cluster.clear_journal();
        let mut run = Run::with_limits(back, limits());
        assert_eq!(
            exec::run(&mut run, &mut cluster).unwrap(),
            State::Finished,
            "fail at {k}"
        );
        assert_eq!(labels(cluster.mesh().snapshot()), original, "fail at {k}");
        rolled_back += 1;
    }
    assert!(rolled_back > 10);
}

#[test]
fn retryable_failures_are_retried_within_the_limit() {
    let plan = story_plan();
    let end = uninterrupted();
    // Two timeouts, three attempts: the run gets through.
    let mut cluster =
        SimulatedCluster::from_mesh(before()).with_fault(Fault::FailTimes { step: 1, times: 2 });
    let mut run = Run::with_limits(plan.clone(), limits());
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert!(cluster.mesh().snapshot() == &end);
    let retries = cluster
        .events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                exec::Event::Retrying {
                    step: 1,
                    wait_ms: 5000,
                    ..
                }
            )
        })
        .count();
    assert_eq!(retries, 2);
    // Five timeouts: the run stops after its three attempts, naming the step.
    let mut cluster =
        SimulatedCluster::from_mesh(before()).with_fault(Fault::FailTimes { step: 2, times: 5 });
    let mut run = Run::with_limits(plan.clone(), limits());
    match exec::run(&mut run, &mut cluster).unwrap() {
        State::Stopped(StopReason::Failed {
            step: 2,
            attempts: 3,
            message,
        }) => {
            assert!(message.contains("timeout"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // Retrying the stopped run continues it once the cluster recovers.
    run.retry();
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert!(cluster.mesh().snapshot() == &end);
}

#[test]
fn a_partial_rollout_stops_the_run_naming_the_pods_and_observing_later_continues() {
    let plan = story_plan();
    let mesh = before();
    let owned = |w: &meshrev::WorkloadId| -> Vec<String> {
        let s = mesh.snapshot();
        s.pods_in(&w.namespace)
            .filter(|p| s.owner_of(p).is_some_and(|o| o.meta.name == w.name))
            .map(|p| p.meta.name.clone())
            .collect()
    };
    // A workload with two pods: one is held back, one moves.
    let restart = plan
        .steps()
        .find(
            |s| matches!(&s.action, StepAction::Restart { workload } if owned(workload).len() == 2),
        )
        .unwrap();
    let StepAction::Restart { workload } = &restart.action else {
        unreachable!()
    };
    let old = owned(workload);
    assert!(!old.is_empty());
    let mut cluster = SimulatedCluster::from_mesh(before()).with_fault(Fault::PartialRollout {
        step: restart.id,
        held: 1,
        observations: 5,
    });
    let mut run = Run::with_limits(plan.clone(), limits());
    match exec::run(&mut run, &mut cluster).unwrap() {
        State::Stopped(StopReason::PartialRollout {
            step,
            workload: w,
            pods,
        }) => {
            assert_eq!(step, restart.id);
            assert_eq!(&w, workload);
            assert_eq!(pods.len(), 1);
            assert!(old.contains(&pods[0]), "{pods:?} are not among {old:?}");
            let message = run.state().clone();
            let State::Stopped(reason) = message else {
                unreachable!()
            };
            assert!(reason.to_string().contains(&pods[0]), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Later, the PodDisruptionBudget lets go: observing again continues the run,
    // without restarting the workload a second time.
    let changes = cluster.changes();
    run.retry();
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    let remaining = plan
        .steps()
        .filter(|s| s.id > restart.id && s.action.is_change())
        .count();
    assert_eq!(cluster.changes(), changes + remaining);
    assert!(cluster.mesh().snapshot() == &uninterrupted());
}

#[test]
fn a_change_without_effect_is_caught_and_sent_again_on_retry() {
    let plan = story_plan();
    let end = uninterrupted();
    let mut cluster =
        SimulatedCluster::from_mesh(before()).with_fault(Fault::MissingEffect { step: 1 });
    let mut run = Run::with_limits(plan.clone(), limits());
    match exec::run(&mut run, &mut cluster).unwrap() {
        State::Stopped(StopReason::Unverified { step: 1, failures }) => {
            assert!(
                failures
                    .iter()
                    .any(|f| f.to_string().contains("istio.io/rev")),
                "{failures:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    // The step was applied as far as the run knows: rollback includes it.
    assert_eq!(run.rollback_through(), Some(1));
    run.retry();
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert!(cluster.mesh().snapshot() == &end);
}

#[test]
fn a_journal_of_another_plan_is_refused() {
    let plan = story_plan();
    let mut cluster = SimulatedCluster::from_mesh(before()).with_fault(Fault::Fail { step: 5 });
    let mut run = Run::new(plan.clone());
    exec::run(&mut run, &mut cluster).unwrap();
    let mut other = plan.clone();
    other.waves[0].steps[0].reason.push_str(" (edited)");
    let err = Run::resume(other, cluster.journal()).unwrap_err();
    assert!(matches!(err, JournalError::OtherPlan { .. }));
    assert!(err.to_string().contains("not to this plan"), "{err}");
    assert_eq!(Run::resume(plan, &[]).unwrap_err(), JournalError::NoBegin);
}

#[test]
fn the_journal_is_json_lines_and_replaying_a_finished_one_changes_nothing() {
    let plan = story_plan();
    let mut cluster = SimulatedCluster::from_mesh(before());
    let mut run = Run::with_limits(plan.clone(), limits());
    exec::run(&mut run, &mut cluster).unwrap();
    let text: String = cluster
        .journal()
        .iter()
        .map(|e| e.to_line() + "\n")
        .collect();
    let entries = exec::journal::parse(&text).unwrap();
    assert_eq!(entries, cluster.journal());
    // A torn last line (a crash while writing) is dropped, not an error.
    let torn = format!("{text}{{\"entry\":\"sent\",\"st");
    assert_eq!(exec::journal::parse(&torn).unwrap(), entries);
    let end = cluster.mesh().snapshot().clone();
    let changes = cluster.changes();
    for _ in 0..2 {
        let mut run = Run::resume(plan.clone(), &entries).unwrap();
        assert_eq!(run.poll_action(SystemTime::now()), None);
        assert_eq!(run.state(), &State::Finished);
        assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    }
    assert_eq!(cluster.changes(), changes);
    assert!(cluster.mesh().snapshot() == &end);
}

#[test]
fn every_step_kind_of_the_story_is_idempotent() {
    // Running the finished plan again from scratch: every step is found done by
    // its check, nothing is sent.
    let plan = story_plan();
    let mut cluster = SimulatedCluster::from_mesh(before());
    let mut run = Run::with_limits(plan.clone(), limits());
    exec::run(&mut run, &mut cluster).unwrap();
    let end = cluster.mesh().snapshot().clone();
    let changes = cluster.changes();
    let mut run = Run::with_limits(plan.clone(), limits());
    assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
    assert_eq!(cluster.changes(), changes);
    assert!(cluster.mesh().snapshot() == &end);
}

#[test]
fn the_story_renders_as_the_requests_an_api_server_expects() {
    let plan = story_plan();
    let mesh = before();
    let mut seen = BTreeMap::new();
    for step in plan.steps() {
        for r in exec::render(&step.action, mesh.snapshot()).unwrap() {
            seen.entry(step.action.kind()).or_insert(r);
        }
    }
    let label = &seen["label_namespace"];
    let ns = label.object().name.clone();
    assert_eq!(label.method(), "PATCH");
    assert_eq!(label.path(), format!("/api/v1/namespaces/{ns}"));
    assert_eq!(label.content_type(), Some("application/merge-patch+json"));
    assert_eq!(
        label.body().unwrap(),
        &serde_json::json!({"metadata": {"labels": {
            "istio-injection": null, "istio.io/rev": "ossm3", "maistra.io/ignore-namespace": "true"}}})
    );
    assert_eq!(label.resource(), "namespaces");
    let restart = &seen["restart"];
    assert!(matches!(
        restart,
        Request::Patch {
            patch: PatchKind::Restart,
            ..
        }
    ));
    assert!(restart.path().starts_with(&format!(
        "/apis/apps/v1/namespaces/{}/deployments/",
        restart.object().namespace.as_deref().unwrap()
    )));
    let mut restart = restart.clone();
    assert_eq!(restart.restarted_at(), Some(""));
    restart.stamp("2026-12-02T01:00:00Z");
    assert_eq!(restart.restarted_at(), Some("2026-12-02T01:00:00Z"));
    assert_eq!(
        restart.body().unwrap(),
        &serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2026-12-02T01:00:00Z"}}}}})
    );
    assert_eq!(restart.resource(), "deployments.apps");
    let delete = &seen["delete"];
    assert_eq!(delete.method(), "DELETE");
    assert_eq!(
        delete.path(),
        "/apis/maistra.io/v2/namespaces/istio-system/servicemeshcontrolplanes/basic"
    );
    assert_eq!(delete.body(), None);
}

#[test]
fn events_tell_waves_steps_namespaces_and_pods() {
    let plan = story_plan();
    let mut cluster = SimulatedCluster::from_mesh(before());
    let mut run = Run::with_limits(plan.clone(), limits());
    exec::run(&mut run, &mut cluster).unwrap();
    let events = cluster.events();
    let waves = events
        .iter()
        .filter(|e| matches!(e, exec::Event::WaveStarted { .. }))
        .count();
    assert_eq!(waves, plan.waves.len());
    let finished = events
        .iter()
        .filter(|e| matches!(e, exec::Event::StepFinished { .. }))
        .count();
    assert_eq!(finished, plan.len());
    let done: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            exec::Event::NamespaceDone { done, total, .. } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(done, (1..=5).map(|d| (d, 5)).collect::<Vec<_>>());
    // The last count of a namespace's pods (its verify step) is all on ossm3.
    let verify = events
        .iter()
        .rposition(|e| matches!(e, exec::Event::StepStarted { action, .. } if action.starts_with("verify")))
        .unwrap();
    let last = events[verify..]
        .iter()
        .find_map(|e| match e {
            exec::Event::Pods { revisions } => Some(revisions.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(last.keys().collect::<Vec<_>>(), ["ossm3"]);
    assert_eq!(events.last(), Some(&exec::Event::Finished));
}

#[test]
fn outcomes_must_name_the_awaited_action() {
    let mut run = Run::new(story_plan());
    let action = run.poll_action(SystemTime::now()).unwrap();
    assert!(matches!(action.kind, ActionKind::Observe(_)));
    // Polling again gives the same action until its outcome arrives.
    assert_eq!(run.poll_action(SystemTime::now()).unwrap(), action);
    let err = run
        .handle_outcome(action.id + 1, exec::Outcome::Applied)
        .unwrap_err();
    assert!(err.to_string().contains("awaits"), "{err}");
}

#[test]
fn a_restart_of_a_workload_the_cluster_lacks_stops_instead_of_passing_vacuously() {
    let plan = story_plan();
    let restart = plan
        .steps()
        .find(|s| matches!(s.action, StepAction::Restart { .. }))
        .unwrap();
    let StepAction::Restart { workload } = &restart.action else {
        unreachable!()
    };
    // Someone deleted the Deployment (and its pods) since the plan was made.
    let mut mesh = before();
    mesh.apply(&meshrev::Edit::Delete {
        object: workload.object_ref(),
    })
    .unwrap();
    let mut cluster = SimulatedCluster::from_mesh(mesh);
    let mut run = Run::with_limits(plan.clone(), limits());
    match exec::run(&mut run, &mut cluster).unwrap() {
        State::Stopped(StopReason::Precondition { step, failures }) => {
            assert_eq!(step, restart.id);
            assert!(
                failures[0].to_string().contains(&workload.name),
                "{failures:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A rehearsal's journal (dry run: nothing changed on any cluster) records that
/// it was one, and a run that applies refuses to take its steps as done; the
/// reverse too. Without this, `--apply` resumed from a dry run's journal would
/// skip every step the rehearsal "applied".
#[test]
fn a_dry_run_journal_is_refused_by_a_run_that_applies_and_the_reverse() {
    let plan = story_plan();
    let mesh = before();
    let dry = Limits {
        dry_run: true,
        ..limits()
    };
    let mut cluster = SimulatedCluster::from_mesh(mesh.clone()).with_fault(Fault::Fail { step: 3 });
    let mut run = Run::with_limits(plan.clone(), dry);
    assert!(matches!(
        exec::run(&mut run, &mut cluster).unwrap(),
        State::Stopped(_)
    ));
    let journal = cluster.journal().to_vec();
    assert!(matches!(journal[0], Entry::Begin { dry_run: true, .. }));
    let err = Run::resume_with_limits(plan.clone(), &journal, limits()).unwrap_err();
    assert_eq!(
        err,
        JournalError::OtherMode {
            journal_dry_run: true
        }
    );
    assert!(err.to_string().contains("start a new journal"), "{err}");
    // The same mode resumes.
    assert!(Run::resume_with_limits(plan.clone(), &journal, dry).is_ok());
    // An applying run's journal is refused by a dry run.
    let mut cluster = SimulatedCluster::from_mesh(mesh).with_fault(Fault::Fail { step: 3 });
    let mut run = Run::with_limits(plan.clone(), limits());
    exec::run(&mut run, &mut cluster).unwrap();
    let journal = cluster.journal().to_vec();
    let line = serde_json::to_string(&journal[0]).unwrap();
    assert!(!line.contains("dry_run"), "the default is left out: {line}");
    assert!(matches!(
        Run::resume_with_limits(plan, &journal, dry),
        Err(JournalError::OtherMode {
            journal_dry_run: false
        })
    ));
}
