//! Structured outputs (issue 7 item 4): status and its verdicts are data, and the
//! prose and the JSON words (`unknown`, sentences) exist only at the edge.

use meshrev::snapshot::{Pod, SidecarStatus, WorkloadKind};
use meshrev::status::{InUse, Kind, Running};
use meshrev::{Mesh, Snapshot, Status};

mod common;

fn story(stage: &str) -> Mesh {
    let path = common::fixture(&format!("ossm-2.6-to-3.0/{stage}"));
    Mesh::new(Snapshot::from_path(path).expect("fixture parses"))
}

#[test]
fn workloads_have_a_kind_and_running_revisions_as_values() {
    let status = Status::of(&story("02-mercury-relabelled.yaml"));
    let mercury = status.namespace("mercury").expect("mercury");
    for w in &mercury.workloads {
        assert_eq!(w.kind, Kind::Workload(WorkloadKind::Deployment), "{w:?}");
        assert_eq!(w.running, [Running::Revision("basic".into())], "{w:?}");
        assert!(w.needs_restart);
    }
}

#[test]
fn a_sidecar_without_a_record_is_unknown_in_the_model_and_only_in_json_a_word() {
    let mesh = Mesh::new(
        Snapshot::from_yaml(
            r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: hand-made, namespace: shop}
spec: {containers: [{name: app}, {name: istio-proxy}]}
"#,
        )
        .expect("valid"),
    );
    let status = Status::of(&mesh);
    let w = &status.namespace("shop").expect("shop").workloads[0];
    assert_eq!(w.kind, Kind::BarePod);
    assert_eq!(w.running, [Running::Unknown]);
    assert_eq!(status.pods[0].running.revision(), None);
    let json = serde_json::to_value(w).expect("serializes");
    assert_eq!(json["kind"], "Pod");
    assert_eq!(json["running"], serde_json::json!(["unknown"]));
    // And the JSON reads back into the same values.
    let back: Vec<Running> = serde_json::from_value(json["running"].clone()).expect("reads");
    assert_eq!(back, w.running);
    assert_eq!(
        serde_json::from_value::<Kind>(json["kind"].clone()).expect("reads"),
        Kind::BarePod
    );
}

#[test]
fn the_injection_record_is_parsed_once_at_ingest_and_kept_as_data_when_malformed() {
    let snapshot = Snapshot::from_yaml(
        r#"
apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: shop
  annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"],"revision":"canary"}'}
spec: {containers: [{name: app}, {name: istio-proxy}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: broken
  namespace: shop
  annotations: {sidecar.istio.io/status: '{"revision": "canary"'}
spec: {containers: [{name: app}, {name: istio-proxy}]}
"#,
    )
    .expect("valid");
    let good = snapshot.pod("shop", "good").expect("good");
    assert_eq!(
        good.sidecar_status,
        Some(SidecarStatus::Recorded {
            revision: Some("canary".into())
        })
    );
    // The record is the one copy: the annotation is not kept beside it.
    assert!(
        !good
            .meta
            .annotations
            .contains_key("sidecar.istio.io/status")
    );
    let broken = snapshot.pod("shop", "broken").expect("broken");
    assert!(matches!(
        broken.sidecar_status,
        Some(SidecarStatus::Malformed { .. })
    ));
    let (running, malformed) = meshrev::status::running_revision(broken);
    assert_eq!(running, Running::Unknown);
    assert!(malformed.is_some());
    assert_eq!(
        meshrev::status::running_revision(good).0,
        Running::Revision("canary".into())
    );
}

#[test]
fn a_pod_written_by_hand_with_the_annotation_gets_the_record_too() {
    // As a plan or an edit holds it.
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "meta": {
            "name": "web-1",
            "namespace": "shop",
            "annotations": {"sidecar.istio.io/status": "{\"revision\":\"ossm3\"}"}
        },
        "containers": ["web", "istio-proxy"],
    }))
    .expect("a pod");
    assert_eq!(
        pod.sidecar_status
            .as_ref()
            .and_then(SidecarStatus::revision),
        Some("ossm3")
    );
    assert!(pod.meta.annotations.is_empty());
    let again: Pod =
        serde_json::from_value(serde_json::to_value(&pod).expect("serializes")).expect("reads");
    assert_eq!(again, pod);
}

#[test]
fn in_use_verdicts_name_the_objects_that_reference_the_revision() {
    let status = Status::of(&story("03-mercury-migrated.yaml"));
    let ossm3 = status.revision("ossm3").expect("ossm3");
    assert!(ossm3.in_use);
    let mercury_refs = ossm3.in_use_by.iter().any(|u| {
        matches!(u, InUse::Namespace { namespace, references } if namespace == "mercury" && references == "ossm3")
    });
    assert!(mercury_refs, "{:?}", ossm3.in_use_by);
    let pods_in_mercury = ossm3.in_use_by.iter().find_map(|u| match u {
        InUse::InjectedPods { namespace, pods } if namespace == "mercury" => Some(pods),
        _ => None,
    });
    assert!(
        pods_in_mercury.is_some_and(|p| !p.is_empty()),
        "{:?}",
        ossm3.in_use_by
    );
    // The JSON keeps the sentences of the contract.
    let json = serde_json::to_value(ossm3).expect("serializes");
    assert!(
        json["in_use_by"]
            .as_array()
            .expect("array")
            .iter()
            .any(|s| s == "namespace mercury references ossm3"),
        "{json}"
    );
}
