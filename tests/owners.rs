//! Every owner kind, and the snapshot's gaps: pods whose controller was not
//! collected (never "bare pods"), OpenShift DeploymentConfigs, Jobs and CronJobs,
//! and snapshots too incomplete to answer from (issue 9 items 2 to 4). Snapshots
//! are made by kubectl (`tests/data/kubectl/make.sh`), read next to the story's
//! first stage, which holds the control planes (`basic` 2.6, `ossm3` 3.0).

use meshrev::analyze::{Code, Finding, Severity};
use meshrev::snapshot::{PodController, Restart, WorkloadKind};
use meshrev::{Mesh, Snapshot, SnapshotBuilder, Status, analyze};

const STORY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/ossm-2.6-to-3.0/01-before.yaml"
);

fn data(name: &str) -> String {
    format!("{}/tests/data/kubectl/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The story's control planes plus these kubectl-made files.
fn mesh(files: &[&str]) -> Mesh {
    let mut b = SnapshotBuilder::new();
    b.add_path(STORY).unwrap();
    for f in files {
        b.add_path(data(f)).unwrap();
    }
    Mesh::new(b.build())
}

fn findings_about<'a>(findings: &'a [Finding], object: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.object.to_string() == object)
        .collect()
}

// ------------------------------------------- controllers not in the snapshot

#[test]
fn a_statefulset_pod_without_its_statefulset_is_not_a_bare_pod() {
    let mesh = mesh(&["ledger-namespace.yaml", "ledger-redis-pod.yaml"]);
    let s = mesh.snapshot();
    let pod = s.pod("ledger", "redis-0").unwrap();
    assert_eq!(
        s.controller_of(pod),
        PodController::Missing {
            kind: "StatefulSet".into(),
            name: "redis".into()
        }
    );
    assert!(s.owner_of(pod).is_none());

    // Status lists the StatefulSet, from its pod, marked missing; no `Pod` row.
    let status = Status::of(&mesh);
    let ledger = status.namespace("ledger").unwrap();
    assert_eq!(ledger.workloads.len(), 1);
    let w = &ledger.workloads[0];
    assert_eq!((w.kind.as_str(), w.name.as_str()), ("StatefulSet", "redis"));
    assert!(w.missing && w.needs_restart);
    assert_eq!(
        (w.injector.as_deref(), &w.running[..]),
        (
            Some("ossm3"),
            &[meshrev::status::Running::Revision("basic".into())][..]
        )
    );

    let findings = analyze(&mesh);
    let about = findings_about(&findings, "StatefulSet ledger/redis");
    let codes: Vec<Code> = about.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::NeedsRestart, Code::WorkloadMissing]);
    assert!(
        about[0]
            .message
            .contains("`kubectl rollout restart statefulset/redis -n ledger`")
    );
    assert!(
        about[1]
            .message
            .contains("Add `statefulsets` to the `kubectl get`")
    );
    // Nowhere the bare-pod advice.
    for f in &findings {
        assert!(!f.message.contains("bare pod is not recreated"), "{f}");
        assert!(!f.message.contains("kubectl delete pod redis-0"), "{f}");
    }
}

#[test]
fn a_replicaset_whose_deployment_is_missing_folds_into_the_deployment() {
    // The kubectl-made shop pods name ReplicaSet web-7d4b9; add that ReplicaSet
    // (owned by Deployment web) but not the Deployment.
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-7d4b9\n  \
              namespace: shop\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, \
              name: web, controller: true}]\nspec:\n  template:\n    metadata: {labels: \
              {app: web}}\n";
    let mut b = SnapshotBuilder::new();
    b.add_path(data("shop-namespace.yaml")).unwrap();
    b.add_path(data("shop-pods-list.yaml")).unwrap();
    b.add_str("rs.yaml", rs).unwrap();
    let s = b.build();
    let pod = s.pod("shop", "web-7d4b9-a").unwrap();
    assert_eq!(
        s.controller_of(pod),
        PodController::Missing {
            kind: "Deployment".into(),
            name: "web".into()
        }
    );
    let rs = s
        .workload("shop", WorkloadKind::ReplicaSet, "web-7d4b9")
        .unwrap();
    assert!(!s.is_pod_owner(rs));
    let status = Status::of(&Mesh::new(s));
    let names: Vec<(&str, &str, bool, usize)> = status
        .namespace("shop")
        .unwrap()
        .workloads
        .iter()
        .map(|w| (w.kind.as_str(), w.name.as_str(), w.missing, w.pods))
        .collect();
    assert_eq!(names, [("Deployment", "web", true, 2)]);
}

// ------------------------------------------------ OpenShift, Jobs, CronJobs

#[test]
fn deploymentconfig_owns_pods_through_its_replicationcontroller() {
    let mesh = mesh(&[
        "ledger-namespace.yaml",
        "ledger-dc.yaml",
        "ledger-rc.yaml",
        "ledger-dc-pod.yaml",
    ]);
    let s = mesh.snapshot();
    let dc = s
        .workload("ledger", WorkloadKind::DeploymentConfig, "ledger")
        .expect("DeploymentConfig read");
    assert_eq!(dc.replicas, Some(1));
    assert_eq!(dc.template.annotations["sidecar.istio.io/inject"], "true");
    let pod = s.pod("ledger", "ledger-3-x7k2p").unwrap();
    assert_eq!(s.owner_of(pod), Some(dc));
    let rc = s
        .workload("ledger", WorkloadKind::ReplicationController, "ledger-3")
        .unwrap();
    assert!(!s.is_pod_owner(rc));

    let findings = analyze(&mesh);
    let about = findings_about(&findings, "DeploymentConfig ledger/ledger");
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0].code, Code::NeedsRestart);
    assert!(about[0].message.contains("a restart moves it to ossm3"));
    assert!(
        about[0]
            .message
            .contains("`oc rollout latest dc/ledger -n ledger`")
    );
    assert_eq!(
        WorkloadKind::DeploymentConfig.restart(),
        Restart::RolloutLatest
    );
}

#[test]
fn job_pods_are_not_offered_a_restart() {
    let mesh = mesh(&[
        "ledger-namespace.yaml",
        "ledger-cronjob.yaml",
        "ledger-job.yaml",
        "ledger-job-pod.yaml",
    ]);
    let s = mesh.snapshot();
    let cron = s
        .workload("ledger", WorkloadKind::CronJob, "backup")
        .expect("CronJob read, template from spec.jobTemplate.spec.template");
    assert_eq!(cron.template.annotations["sidecar.istio.io/inject"], "true");
    let pod = s.pod("ledger", "backup-28911-q9z4c").unwrap();
    assert_eq!(s.owner_of(pod), Some(cron));

    let findings = analyze(&mesh);
    let about = findings_about(&findings, "CronJob ledger/backup");
    assert_eq!(about.len(), 1, "{about:?}");
    let m = &about[0].message;
    assert!(
        m.contains("Job pods run to completion and are not restarted"),
        "{m}"
    );
    assert!(
        m.contains("the next Job (a CronJob's next run) gets a sidecar of ossm3"),
        "{m}"
    );
    assert!(!m.contains("rollout"), "{m}");
    assert_eq!(
        WorkloadKind::CronJob.restart_command("ledger", "backup"),
        None
    );
    assert_eq!(WorkloadKind::Job.restart(), Restart::NotRestartable);
}

#[test]
fn a_job_alone_is_its_pods_workload() {
    let mesh = mesh(&["ledger-namespace.yaml", "ledger-job-pod.yaml"]);
    let findings = analyze(&mesh);
    let about = findings_about(&findings, "Job ledger/backup-28911");
    let codes: Vec<Code> = about.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::NeedsRestart, Code::WorkloadMissing]);
    assert!(about[0].message.contains("not restarted"));
    assert!(about[1].message.contains("Add `jobs`"));
}

#[test]
fn workload_kinds_round_trip_through_group_and_kind() {
    for k in WorkloadKind::ALL {
        assert_eq!(WorkloadKind::from_kind(k.as_str()), Some(k));
        assert_eq!(
            WorkloadKind::from_group_kind(k.group(), k.as_str()),
            Some(k)
        );
    }
    // A DeploymentConfig of another group is not one.
    assert_eq!(
        WorkloadKind::from_group_kind("apps", "DeploymentConfig"),
        None
    );
    assert_eq!(
        WorkloadKind::from_group_kind("extensions", "Deployment"),
        None
    );
}

#[test]
fn a_cronjob_without_job_template_names_the_field() {
    let err = Snapshot::from_yaml(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: backup, namespace: ledger}\n\
         spec: {schedule: '0 3 * * *'}\n",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "<input>: document 1: CronJob ledger/backup: missing required field `spec.jobTemplate`"
    );
}

// ------------------------------------------------------- incomplete input

#[test]
fn an_empty_snapshot_is_an_error_finding() {
    for text in [
        "",
        "---\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: b}\n",
    ] {
        let findings = analyze(&Mesh::new(Snapshot::from_yaml(text).unwrap()));
        assert_eq!(findings.len(), 1, "{text:?}: {findings:?}");
        assert_eq!(findings[0].code, Code::EmptySnapshot);
        assert_eq!(findings[0].severity, Severity::Error);
    }
    let skipped = analyze(&Mesh::new(
        Snapshot::from_yaml("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: b}\n")
            .unwrap(),
    ));
    assert!(
        skipped[0]
            .message
            .contains("only kinds it does not read (1 Service (v1))")
    );
}

#[test]
fn pods_alone_name_the_missing_kinds() {
    // `kubectl get pods -n shop -o yaml` and nothing else.
    let s = Snapshot::from_path(data("shop-pods-list.yaml")).unwrap();
    let findings = analyze(&Mesh::new(s));
    let incomplete: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code == Code::IncompleteSnapshot)
        .collect();
    assert_eq!(incomplete.len(), 2, "{findings:#?}");
    assert_eq!(incomplete[0].object.to_string(), "Namespace shop");
    assert!(
        incomplete[0]
            .message
            .contains("holds 2 pods but is not in the snapshot")
    );
    assert!(incomplete[0].message.contains("Add `namespaces`"));
    assert_eq!(incomplete[1].object.to_string(), "Snapshot input");
    for kind in [
        "MutatingWebhookConfiguration",
        "istiod Deployment",
        "ServiceMeshControlPlane",
        "Istio or IstioRevision",
    ] {
        assert!(incomplete[1].message.contains(kind), "{kind}");
    }
    assert!(findings.iter().any(|f| f.code == Code::WorkloadMissing));
}

#[test]
fn a_maistra_control_plane_without_its_member_roll_is_named() {
    let smcp = |mode: &str| {
        format!(
            "apiVersion: maistra.io/v2\nkind: ServiceMeshControlPlane\nmetadata: {{name: basic, \
             namespace: istio-system}}\nspec: {{version: v2.6, mode: {mode}}}\n---\n"
        )
    };
    let namespaces = std::fs::read_to_string(data("shop-namespace.yaml")).unwrap();
    let roll = "---\napiVersion: maistra.io/v1\nkind: ServiceMeshMemberRoll\nmetadata: \
                {name: default, namespace: istio-system}\nspec: {members: [shop]}\n";
    let incomplete = |text: &str| -> Vec<Finding> {
        analyze(&Mesh::new(Snapshot::from_yaml(text).unwrap()))
            .into_iter()
            .filter(|f| f.code == Code::IncompleteSnapshot)
            .collect()
    };
    assert_eq!(
        incomplete(&format!("{}{namespaces}{roll}", smcp("MultiTenant"))),
        []
    );
    for (mode, assumed) in [
        ("ClusterWide", "ClusterWide default roll"),
        ("MultiTenant", "only namespaces with a ServiceMeshMember"),
    ] {
        let found = incomplete(&format!("{}{namespaces}", smcp(mode)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].object.to_string(),
            "ServiceMeshControlPlane istio-system/basic"
        );
        assert!(
            found[0]
                .message
                .contains("no ServiceMeshMemberRoll in the snapshot")
        );
        assert!(found[0].message.contains(assumed), "{}", found[0].message);
    }
}

// ------------------------------------------------- istio-system, one rule

#[test]
fn the_control_planes_own_namespace_is_shown_as_not_its_data_plane_everywhere() {
    // Stage 4: every workload namespace on ossm3; basic still installed. The
    // operator labels istio-system a member of basic, so basic's webhook still
    // receives pods there, but istio-system is not basic's data plane.
    let mesh = Mesh::new(
        Snapshot::from_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/ossm-2.6-to-3.0/04-all-migrated.yaml"
        ))
        .unwrap(),
    );
    let status = Status::of(&mesh);
    let home = status.namespace("istio-system").unwrap();
    assert_eq!(home.injector.as_deref(), Some("basic"));
    assert_eq!(home.control_plane_of.as_deref(), Some("basic"));
    let basic = status.revision("basic").unwrap();
    assert!(!basic.namespaces.contains(&"istio-system".to_owned()));
    assert!(basic.prunable);
    // No other namespace is marked.
    assert!(
        status
            .namespaces
            .iter()
            .filter(|n| n.name != "istio-system")
            .all(|n| n.control_plane_of.is_none())
    );
    let findings = analyze(&mesh);
    let prunable = findings
        .iter()
        .find(|f| f.code == Code::RevisionPrunable)
        .expect("basic is prunable");
    assert!(
        prunable.message.contains(
            "namespace istio-system still lists it as injector: that is the control \
                       plane's own namespace, not its data plane"
        ),
        "{}",
        prunable.message
    );
}

// ------------------------------------------- names the snapshot lacks

#[test]
fn resolving_a_name_the_snapshot_lacks_says_so() {
    let mesh = mesh(&["ledger-namespace.yaml", "ledger-redis-pod.yaml"]);
    assert_eq!(
        mesh.try_resolve_namespace("ledger").unwrap().revision(),
        Some("ossm3")
    );
    let err = mesh.try_resolve_namespace("ledgr").unwrap_err();
    assert_eq!(err.to_string(), "Namespace ledgr is not in the snapshot");
    let err = mesh.try_resolve_pod("ledger", "redis-1").unwrap_err();
    assert_eq!(err.to_string(), "Pod ledger/redis-1 is not in the snapshot");
    assert!(mesh.try_resolve_pod("ledger", "redis-0").is_ok());

    // Pods without their Namespace object: the namespace is named as the gap.
    let pods_only = Mesh::new(Snapshot::from_path(data("shop-pods-list.yaml")).unwrap());
    let err = pods_only
        .try_resolve_pod("shop", "web-7d4b9-a")
        .unwrap_err();
    assert!(err.holds_objects);
    assert_eq!(
        err.to_string(),
        "Namespace shop is not in the snapshot (only objects in it are: its labels are unknown)"
    );
}

// ------------------------------------------- a workload's pods, found fast

/// `Snapshot::pods_owned_by` (the controllers leading to the workload found
/// once a namespace, then each pod matched by its controller reference) gives
/// what following every pod to its owner gives, for every workload and every
/// name a pod's controller reference uses: on each fixture, and on the story
/// with each kubectl-made owner file alone (so that a ReplicaSet, Job or
/// ReplicationController sometimes lacks its parent, sometimes its pods).
#[test]
fn pods_owned_by_agrees_with_owner_of_on_every_fixture_and_owner_chain() {
    let mut meshes: Vec<(String, Snapshot)> = Vec::new();
    for dir in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let name = f.to_string_lossy().into_owned();
            if name.ends_with(".yaml")
                && !name.ends_with(".expected.yaml")
                && let Ok(s) = Snapshot::from_path(&f)
            {
                meshes.push((name, s));
            }
        }
    }
    let files = [
        "ledger-cronjob.yaml",
        "ledger-dc-pod.yaml",
        "ledger-dc.yaml",
        "ledger-job-pod.yaml",
        "ledger-job.yaml",
        "ledger-rc.yaml",
        "ledger-redis-pod.yaml",
        "shop-deployment.yaml",
        "shop-pods-list.yaml",
        "vault.yaml",
    ];
    meshes.push(("all kubectl files".into(), mesh(&files).into_snapshot()));
    for f in files {
        meshes.push((f.into(), mesh(&[f]).into_snapshot()));
    }
    let mut compared = 0;
    for (name, s) in &meshes {
        let mut keys: Vec<(String, WorkloadKind, String)> = s
            .workloads()
            .map(|w| (w.namespace().to_owned(), w.kind, w.meta.name.clone()))
            .collect();
        for p in s.pods() {
            if let Some(o) = p.meta.controller()
                && let Some(kind) = WorkloadKind::from_kind(&o.kind)
            {
                keys.push((p.namespace().to_owned(), kind, o.name.clone()));
            }
        }
        for (ns, kind, wname) in keys {
            let fast: Vec<&str> = s
                .pods_owned_by(&ns, kind, &wname)
                .map(|p| p.meta.name.as_str())
                .collect();
            let slow: Vec<&str> = s
                .pods_in(&ns)
                .filter(|p| {
                    s.owner_of(p)
                        .is_some_and(|w| w.kind == kind && w.meta.name == wname)
                })
                .map(|p| p.meta.name.as_str())
                .collect();
            assert_eq!(fast, slow, "{name}: {kind:?} {ns}/{wname}");
            compared += usize::from(!slow.is_empty());
        }
    }
    assert!(
        compared > 20,
        "only {compared} workloads with pods compared"
    );
}
