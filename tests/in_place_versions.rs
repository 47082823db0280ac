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
        .find(|p| p.name == "frontend-7c9f8d6b5-bx1q")
        .expect("pod");
    assert_eq!(recreated.outdated_proxy, None);
    let old = status
        .pods
        .iter()
        .find(|p| p.name == "frontend-7c9f8d6b5-ax0q")
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
            .find(|p| p.name == n)
            .and_then(|p| p.outdated_proxy.clone())
    };
    assert_eq!(outdated("current"), None);
    assert_eq!(
        outdated("older").map(|o| o.revision),
        Some("2.6".to_owned())
    );
}
