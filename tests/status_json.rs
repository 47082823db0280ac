//! `status --format json` is a contract other tools rely on (design notes): its
//! shape, and its values on each stage of the OSSM 2.6 -> 3.0 story, written by hand
//! from domain.md section 8.

use meshrev::{Mesh, Snapshot, Status};
use serde_json::Value;

mod common;

fn status_json(stage: &str) -> Value {
    let path = common::fixture("ossm-2.6-to-3.0").join(stage);
    let mesh = Mesh::new(Snapshot::from_path(path).expect("fixture parses"));
    serde_json::to_value(Status::of(&mesh)).expect("serializes")
}

fn revision<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v["revisions"]
        .as_array()?
        .iter()
        .find(|r| r["name"] == name)
}

fn namespace<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["namespaces"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("namespace {name} missing"))
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

const PLANETS: [&str; 5] = ["earth", "jupiter", "mars", "mercury", "venus"];

#[test]
fn the_json_has_the_documented_fields() {
    let v = status_json("02-mercury-relabelled.yaml");
    for r in v["revisions"].as_array().expect("revisions") {
        for key in [
            "name",
            "control_plane",
            "namespace",
            "tags",
            "default",
            "in_use",
            "namespaces",
        ] {
            assert!(r.get(key).is_some(), "revision lacks {key}: {r}");
        }
    }
    for n in v["namespaces"].as_array().expect("namespaces") {
        for key in ["name", "injector", "reason", "workloads"] {
            assert!(n.get(key).is_some(), "namespace lacks {key}: {n}");
        }
        for w in n["workloads"].as_array().expect("workloads") {
            for key in ["kind", "name", "injector", "running", "needs_restart"] {
                assert!(w.get(key).is_some(), "workload lacks {key}: {w}");
            }
        }
    }
    for p in v["pods"].as_array().expect("pods") {
        for key in ["namespace", "name", "injector", "running"] {
            assert!(p.get(key).is_some(), "pod lacks {key}: {p}");
        }
    }
    assert_eq!(
        revision(&v, "basic").map(|r| r["control_plane"].clone()),
        Some(Value::from("ServiceMeshControlPlane/istio-system/basic"))
    );
}

#[test]
fn before_the_migration_basic_injects_all_five_planets() {
    let v = status_json("01-before.yaml");
    assert_eq!(
        names(&revision(&v, "basic").expect("basic")["namespaces"]),
        PLANETS
    );
    assert!(names(&revision(&v, "ossm3").expect("ossm3")["namespaces"]).is_empty());
    for ns in PLANETS {
        for w in namespace(&v, ns)["workloads"]
            .as_array()
            .expect("workloads")
        {
            assert_eq!(w["running"], serde_json::json!(["basic"]), "{ns}: {w}");
            assert_eq!(w["needs_restart"], false, "{ns}: {w}");
        }
    }
}

#[test]
fn after_relabelling_mercury_its_workloads_need_a_restart_from_basic_to_ossm3() {
    let v = status_json("02-mercury-relabelled.yaml");
    assert_eq!(
        names(&revision(&v, "basic").expect("basic")["namespaces"]),
        ["earth", "jupiter", "mars", "venus"]
    );
    assert_eq!(
        names(&revision(&v, "ossm3").expect("ossm3")["namespaces"]),
        ["mercury"]
    );
    let mercury = namespace(&v, "mercury");
    assert_eq!(mercury["injector"], "ossm3");
    let workloads = mercury["workloads"].as_array().expect("workloads");
    assert!(!workloads.is_empty());
    for w in workloads {
        assert_eq!(w["injector"], "ossm3", "{w}");
        assert_eq!(w["running"], serde_json::json!(["basic"]), "{w}");
        assert_eq!(w["needs_restart"], true, "{w}");
    }
    for ns in ["earth", "jupiter", "mars", "venus"] {
        assert_eq!(namespace(&v, ns)["injector"], "basic");
    }
}

#[test]
fn after_restarting_mercury_nothing_needs_a_restart() {
    let v = status_json("03-mercury-migrated.yaml");
    for n in v["namespaces"].as_array().expect("namespaces") {
        for w in n["workloads"].as_array().expect("workloads") {
            assert_eq!(w["needs_restart"], false, "{}: {w}", n["name"]);
        }
    }
    let ossm3 = v["progress"]
        .as_array()
        .expect("progress")
        .iter()
        .find(|p| p["revision"] == "ossm3")
        .expect("ossm3");
    assert!(ossm3["pods"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn after_all_five_basic_is_unused_and_prunable() {
    let v = status_json("04-all-migrated.yaml");
    let basic = revision(&v, "basic").expect("basic still installed");
    assert!(names(&basic["namespaces"]).is_empty());
    assert_eq!(basic["in_use"], false, "{basic}");
    assert_eq!(basic["prunable"], true);
    assert_eq!(
        names(&revision(&v, "ossm3").expect("ossm3")["namespaces"]),
        PLANETS
    );
}

#[test]
fn after_deleting_the_smcp_only_ossm3_remains() {
    let v = status_json("05-smcp-deleted.yaml");
    assert!(revision(&v, "basic").is_none());
    assert_eq!(
        names(&revision(&v, "ossm3").expect("ossm3")["namespaces"]),
        PLANETS
    );
    assert!(
        v["pods"]
            .as_array()
            .expect("pods")
            .iter()
            .all(|p| p["running"] != "basic")
    );
}
