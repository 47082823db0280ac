//! Property tests of execution: plans of every strategy the fixtures support,
//! run on the simulated cluster under random fault schedules, resumed from the
//! journal after every stop and crash:
//! - the run finishes, and the cluster ends exactly where an uninterrupted run
//!   ends (so every in-scope workload on the target);
//! - no state the cluster passes through breaks the planner's invariants (a
//!   namespace that had an injector keeps one; none gets two);
//! - no workload is restarted more often than the plan says, whatever crashed;
//! - resuming a journal twice changes nothing.

use meshrev::exec::{
    self, Action, Entry, Event, Executor, Fault, Limits, Outcome, Run, SimulatedCluster, State,
};
use meshrev::plan::{self, Plan, Request, StepAction};
use meshrev::{Edit, Mesh, Snapshot};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// (fixture, request): the story, an upstream tag move, a canary relabel, Sail
/// in place, Sail revision-based, OSSM multi-tenant.
fn cases() -> Vec<(&'static str, Request)> {
    vec![
        ("ossm-2.6-to-3.0/01-before.yaml", Request::to("ossm3")),
        (
            "upstream-canary/01-before-tag-move.yaml",
            Request::to("1-24-0"),
        ),
        (
            "upstream-canary/01-before-tag-move.yaml",
            Request::to("prod-canary"),
        ),
        (
            "sail-in-place/01-before.yaml",
            Request::to("default").version("v1.25.1"),
        ),
        (
            "sail-revision-based/02-v1-25-1-added.yaml",
            Request::to("default-v1-25-1"),
        ),
        (
            "ossm-2.6-multitenant/01-partially-migrated.yaml",
            Request::to("istio-tenant-a"),
        ),
    ]
}

fn load(fixture: &str) -> Mesh {
    Mesh::new(Snapshot::from_path(format!("fixtures/{fixture}")).unwrap())
}

fn limits() -> Limits {
    Limits {
        observations: 3,
        ..Limits::default()
    }
}

/// The simulated cluster, checking the invariants after every change it makes.
struct Checked {
    cluster: SimulatedCluster,
    /// Namespaces with an injector before the plan (a removed control plane's
    /// own namespace aside, as the planner allows).
    injected: Vec<String>,
    own_namespaces: Vec<String>,
}

impl Executor for Checked {
    type Error = exec::Crashed;

    fn perform(&mut self, action: &Action) -> Result<Outcome, exec::Crashed> {
        let outcome = self.cluster.perform(action);
        let mesh = self.cluster.mesh();
        for ns in &self.injected {
            if self.own_namespaces.contains(ns) || mesh.snapshot().namespace(ns).is_none() {
                continue;
            }
            let r = mesh.resolve_namespace(ns);
            assert!(
                r.revision().is_some(),
                "after step {}: {ns} lost its injector: {r}",
                action.step
            );
        }
        outcome
    }

    fn wait(&mut self, _: std::time::Duration) {}

    fn now(&mut self) -> std::time::SystemTime {
        self.cluster.now()
    }

    fn record(&mut self, entry: &Entry) -> Result<(), exec::Crashed> {
        self.cluster.record(entry)
    }

    fn event(&mut self, event: &Event) {
        self.cluster.event(event);
    }
}

fn checked(mesh: &Mesh, plan: &Plan) -> Checked {
    let injected = mesh
        .snapshot()
        .namespaces()
        .filter(|n| mesh.resolve_namespace(n.name()).revision().is_some())
        .map(|n| n.name().to_owned())
        .collect();
    let own_namespaces = plan
        .steps()
        .filter_map(|s| match &s.action {
            StepAction::Delete { object } => object.namespace.clone(),
            _ => None,
        })
        .collect();
    Checked {
        cluster: SimulatedCluster::from_mesh(mesh.clone()),
        injected,
        own_namespaces,
    }
}

fn arb_fault(steps: usize) -> impl Strategy<Value = Fault> {
    let step = 1..=steps;
    prop_oneof![
        step.clone().prop_map(|step| Fault::Fail { step }),
        (step.clone(), 1u32..5).prop_map(|(step, times)| Fault::FailTimes { step, times }),
        step.clone().prop_map(|step| Fault::CrashAfter { step }),
        step.clone().prop_map(|step| Fault::CrashBefore { step }),
        (step.clone(), 1usize..3, 1u32..7).prop_map(|(step, held, observations)| {
            Fault::PartialRollout {
                step,
                held,
                observations,
            }
        }),
        step.prop_map(|step| Fault::MissingEffect { step }),
    ]
}

fn arb_schedule() -> impl Strategy<Value = (usize, Vec<Fault>)> {
    (0..cases().len()).prop_flat_map(|case| {
        let (fixture, request) = &cases()[case];
        let steps = plan::plan(&load(fixture), request).unwrap().len().max(1);
        (Just(case), prop::collection::vec(arb_fault(steps), 0..5))
    })
}

/// Runs `plan` on `mesh` with `faults`, resuming from the journal after every
/// stop and crash; checks it ends where an uninterrupted run ends, and that
/// replaying the finished journal twice sends nothing.
fn faulty_run(mesh: &Mesh, plan: &Plan, faults: &[Fault]) -> Result<(), TestCaseError> {
    let mut clean = checked(mesh, plan);
    let mut run = Run::with_limits(plan.clone(), limits());
    prop_assert_eq!(exec::run(&mut run, &mut clean).unwrap(), State::Finished);
    let end = clean.cluster.mesh().snapshot().clone();

    let mut faulty = checked(mesh, plan);
    for f in faults {
        faulty.cluster.inject(f.clone());
    }
    let mut run = Run::with_limits(plan.clone(), limits());
    let mut state = exec::run(&mut run, &mut faulty);
    let mut resumes = 0;
    while state.as_ref().ok() != Some(&State::Finished) {
        resumes += 1;
        prop_assert!(
            resumes <= 3 * faults.len() + 1,
            "no end after {} resumes: {:?}",
            resumes,
            state
        );
        if let Ok(State::Stopped(reason)) = &state {
            // Only the injected faults stop a run.
            prop_assert!(
                faults
                    .iter()
                    .any(|f| format!("{f:?}").contains(&format!("step: {}", reason.step()))),
                "unexpected stop: {}",
                reason
            );
        }
        let journal = faulty.cluster.journal().to_vec();
        let mut run = Run::resume_with_limits(plan.clone(), &journal, limits()).unwrap();
        state = exec::run(&mut run, &mut faulty);
    }
    prop_assert!(
        faulty.cluster.mesh().snapshot() == &end,
        "the faulty run ended elsewhere"
    );
    // Nothing applied twice by surprise: whatever failed, crashed or resumed, no
    // workload was rolled more often than the plan restarts it.
    let mut planned = std::collections::BTreeMap::new();
    for step in plan.steps() {
        if let StepAction::Restart { workload } = &step.action {
            *planned.entry(workload.clone()).or_insert(0u32) += 1;
        }
    }
    for (workload, n) in faulty.cluster.restart_counts() {
        prop_assert!(
            *n <= planned.get(workload).copied().unwrap_or(0),
            "{} restarted {} times, planned {:?}",
            workload,
            n,
            planned.get(workload)
        );
    }

    // Replaying the finished journal, twice, sends nothing.
    let changes = faulty.cluster.changes();
    let journal = faulty.cluster.journal().to_vec();
    for _ in 0..2 {
        let mut run = Run::resume_with_limits(plan.clone(), &journal, limits()).unwrap();
        prop_assert_eq!(exec::run(&mut run, &mut faulty).unwrap(), State::Finished);
    }
    prop_assert_eq!(faulty.cluster.changes(), changes);
    prop_assert!(faulty.cluster.mesh().snapshot() == &end);
    Ok(())
}

/// A mesh made from a fixture by deleting some of its workloads (with their
/// pods), and a plan for some of the namespaces it would move, in batches.
fn arb_random_plan() -> impl Strategy<Value = (Mesh, Plan, Vec<Fault>)> {
    (
        0..cases().len(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        any::<u8>(),
        1usize..4,
    )
        .prop_filter_map("no plan", |(case, deletions, mask, batch)| {
            let (fixture, request) = &cases()[case];
            let mut mesh = load(fixture);
            let workloads: Vec<_> = mesh
                .snapshot()
                .workloads()
                .filter(|w| w.meta.labels.get("app").map(String::as_str) != Some("istiod"))
                .map(|w| w.meta.object_ref(w.kind.as_str()))
                .collect();
            for d in deletions {
                if !workloads.is_empty() {
                    let object = workloads[d.index(workloads.len())].clone();
                    mesh.apply(&Edit::Delete { object }).ok()?;
                }
            }
            let all = plan::plan(&mesh, request).ok()?;
            let moved: Vec<String> = all.moved_namespaces().map(str::to_owned).collect();
            let chosen: Vec<String> = moved
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
                .map(|(_, n)| n.clone())
                .collect();
            let mut request = request.clone().batch(batch);
            if !chosen.is_empty() {
                request = request.namespaces(chosen);
            }
            let plan = plan::plan(&mesh, &request).ok()?;
            Some((mesh, plan))
        })
        .prop_flat_map(|(mesh, plan)| {
            let steps = plan.len().max(1);
            (
                Just(mesh),
                Just(plan),
                prop::collection::vec(arb_fault(steps), 0..4),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn faulty_runs_resume_to_the_uninterrupted_end((case, faults) in arb_schedule()) {
        let (fixture, request) = &cases()[case];
        let mesh = load(fixture);
        let plan = plan::plan(&mesh, request).unwrap();
        faulty_run(&mesh, &plan, &faults)?;
    }

    #[test]
    fn random_plans_on_perturbed_meshes_survive_their_faults((mesh, plan, faults) in arb_random_plan()) {
        faulty_run(&mesh, &plan, &faults)?;
        // The run verified every step: every workload it restarted runs the target.
        let mut cluster = SimulatedCluster::from_mesh(mesh.clone());
        let mut run = Run::with_limits(plan.clone(), limits());
        prop_assert_eq!(exec::run(&mut run, &mut cluster).unwrap(), State::Finished);
        for step in plan.steps() {
            if let StepAction::Restart { workload } = &step.action {
                let s = cluster.mesh().snapshot();
                for pod in s.pods_in(&workload.namespace).filter(|p| {
                    s.owner_of(p).is_some_and(|w| w.meta.name == workload.name && w.kind == workload.kind)
                }) {
                    let running = meshrev::status::running_revision(pod).0;
                    prop_assert_eq!(
                        running.revision(),
                        Some(plan.target.revision.as_str()),
                        "{}", pod.meta.name
                    );
                }
            }
        }
    }
}

#[test]
fn every_step_kind_is_idempotent() {
    // Each change step performed twice on the simulated cluster leaves it as
    // performing it once does; and a second run of a finished plan sends nothing.
    let mut kinds = std::collections::BTreeSet::new();
    for (fixture, request) in cases() {
        let mesh = load(fixture);
        let plan = plan::plan(&mesh, &request).unwrap();
        let mut once = SimulatedCluster::from_mesh(mesh.clone());
        let mut twice = SimulatedCluster::from_mesh(mesh.clone());
        let mut run = Run::with_limits(plan.clone(), limits());
        while let Some(action) = run.poll_action(std::time::SystemTime::UNIX_EPOCH) {
            let outcome = once.perform(&action).unwrap();
            if matches!(action.kind, exec::ActionKind::Change { .. }) {
                twice.perform(&action).unwrap();
                twice.perform(&action).unwrap();
                assert!(
                    once.mesh().snapshot() == twice.mesh().snapshot(),
                    "{fixture}: step {} ({}) applied twice differs",
                    action.step,
                    action.step_action.kind()
                );
                kinds.insert(action.step_action.kind());
            } else {
                twice.perform(&action).unwrap();
            }
            run.handle_outcome(action.id, outcome).unwrap();
        }
        assert_eq!(run.state(), &State::Finished, "{fixture}");
        let changes = once.changes();
        let mut again = Run::with_limits(plan.clone(), limits());
        assert_eq!(exec::run(&mut again, &mut once).unwrap(), State::Finished);
        assert_eq!(
            once.changes(),
            changes,
            "{fixture}: a finished plan sent changes again"
        );
    }
    for kind in [
        "label_namespace",
        "restart",
        "move_tag",
        "set_istio_version",
        "delete",
    ] {
        assert!(kinds.contains(kind), "{kind} not exercised: {kinds:?}");
    }
}

#[test]
fn every_case_plans_and_covers_the_step_kinds() {
    let mut kinds = std::collections::BTreeSet::new();
    for (fixture, request) in cases() {
        let plan =
            plan::plan(&load(fixture), &request).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        kinds.extend(plan.steps().map(|s| s.action.kind()));
    }
    for kind in [
        "label_namespace",
        "restart",
        "move_tag",
        "set_istio_version",
        "verify",
        "delete",
    ] {
        assert!(kinds.contains(kind), "no case has a {kind} step: {kinds:?}");
    }
}
