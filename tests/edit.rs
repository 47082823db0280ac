//! Edits on the fixture stories: each edit takes one stage of a story to the next
//! as the real cluster went (fixtures/*/README.md), and bad edits are refused
//! with the object and field named.

mod common;

use meshrev::snapshot::{TagTargetKind, WorkloadKind};
use meshrev::{Edit, EditError, Mesh, ObjectRef, Snapshot, Status, WorkloadId};

fn mesh(relative: &str) -> Mesh {
    Mesh::new(Snapshot::from_path(common::fixture(relative)).expect("fixture reads"))
}

/// Injector, running revisions and restart flag per workload of a namespace.
fn workloads(status: &Status, ns: &str) -> Vec<(String, Option<String>, Vec<String>, bool)> {
    status
        .namespace(ns)
        .expect("namespace")
        .workloads
        .iter()
        .map(|w| {
            (
                w.name.clone(),
                w.injector.clone(),
                w.running
                    .iter()
                    .filter_map(|r| r.revision().map(str::to_owned))
                    .collect(),
                w.needs_restart,
            )
        })
        .collect()
}

fn restart_namespace(mesh: &mut Mesh, ns: &str) {
    let ids: Vec<WorkloadId> = mesh
        .snapshot()
        .workloads_in(ns)
        .filter(|w| mesh.snapshot().is_pod_owner(w))
        .map(|w| WorkloadId::new(ns, w.kind, w.meta.name.clone()))
        .collect();
    for id in ids {
        let edit = mesh.restart(&id).expect("restart");
        mesh.apply(&edit).expect("apply restart");
    }
}

#[test]
fn story_relabel_then_restart_reaches_the_next_stages() {
    let mut m = mesh("ossm-2.6-to-3.0/01-before.yaml");
    // kubectl label namespace mercury maistra.io/ignore-namespace="true" istio-injection- istio.io/rev=ossm3 --overwrite=true
    m.apply(&Edit::label_namespace(
        "mercury",
        [
            ("maistra.io/ignore-namespace", "true"),
            ("istio.io/rev", "ossm3"),
        ],
        ["istio-injection"],
    ))
    .unwrap();
    let relabelled = mesh("ossm-2.6-to-3.0/02-mercury-relabelled.yaml");
    assert_eq!(
        m.snapshot().namespace("mercury").unwrap().meta.labels,
        relabelled
            .snapshot()
            .namespace("mercury")
            .unwrap()
            .meta
            .labels
    );
    assert_eq!(
        workloads(&Status::of(&m), "mercury"),
        workloads(&Status::of(&relabelled), "mercury")
    );

    restart_namespace(&mut m, "mercury");
    let migrated = mesh("ossm-2.6-to-3.0/03-mercury-migrated.yaml");
    let status = Status::of(&m);
    assert_eq!(
        workloads(&status, "mercury"),
        workloads(&Status::of(&migrated), "mercury")
    );
    assert!(status.needs_restart().next().is_none());
}

#[test]
fn deleting_the_smcp_removes_its_revision_and_webhook() {
    let mut m = mesh("ossm-2.6-to-3.0/04-all-migrated.yaml");
    assert!(m.revision("basic").is_some());
    m.apply(&Edit::Delete {
        object: ObjectRef::new("ServiceMeshControlPlane", Some("istio-system"), "basic"),
    })
    .unwrap();
    assert!(m.revision("basic").is_none());
    assert!(m.webhooks().iter().all(|w| w.revision != "basic"));
    let deleted = mesh("ossm-2.6-to-3.0/05-smcp-deleted.yaml");
    let names = |m: &Mesh| m.revisions().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&m), names(&deleted));
    // Deleting again is not an error (kubectl delete --ignore-not-found).
    let once = m.snapshot().clone();
    m.apply(&Edit::Delete {
        object: ObjectRef::new("ServiceMeshControlPlane", Some("istio-system"), "basic"),
    })
    .unwrap();
    assert_eq!(m.snapshot(), &once);
}

#[test]
fn upstream_tag_move_then_restart() {
    let mut m = mesh("upstream-canary/01-before-tag-move.yaml");
    m.apply(&Edit::RetargetTag {
        tag: "prod-stable".into(),
        revision: "1-24-0".into(),
    })
    .unwrap();
    let moved = mesh("upstream-canary/02-prod-stable-moved.yaml");
    let tag_config = |m: &Mesh| {
        m.snapshot()
            .webhook_configuration("istio-revision-tag-prod-stable")
            .cloned()
            .unwrap()
    };
    let (ours, theirs) = (tag_config(&m), tag_config(&moved));
    assert_eq!(ours.meta.labels, theirs.meta.labels);
    assert_eq!(
        ours.webhooks.iter().map(|w| &w.service).collect::<Vec<_>>(),
        theirs
            .webhooks
            .iter()
            .map(|w| &w.service)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        m.tag("prod-stable").unwrap().revision.as_deref(),
        Some("1-24-0")
    );
    for ns in ["storefront", "checkout"] {
        assert_eq!(
            workloads(&Status::of(&m), ns),
            workloads(&Status::of(&moved), ns)
        );
        restart_namespace(&mut m, ns);
    }
    let restarted = mesh("upstream-canary/03-restarted.yaml");
    for ns in ["storefront", "checkout"] {
        assert_eq!(
            workloads(&Status::of(&m), ns),
            workloads(&Status::of(&restarted), ns)
        );
    }
    // A StatefulSet's pod keeps its name across the restart.
    assert!(m.snapshot().pod("checkout", "redis-0").is_some());
}

#[test]
fn sail_tag_retarget_and_revision_based_version_patch() {
    let mut m = mesh("sail-revision-based/01-v1-24-3.yaml");
    let istio = m.snapshot().istios().next().unwrap().meta.name.clone();
    m.apply(&Edit::SetIstioVersion {
        istio: istio.clone(),
        version: "v1.25.1".into(),
    })
    .unwrap();
    let added = mesh("sail-revision-based/02-v1-25-1-added.yaml");
    let names = |m: &Mesh| m.revisions().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&m), names(&added));
    // The default tag targets the Istio, so it follows the new active revision.
    assert_eq!(
        m.tag("default").and_then(|t| t.revision.clone()),
        added.tag("default").and_then(|t| t.revision.clone())
    );

    m.apply(&Edit::RetargetSailTag {
        tag: "default".into(),
        kind: TagTargetKind::IstioRevision,
        name: "default-v1-24-3".into(),
    })
    .unwrap();
    assert_eq!(
        m.tag("default").and_then(|t| t.revision.as_deref()),
        Some("default-v1-24-3")
    );
}

#[test]
fn bad_edits_name_the_object_and_field_and_change_nothing() {
    let mut m = mesh("ossm-2.6-to-3.0/01-before.yaml");
    let before = m.snapshot().clone();
    let err = m
        .apply(&Edit::label_namespace(
            "pluto",
            [("istio.io/rev", "ossm3")],
            [],
        ))
        .unwrap_err();
    assert_eq!(
        err,
        EditError::NotFound {
            object: ObjectRef::new("Namespace", None, "pluto")
        }
    );
    assert_eq!(err.to_string(), "Namespace pluto: not in the snapshot");

    let err = m
        .apply(&Edit::label_namespace(
            "mercury",
            [("istio.io/rev", "no spaces")],
            [],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, EditError::Invalid { field, value, .. } if field == "value of istio.io/rev" && value == "no spaces"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("Namespace mercury: value of istio.io/rev")
    );

    let err = m
        .apply(&Edit::label_namespace("mercury", [("bad key!", "x")], []))
        .unwrap_err();
    assert!(matches!(err, EditError::Invalid { ref field, .. } if field == "label key"));

    let err = m
        .apply(&Edit::label_namespace(
            "mercury",
            [("istio.io/rev", "ossm3")],
            ["istio.io/rev"],
        ))
        .unwrap_err();
    assert!(matches!(err, EditError::Conflict { .. }), "{err:?}");

    let missing = WorkloadId::new("mercury", WorkloadKind::Deployment, "nope");
    assert!(matches!(
        m.restart(&missing),
        Err(EditError::NotFound { .. })
    ));
    let err = m
        .apply(&Edit::RetargetTag {
            tag: "prod-stable".into(),
            revision: "ossm3".into(),
        })
        .unwrap_err();
    assert!(matches!(err, EditError::NotFound { .. }));
    assert_eq!(m.snapshot(), &before);
}

#[test]
fn a_rollout_may_not_take_another_owners_pod_name() {
    let mut m = mesh("ossm-2.6-to-3.0/01-before.yaml");
    let w = m
        .snapshot()
        .workloads_in("mercury")
        .find(|w| w.kind == WorkloadKind::Deployment)
        .unwrap()
        .clone();
    let id = WorkloadId::new("mercury", w.kind, w.meta.name.clone());
    let Edit::ReplacePods { mut pods, .. } = m.restart(&id).unwrap() else {
        panic!("restart is a ReplacePods")
    };
    let other = m
        .snapshot()
        .pods_in("mercury")
        .find(|p| {
            m.snapshot()
                .owner_of(p)
                .is_none_or(|o| o.meta.name != w.meta.name)
        })
        .map(|p| p.meta.name.clone());
    if let Some(other) = other {
        pods[0].meta.name = other;
        let err = m
            .apply(&Edit::ReplacePods {
                workload: id.clone(),
                pods: pods.clone(),
            })
            .unwrap_err();
        assert!(matches!(err, EditError::Conflict { .. }), "{err:?}");
    }
    pods[0].meta.namespace = Some("venus".into());
    let err = m
        .apply(&Edit::ReplacePods { workload: id, pods })
        .unwrap_err();
    assert!(
        err.to_string().contains("must be in namespace mercury"),
        "{err}"
    );
}

#[test]
fn edits_round_trip_through_json_and_yaml() {
    let m = mesh("ossm-2.6-to-3.0/02-mercury-relabelled.yaml");
    let w = m.snapshot().workloads_in("mercury").next().unwrap();
    let edits = vec![
        Edit::label_namespace("mercury", [("istio.io/rev", "ossm3")], ["istio-injection"]),
        m.restart(&WorkloadId::new("mercury", w.kind, w.meta.name.clone()))
            .unwrap(),
        Edit::RetargetSailTag {
            tag: "default".into(),
            kind: TagTargetKind::Istio,
            name: "ossm3".into(),
        },
        Edit::Delete {
            object: ObjectRef::new("ServiceMeshControlPlane", Some("istio-system"), "basic"),
        },
    ];
    let json = serde_json::to_string(&edits).unwrap();
    assert!(json.contains(r#""edit":"label_namespace""#), "{json}");
    let back: Vec<Edit> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, edits);
    let yaml = serde_yaml::to_string(&edits).unwrap();
    let back: Vec<Edit> = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(back, edits);
}

#[test]
fn a_clone_is_independent_of_edits_to_the_original() {
    let mut m = mesh("ossm-2.6-to-3.0/01-before.yaml");
    let copy = m.clone();
    restart_namespace(&mut m, "venus");
    m.apply(&Edit::label_namespace(
        "venus",
        [("istio.io/rev", "ossm3")],
        [],
    ))
    .unwrap();
    assert_ne!(m.snapshot(), copy.snapshot());
    assert_eq!(
        copy.snapshot(),
        mesh("ossm-2.6-to-3.0/01-before.yaml").snapshot()
    );
}
