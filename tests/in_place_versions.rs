//! InPlace version changes (issue 8, rule 7): a revision keeps its name when its
//! version changes, but pods keep the proxy they were injected with until they
//! are recreated (sail-operator `docs/update-strategy/update-strategy.adoc`).
//! `fixtures/sail-in-place/` 01 (before), 02 (`spec.version` v1.24.3 -> v1.25.1,
//! one pod recreated) and 03 (-> v1.26.0, nothing restarted).

use meshrev::analyze::Code;
use meshrev::{Mesh, Snapshot, Status, analyze_with_status};

mod common;

fn load(stem: &str) -> (Mesh, Status) {
    let path = common::fixture(&format!("sail-in-place/{stem}.yaml"));
    let mesh = Mesh::new(Snapshot::from_path(&path).unwrap_or_else(|e| panic!("{e}")));
    let status = Status::of(&mesh);
    (mesh, status)
}

fn codes(mesh: &Mesh, status: &Status, code: Code) -> Vec<String> {
    let mut v: Vec<String> = analyze_with_status(mesh, status)
        .into_iter()
        .filter(|f| f.code == code)
        .map(|f| f.object.to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn before_the_upgrade_every_proxy_matches_its_revision() {
    let (mesh, status) = load("01-before");
    assert_eq!(status.needs_restart().count(), 0);
    assert!(status.pods.iter().all(|p| p.outdated_proxy.is_none()));
    assert!(codes(&mesh, &status, Code::ProxyVersionSkew).is_empty());
}

#[test]
fn after_a_version_patch_the_old_proxies_need_a_restart() {
    let (mesh, status) = load("02-version-patched");
    let restart: Vec<String> = status
        .needs_restart()
        .map(|(n, w)| format!("{}/{}", n.name, w.name))
        .collect();
    assert_eq!(restart, ["api/gateway-api", "shop/cart", "shop/frontend"]);
    let recreated = status
        .pods
        .iter()
        .find(|p| &*p.name == "frontend-7c9f8d6b5-bx1q")
        .expect("pod");
    assert_eq!(recreated.outdated_proxy, None);
    let old = status
        .pods
        .iter()
        .find(|p| &*p.name == "frontend-7c9f8d6b5-ax0q")
        .and_then(|p| p.outdated_proxy.clone())
        .expect("outdated");
    assert_eq!(
        (old.proxy.as_str(), old.revision.as_str()),
        ("1.24.3", "1.25.1")
    );
    assert_eq!(old.minors_behind, 1);
    assert_eq!(codes(&mesh, &status, Code::NeedsRestart).len(), 3);
    // One minor behind is the normal state between two steps: no skew finding.
    assert!(codes(&mesh, &status, Code::ProxyVersionSkew).is_empty());
    // The JSON carries the addition; the pod without one does not.
    let json = serde_json::to_value(&status).expect("json");
    let pods = json["pods"].as_array().expect("pods");
    let by_name = |n: &str| pods.iter().find(|p| p["name"] == n).cloned().expect("pod");
    assert_eq!(
        by_name("frontend-7c9f8d6b5-ax0q")["outdated_proxy"],
        serde_json::json!({"proxy": "1.24.3", "revision": "1.25.1", "minors_behind": 1})
    );
    assert!(
        by_name("frontend-7c9f8d6b5-bx1q")
            .get("outdated_proxy")
            .is_none()
    );
}

#[test]
fn two_steps_without_a_restart_are_a_version_skew() {
    let (mesh, status) = load("03-second-step");
    assert_eq!(
        codes(&mesh, &status, Code::ProxyVersionSkew),
        [
            "Deployment api/gateway-api",
            "Deployment shop/cart",
            "Deployment shop/frontend"
        ]
    );
    let frontend = status
        .namespace("shop")
        .and_then(|n| n.workloads.iter().find(|w| w.name == "frontend"))
        .expect("frontend");
    // The oldest of its two pods (1.25.1 and 1.24.3).
    assert_eq!(
        frontend.outdated_proxy.as_ref().map(|o| o.minors_behind),
        Some(2)
    );
    let finding = analyze_with_status(&mesh, &status)
        .into_iter()
        .find(|f| f.code == Code::ProxyVersionSkew && f.object.name == "frontend")
        .expect("finding");
    // Only the pod two minors behind is named.
    assert!(
        finding.message.contains("frontend-7c9f8d6b5-ax0q"),
        "{}",
        finding.message
    );
    assert!(!finding.message.contains("bx1q"), "{}", finding.message);
}

#[test]
fn maistra_versions_compare_at_the_precision_both_give() {
    let mesh = Mesh::new(
        Snapshot::from_yaml(
            r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {name: basic, namespace: istio-system}
spec: {version: v2.6, proxy: {injection: {autoInject: true}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {maistra.io/member-of: istio-system}}
---
apiVersion: v1
kind: Pod
metadata: {name: current, namespace: shop, annotations: {istio.io/rev: basic}}
spec:
  containers:
  - {name: app, image: app:1}
  - {name: istio-proxy, image: "registry.redhat.io/openshift-service-mesh/proxyv2-rhel8:2.6.4"}
---
apiVersion: v1
kind: Pod
metadata: {name: older, namespace: shop, annotations: {istio.io/rev: basic}}
spec:
  containers:
  - {name: app, image: app:1}
  - {name: istio-proxy, image: "registry.redhat.io/openshift-service-mesh/proxyv2-rhel8:2.5.2"}
"#,
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let status = Status::of(&mesh);
    let outdated = |n: &str| {
        status
            .pods
            .iter()
            .find(|p| *p.name == *n)
            .and_then(|p| p.outdated_proxy.clone())
    };
    assert_eq!(outdated("current"), None);
    assert_eq!(
        outdated("older").map(|o| o.revision),
        Some("2.6".to_owned())
    );
}

/// The `istio-proxy` image of every live pod injected by `revision`, by name.
fn proxy_images(mesh: &Mesh, revision: &str) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = mesh
        .snapshot()
        .pods()
        .filter(|p| {
            meshrev::status::is_live(p)
                && meshrev::status::running_revision(p).0.revision() == Some(revision)
        })
        .map(|p| {
            (
                p.meta.name.clone(),
                p.proxy_image.as_deref().map(str::to_owned),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn simulated_restarts_inject_the_proxy_of_the_revisions_version() {
    // The restart half of the InPlace upgrade to v1.25.1, simulated by the
    // planner: the recreated pods run the proxy `default` injects now, 1.25.1,
    // on the repository its pods use.
    let (mesh, _) = load("02-version-patched");
    let plan = meshrev::plan::plan(&mesh, &meshrev::plan::Request::to("default")).unwrap();
    assert!(plan.steps().any(|s| s.action.kind() == "restart"));
    let after = meshrev::plan::simulate(&mesh, &plan).unwrap();
    let images = proxy_images(&after, "default");
    assert_eq!(images.len(), 4, "{images:?}");
    for (pod, image) in &images {
        assert_eq!(
            image.as_deref(),
            Some("docker.io/istio/proxyv2:1.25.1"),
            "{pod}"
        );
    }
    let status = Status::of(&after);
    assert!(status.pods.iter().all(|p| p.outdated_proxy.is_none()));
    assert_eq!(status.needs_restart().count(), 0);
    // The next version patch without a restart: the status reads every
    // recreated proxy as one minor behind, as on a real cluster (an unknown
    // proxy version would read as nothing to restart).
    let mut next = after.clone();
    next.apply(&meshrev::Edit::SetIstioVersion {
        istio: "default".into(),
        version: "v1.26.0".into(),
    })
    .unwrap();
    let status = Status::of(&next);
    let behind: Vec<(&str, u32)> = status
        .pods
        .iter()
        .filter_map(|p| {
            p.outdated_proxy
                .as_ref()
                .map(|o| (o.proxy.as_str(), o.minors_behind))
        })
        .collect();
    assert_eq!(behind, vec![("1.25.1", 1); 4]);
    assert_eq!(status.needs_restart().count(), 3);
}

#[test]
fn a_rehearsed_migration_leaves_proxies_of_the_target_version() {
    // OSSM 2.6 -> 3.0 on the simulated cluster: the pods the restarts create
    // are injected by ossm3 (v1.24.3) and run its proxy; the repository is the
    // one the workload's old pods used, the only one the namespace shows.
    let mesh =
        Mesh::new(Snapshot::from_path(common::fixture("ossm-2.6-to-3.0/01-before.yaml")).unwrap());
    let plan = meshrev::plan::plan(&mesh, &meshrev::plan::Request::to("ossm3")).unwrap();
    let mut cluster = meshrev::exec::SimulatedCluster::from_mesh(mesh);
    let mut run = meshrev::exec::Run::new(plan);
    assert_eq!(
        meshrev::exec::run(&mut run, &mut cluster).unwrap(),
        meshrev::exec::State::Finished
    );
    let images = proxy_images(cluster.mesh(), "ossm3");
    assert!(images.len() > 10, "{images:?}");
    for (pod, image) in &images {
        let version = image
            .as_deref()
            .and_then(meshrev::mesh::Version::from_image)
            .map(|v| v.to_string());
        assert_eq!(version.as_deref(), Some("1.24.3"), "{pod}: {image:?}");
    }
    let status = Status::of(cluster.mesh());
    assert!(status.pods.iter().all(|p| p.outdated_proxy.is_none()));
}

#[test]
fn a_recreated_proxy_without_a_known_repository_or_version() {
    // No pod to take the repository from: the charts' image name.
    let yaml = |version: &str| {
        format!(
            r#"
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {{name: ossm3}}
spec: {{{version}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: mercury, labels: {{istio.io/rev: ossm3}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: mercury}}
spec: {{replicas: 2, template: {{metadata: {{labels: {{app: web}}}}}}}}
"#
        )
    };
    let web = meshrev::WorkloadId::new(
        "mercury",
        meshrev::snapshot::WorkloadKind::Deployment,
        "web",
    );
    let mut mesh = Mesh::new(Snapshot::from_yaml(&yaml("version: v1.24.3")).unwrap());
    let restart = mesh.restart(&web).unwrap();
    mesh.apply(&restart).unwrap();
    let images = proxy_images(&mesh, "ossm3");
    assert_eq!(images.len(), 2);
    assert!(
        images
            .iter()
            .all(|(_, i)| i.as_deref() == Some("proxyv2:1.24.3")),
        "{images:?}"
    );
    // A version the model cannot read: the proxy's is unknown, not guessed.
    let mut mesh = Mesh::new(Snapshot::from_yaml(&yaml("version: latest")).unwrap());
    let restart = mesh.restart(&web).unwrap();
    mesh.apply(&restart).unwrap();
    let images = proxy_images(&mesh, "ossm3");
    assert_eq!(images.len(), 2);
    assert!(images.iter().all(|(_, i)| i.is_none()), "{images:?}");
}

#[test]
fn an_in_place_restart_is_carried_out_and_verified_by_the_proxy_version() {
    // The pods run `default` before the restart as after it: only their proxy
    // tells the restart is still to make, and that its rollout finished.
    let (mesh, _) = load("02-version-patched");
    let plan = meshrev::plan::plan(&mesh, &meshrev::plan::Request::to("default")).unwrap();
    let restarts: Vec<usize> = plan
        .steps()
        .filter(|s| s.action.kind() == "restart")
        .map(|s| s.id)
        .collect();
    assert_eq!(restarts.len(), 3);
    for step in plan.steps().filter(|s| restarts.contains(&s.id)) {
        assert!(
            step.postconditions
                .iter()
                .any(|c| matches!(c, meshrev::plan::Check::ProxyCurrent { revision, .. } if revision == "default")),
            "{:?}",
            step.postconditions
        );
    }
    let mut cluster = meshrev::exec::SimulatedCluster::from_mesh(mesh.clone());
    let mut run = meshrev::exec::Run::new(plan.clone());
    assert_eq!(
        meshrev::exec::run(&mut run, &mut cluster).unwrap(),
        meshrev::exec::State::Finished
    );
    // Every restart was made (none found "already done"), once.
    let already: Vec<usize> = cluster
        .journal()
        .iter()
        .filter_map(|e| match e {
            meshrev::exec::Entry::Done {
                step,
                already: true,
            } => Some(*step),
            _ => None,
        })
        .collect();
    assert!(restarts.iter().all(|k| !already.contains(k)), "{already:?}");
    assert!(cluster.restart_counts().values().all(|n| *n == 1));
    assert_eq!(cluster.restart_counts().len(), 3);
    let images = proxy_images(cluster.mesh(), "default");
    assert_eq!(images.len(), 4, "{images:?}");
    assert!(
        images
            .iter()
            .all(|(_, i)| i.as_deref() == Some("docker.io/istio/proxyv2:1.25.1")),
        "{images:?}"
    );
    assert_eq!(Status::of(cluster.mesh()).needs_restart().count(), 0);

    // A rollout held back: the pods still on the old proxy are named, and the
    // run continues once it finishes.
    let first = restarts[0];
    let mut cluster = meshrev::exec::SimulatedCluster::from_mesh(mesh).with_fault(
        meshrev::exec::Fault::PartialRollout {
            step: first,
            held: 1,
            observations: 4,
        },
    );
    let limits = meshrev::exec::Limits {
        observations: 2,
        ..meshrev::exec::Limits::default()
    };
    let mut run = meshrev::exec::Run::with_limits(plan, limits);
    match meshrev::exec::run(&mut run, &mut cluster).unwrap() {
        meshrev::exec::State::Stopped(reason) => {
            let text = reason.to_string();
            assert_eq!(reason.step(), first);
            assert!(
                text.contains("gateway-api-7c9f8d6b5-ax0q runs proxy 1.24.3, not 1.25.1"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    run.retry();
    assert_eq!(
        meshrev::exec::run(&mut run, &mut cluster).unwrap(),
        meshrev::exec::State::Finished
    );
    assert!(cluster.restart_counts().values().all(|n| *n == 1));
}

#[test]
fn an_in_place_restart_of_proxies_pinned_by_digest_is_made_not_taken_as_done() {
    // Proxies whose image names no version (pinned by digest): nothing tells
    // whether they are current, so the restart the plan asks for is made
    // rather than taken as already done.
    let text = std::fs::read_to_string(common::fixture("sail-in-place/01-before.yaml"))
        .unwrap()
        .replace(
            "docker.io/istio/proxyv2:1.24.3",
            "docker.io/istio/proxyv2@sha256:0123456789abcdef",
        );
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let plan = meshrev::plan::plan(
        &mesh,
        &meshrev::plan::Request::to("default").version("v1.25.1"),
    )
    .unwrap();
    let restarts = plan
        .steps()
        .filter(|s| s.action.kind() == "restart")
        .count();
    assert!(restarts > 0, "{plan:?}");
    let mut cluster = meshrev::exec::SimulatedCluster::from_mesh(mesh);
    let mut run = meshrev::exec::Run::new(plan);
    assert_eq!(
        meshrev::exec::run(&mut run, &mut cluster).unwrap(),
        meshrev::exec::State::Finished
    );
    assert_eq!(cluster.restart_counts().len(), restarts);
    assert!(cluster.restart_counts().values().all(|n| *n == 1));
    // The new pods' proxies are of the new version, on the same repository.
    let images = proxy_images(cluster.mesh(), "default");
    assert!(
        images
            .iter()
            .all(|(_, i)| i.as_deref() == Some("docker.io/istio/proxyv2:1.25.1")),
        "{images:?}"
    );
}
