//! Types a plan or a journal holds read back what they wrote (issue 7 item 5):
//! identities, revisions, tags, webhooks, resolutions, warnings, in-use verdicts.

use meshrev::internal::in_use;
use meshrev::mesh::{Family, Revision, Tag, Via, Webhook};
use meshrev::resolve::Resolution;
use meshrev::snapshot::{TagTargetKind, WorkloadKind};
use meshrev::status::{InUse, Running};
use meshrev::{Mesh, ObjectRef, Snapshot};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod common;

#[track_caller]
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).expect("serializes");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&back, value, "{json}");
}

#[test]
fn every_fixture_s_model_reads_back_what_it_wrote() {
    for family in [
        "ossm-2.6-to-3.0/02-mercury-relabelled.yaml",
        "upstream-canary/02-prod-stable-moved.yaml",
        "sail-revision-based/02-v1-25-1-added.yaml",
        "edge-cases/never-always-selectors.yaml",
    ] {
        let mesh = Mesh::new(Snapshot::from_path(common::fixture(family)).expect("parses"));
        let revisions: Vec<Revision> = mesh.revisions().cloned().collect();
        assert!(!revisions.is_empty(), "{family}");
        round_trip(&revisions);
        round_trip(&mesh.tags().cloned().collect::<Vec<Tag>>());
        round_trip(&mesh.webhooks().to_vec() as &Vec<Webhook>);
        round_trip(&mesh.warnings().to_vec());
        for ns in mesh.snapshot().namespaces() {
            round_trip::<Resolution>(&mesh.resolve_namespace(ns.name()));
        }
        for r in &revisions {
            round_trip::<Vec<InUse>>(&in_use(&mesh, r).1);
        }
    }
}

#[test]
fn identities_and_kinds_read_back() {
    round_trip(&ObjectRef::new("Deployment", Some("mercury"), "web"));
    round_trip(&ObjectRef::new("Namespace", None, "mercury"));
    round_trip(&vec![Family::Istio, Family::Sail, Family::Maistra]);
    round_trip(&vec![
        Via::Direct,
        Via::Tag("prod-stable".into()),
        Via::DefaultRevision,
        Via::Membership,
    ]);
    round_trip(&vec![WorkloadKind::Deployment, WorkloadKind::StatefulSet]);
    round_trip(&vec![TagTargetKind::Istio, TagTargetKind::IstioRevision]);
    round_trip(&vec![
        Running::Revision("basic".into()),
        Running::Unknown,
        Running::None,
    ]);
}
