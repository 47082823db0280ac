//! Plans are data: every step kind and check kind survives JSON and YAML, and
//! checks evaluate against the story's snapshots.

use std::collections::BTreeSet;

use meshrev::plan::{
    Check, EndState, NamespaceDisposition, NamespaceScope, OtherScope, Plan, Scope, SourceRevision,
    Step, StepAction, Strategy, Target, Wave, WaveKind, WorkloadDisposition, WorkloadScope,
};
use meshrev::snapshot::{TagTargetKind, WorkloadKind};
use meshrev::{Mesh, ObjectRef, Snapshot, WorkloadId};

fn web() -> WorkloadId {
    WorkloadId::new("mercury", WorkloadKind::Deployment, "web")
}

fn smcp() -> ObjectRef {
    ObjectRef::new("ServiceMeshControlPlane", Some("istio-system"), "basic")
}

/// One of every action and every check.
fn sample_plan() -> Plan {
    let actions = vec![
        StepAction::LabelNamespace {
            namespace: "mercury".into(),
            set: [
                ("maistra.io/ignore-namespace".into(), "true".into()),
                ("istio.io/rev".into(), "ossm3".into()),
            ]
            .into(),
            remove: BTreeSet::from(["istio-injection".to_owned()]),
        },
        StepAction::LabelTemplate {
            workload: web(),
            set: Default::default(),
            remove: BTreeSet::from(["istio.io/rev".to_owned()]),
        },
        StepAction::Restart { workload: web() },
        StepAction::MoveTag {
            tag: "prod-stable".into(),
            revision: "1-24-0".into(),
        },
        StepAction::RetargetSailTag {
            tag: "default".into(),
            kind: TagTargetKind::IstioRevision,
            name: "ossm3".into(),
        },
        StepAction::SetIstioVersion {
            istio: "ossm3".into(),
            version: "v1.25.1".into(),
        },
        StepAction::Delete { object: smcp() },
        StepAction::AwaitGone {
            object: ObjectRef::new("IstioRevision", None, "default-v1-24-3"),
        },
        StepAction::Verify {
            namespace: "mercury".into(),
        },
    ];
    let checks = vec![
        Check::NamespaceLabels {
            namespace: "mercury".into(),
            labels: [
                ("istio.io/rev".to_owned(), Some("ossm3".to_owned())),
                ("istio-injection".to_owned(), None),
            ]
            .into(),
        },
        Check::NamespaceInjector {
            namespace: "mercury".into(),
            revision: Some("ossm3".into()),
        },
        Check::WorkloadInjector {
            workload: web(),
            revision: None,
        },
        Check::WorkloadRunning {
            workload: web(),
            revision: Some("ossm3".into()),
        },
        Check::TagTarget {
            tag: "default".into(),
            revision: None,
        },
        Check::IstioVersion {
            istio: "ossm3".into(),
            version: Some("v1.24.3".into()),
        },
        Check::RevisionExists {
            revision: "ossm3".into(),
        },
        Check::ObjectPresent { object: smcp() },
        Check::ObjectAbsent { object: smcp() },
        Check::RevisionIdle {
            revision: "basic".into(),
        },
    ];
    let steps = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| Step {
            id: i + 1,
            reason: format!("because {i}"),
            preconditions: checks.clone(),
            postconditions: checks[i % checks.len()..].to_vec(),
            action,
        })
        .collect();
    Plan {
        target: Target {
            name: "ossm3".into(),
            revision: "ossm3".into(),
            version: Some("v1.24.3".into()),
        },
        strategy: Strategy::OssmClusterWide,
        sources: vec![SourceRevision {
            name: "basic".into(),
            control_plane: smcp(),
            version: Some("v2.6".into()),
        }],
        scope: Scope {
            explicit: false,
            namespaces: vec![NamespaceScope {
                name: "mercury".into(),
                injector: Some("basic".into()),
                disposition: NamespaceDisposition::Migrate,
                pods: 3,
                workloads: vec![WorkloadScope {
                    workload: web(),
                    pods: 2,
                    running: vec!["basic".into()],
                    disposition: WorkloadDisposition::Restart,
                    template_labels: [("app".to_owned(), "web".to_owned())].into(),
                }],
                others: vec![OtherScope {
                    kind: meshrev::status::Kind::BarePod,
                    name: "debug".into(),
                    pods: 1,
                    running: vec!["basic".into()],
                    disposition: WorkloadDisposition::RecreateByHand,
                }],
            }],
        },
        waves: vec![Wave {
            number: 1,
            kind: WaveKind::Canary,
            namespaces: vec!["mercury".into()],
            steps,
        }],
        end_state: EndState::default(),
        discovery_labels: [("tenant".to_owned(), "tenant-a".to_owned())].into(),
        notes: vec!["a note".into()],
    }
}

#[test]
fn every_step_and_check_kind_round_trips_through_json() {
    let plan = sample_plan();
    let json = serde_json::to_string_pretty(&plan).unwrap();
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
    // Tags are the documented snake_case names.
    for word in [
        r#""action": "label_namespace""#,
        r#""action": "restart""#,
        r#""action": "retarget_sail_tag""#,
        r#""check": "workload_running""#,
        r#""strategy": "ossm-cluster-wide""#,
    ] {
        assert!(json.contains(word), "{word} missing from {json}");
    }
    for step in plan.steps() {
        assert!(
            json.contains(&format!(r#""action": "{}""#, step.action.kind())),
            "{} is not its serde tag",
            step.action.kind()
        );
    }
}

#[test]
fn every_step_and_check_kind_round_trips_through_yaml() {
    let plan = sample_plan();
    let yaml = serde_yaml::to_string(&plan).unwrap();
    let back: Plan = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn a_plan_with_an_unknown_action_is_refused_naming_it() {
    let json = serde_json::to_string(&sample_plan())
        .unwrap()
        .replace(r#""action":"restart""#, r#""action":"reboot""#);
    let err = serde_json::from_str::<Plan>(&json).unwrap_err().to_string();
    assert!(err.contains("reboot"), "{err}");
}

#[test]
fn plan_accessors_follow_execution_order() {
    let plan = sample_plan();
    assert_eq!(plan.len(), 9);
    assert!(!plan.is_empty());
    assert_eq!(
        plan.step(3).unwrap().action,
        StepAction::Restart { workload: web() }
    );
    assert!(plan.step(10).is_none());
    assert_eq!(plan.moved_namespaces().collect::<Vec<_>>(), ["mercury"]);
    let ids: Vec<_> = plan.steps().map(|s| s.id).collect();
    assert_eq!(ids, (1..=9).collect::<Vec<_>>());
}

fn story(stage: &str) -> Mesh {
    Mesh::new(Snapshot::from_path(format!("fixtures/ossm-2.6-to-3.0/{stage}.yaml")).unwrap())
}

#[test]
fn checks_evaluate_on_the_story_before_and_after() {
    let before = story("01-before");
    let after = story("04-all-migrated");
    let gone = story("05-smcp-deleted");
    let relabelled = Check::NamespaceLabels {
        namespace: "mercury".into(),
        labels: [
            ("istio.io/rev".to_owned(), Some("ossm3".to_owned())),
            (
                "maistra.io/ignore-namespace".to_owned(),
                Some("true".to_owned()),
            ),
            ("istio-injection".to_owned(), None),
        ]
        .into(),
    };
    let failure = relabelled.evaluate(&before).unwrap_err();
    assert!(
        failure.found.contains("istio-injection=enabled"),
        "{failure}"
    );
    relabelled.evaluate(&after).unwrap();

    let on_ossm3 = Check::WorkloadRunning {
        workload: web(),
        revision: Some("ossm3".into()),
    };
    let failure = on_ossm3.evaluate(&before).unwrap_err();
    assert!(failure.found.contains("runs basic"), "{failure}");
    on_ossm3.evaluate(&after).unwrap();

    let injector = Check::NamespaceInjector {
        namespace: "mercury".into(),
        revision: Some("ossm3".into()),
    };
    assert!(injector.evaluate(&before).is_err());
    injector.evaluate(&after).unwrap();
    Check::WorkloadInjector {
        workload: web(),
        revision: Some("basic".into()),
    }
    .evaluate(&before)
    .unwrap();

    let idle = Check::RevisionIdle {
        revision: "basic".into(),
    };
    let failure = idle.evaluate(&before).unwrap_err();
    assert!(failure.found.contains("namespace mercury"), "{failure}");
    idle.evaluate(&after).unwrap();

    let smcp_gone = Check::ObjectAbsent { object: smcp() };
    assert!(smcp_gone.evaluate(&after).is_err());
    smcp_gone.evaluate(&gone).unwrap();
    Check::ObjectPresent { object: smcp() }
        .evaluate(&after)
        .unwrap();
    Check::RevisionExists {
        revision: "ossm3".into(),
    }
    .evaluate(&gone)
    .unwrap();
    Check::IstioVersion {
        istio: "ossm3".into(),
        version: Some("v1.24.3".into()),
    }
    .evaluate(&gone)
    .unwrap();
    let unknown_kind = Check::ObjectAbsent {
        object: ObjectRef::new("Secret", Some("x"), "y"),
    };
    assert!(
        unknown_kind
            .evaluate(&gone)
            .unwrap_err()
            .found
            .contains("Secret")
    );
}

#[test]
fn step_actions_name_their_object_and_namespace() {
    let plan = sample_plan();
    let objects: Vec<String> = plan
        .steps()
        .map(|s| s.action.object().to_string())
        .collect();
    assert_eq!(
        objects,
        [
            "Namespace mercury",
            "Deployment mercury/web",
            "Deployment mercury/web",
            "MutatingWebhookConfiguration istio-revision-tag-prod-stable",
            "IstioRevisionTag default",
            "Istio ossm3",
            "ServiceMeshControlPlane istio-system/basic",
            "IstioRevision default-v1-24-3",
            "Namespace mercury",
        ]
    );
    let changes: Vec<bool> = plan.steps().map(|s| s.action.is_change()).collect();
    assert_eq!(
        changes,
        [true, true, true, true, true, true, true, false, false]
    );
    assert_eq!(plan.step(1).unwrap().action.namespace(), Some("mercury"));
    assert_eq!(plan.step(4).unwrap().action.namespace(), None);
}
