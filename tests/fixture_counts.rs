//! Every fixture parses, and holds the objects its README says: the counts below
//! come from the fixture READMEs (computed by the generator, or by PyYAML for the
//! hand-written edge cases), not from meshrev.

use std::collections::BTreeMap;

use meshrev::Snapshot;

mod common;

/// `ossm-2.6-to-3.0` stages 01 and 02, which hold the same counts: relabelling
/// mercury adds or removes no object.
const OSSM_BEFORE_RESTART: &[(&str, usize)] = &[
    ("Namespace", 8),
    ("Pod", 24),
    ("Deployment", 16),
    ("ReplicaSet", 16),
    ("DaemonSet", 2),
    ("MutatingWebhookConfiguration", 2),
    ("ConfigMap", 4),
    ("ServiceMeshControlPlane", 1),
    ("ServiceMeshMemberRoll", 1),
    ("Istio", 1),
    ("IstioRevision", 1),
    ("Kiali", 1),
];

/// `upstream-canary` 01 (the YAML and its JSON twin) and 02, which hold the same
/// counts: moving a tag adds or removes no object.
const CANARY_BEFORE_RESTART: &[(&str, usize)] = &[
    ("Namespace", 7),
    ("Pod", 16),
    ("Deployment", 13),
    ("ReplicaSet", 13),
    ("StatefulSet", 1),
    ("MutatingWebhookConfiguration", 5),
    ("ConfigMap", 4),
];

/// `sail-in-place` 01 to 03, which hold the same counts: patching `spec.version`
/// and recreating one pod adds or removes no object.
const SAIL_IN_PLACE: &[(&str, usize)] = &[
    ("Namespace", 4),
    ("Pod", 7),
    ("Deployment", 6),
    ("ReplicaSet", 6),
    ("Istio", 1),
    ("IstioRevision", 1),
];

/// (file, [(kind, count)]) for the kinds meshrev keeps; zero counts omitted. The
/// README counts include Sail's `values-<revision>` config maps, which meshrev skips
/// (only `istio*` config maps are read), so those files list one config map fewer
/// per revision here; `sail_values_config_maps_are_skipped_and_counted` checks that.
const COUNTS: &[(&str, &[(&str, usize)])] = &[
    ("ossm-2.6-to-3.0/01-before.yaml", OSSM_BEFORE_RESTART),
    (
        "ossm-2.6-to-3.0/02-mercury-relabelled.yaml",
        OSSM_BEFORE_RESTART,
    ),
    (
        "ossm-2.6-to-3.0/03-mercury-migrated.yaml",
        &[
            ("Namespace", 8),
            ("Pod", 24),
            ("Deployment", 16),
            ("ReplicaSet", 18),
            ("DaemonSet", 2),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 4),
            ("ServiceMeshControlPlane", 1),
            ("ServiceMeshMemberRoll", 1),
            ("Istio", 1),
            ("IstioRevision", 1),
            ("Kiali", 1),
        ],
    ),
    (
        "ossm-2.6-to-3.0/04-all-migrated.yaml",
        &[
            ("Namespace", 8),
            ("Pod", 24),
            ("Deployment", 16),
            ("ReplicaSet", 28),
            ("DaemonSet", 2),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 4),
            ("ServiceMeshControlPlane", 1),
            ("ServiceMeshMemberRoll", 1),
            ("Istio", 1),
            ("IstioRevision", 1),
            ("Kiali", 1),
        ],
    ),
    (
        "ossm-2.6-to-3.0/05-smcp-deleted.yaml",
        &[
            ("Namespace", 8),
            ("Pod", 23),
            ("Deployment", 15),
            ("ReplicaSet", 27),
            ("DaemonSet", 2),
            ("MutatingWebhookConfiguration", 1),
            ("ConfigMap", 2),
            ("Istio", 1),
            ("IstioRevision", 1),
            ("Kiali", 1),
        ],
    ),
    (
        "ossm-2.6-multitenant/01-partially-migrated.yaml",
        &[
            ("Namespace", 5),
            ("Pod", 11),
            ("Deployment", 10),
            ("ReplicaSet", 13),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 4),
            ("ServiceMeshControlPlane", 1),
            ("ServiceMeshMemberRoll", 1),
            ("ServiceMeshMember", 1),
            ("Istio", 1),
            ("IstioRevision", 1),
        ],
    ),
    (
        "upstream-canary/01-before-tag-move.yaml",
        CANARY_BEFORE_RESTART,
    ),
    (
        "upstream-canary/01-before-tag-move.json",
        CANARY_BEFORE_RESTART,
    ),
    (
        "upstream-canary/02-prod-stable-moved.yaml",
        CANARY_BEFORE_RESTART,
    ),
    (
        "upstream-canary/03-restarted.yaml",
        &[
            ("Namespace", 7),
            ("Pod", 16),
            ("Deployment", 13),
            ("ReplicaSet", 17),
            ("StatefulSet", 1),
            ("MutatingWebhookConfiguration", 5),
            ("ConfigMap", 4),
        ],
    ),
    (
        "sail-revision-based/01-v1-24-3.yaml",
        &[
            ("Namespace", 7),
            ("Pod", 13),
            ("Deployment", 10),
            ("ReplicaSet", 10),
            ("StatefulSet", 1),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 2),
            ("Istio", 1),
            ("IstioRevision", 1),
            ("IstioRevisionTag", 1),
        ],
    ),
    (
        "sail-revision-based/02-v1-25-1-added.yaml",
        &[
            ("Namespace", 7),
            ("Pod", 14),
            ("Deployment", 11),
            ("ReplicaSet", 11),
            ("StatefulSet", 1),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 4),
            ("Istio", 1),
            ("IstioRevision", 2),
            ("IstioRevisionTag", 1),
        ],
    ),
    (
        "sail-revision-based/03-restarted.yaml",
        &[
            ("Namespace", 7),
            ("Pod", 14),
            ("Deployment", 11),
            ("ReplicaSet", 17),
            ("StatefulSet", 1),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 4),
            ("Istio", 1),
            ("IstioRevision", 2),
            ("IstioRevisionTag", 1),
        ],
    ),
    ("sail-in-place/01-before.yaml", SAIL_IN_PLACE),
    ("sail-in-place/02-version-patched.yaml", SAIL_IN_PLACE),
    ("sail-in-place/03-second-step.yaml", SAIL_IN_PLACE),
    (
        "edge-cases/both-labels.yaml",
        &[
            ("Namespace", 4),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 5),
            ("ReplicaSet", 3),
            ("Pod", 4),
        ],
    ),
    (
        "edge-cases/dangling-rev.yaml",
        &[
            ("Namespace", 4),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 1),
            ("Deployment", 5),
            ("ReplicaSet", 4),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/deactivated-default.yaml",
        &[
            ("Namespace", 5),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 7),
            ("ReplicaSet", 5),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/enable-namespaces-by-default.yaml",
        &[
            ("Namespace", 6),
            ("MutatingWebhookConfiguration", 1),
            ("ConfigMap", 1),
            ("Deployment", 8),
            ("ReplicaSet", 7),
            ("Pod", 7),
        ],
    ),
    (
        "edge-cases/host-network.yaml",
        &[
            ("Namespace", 2),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 1),
            ("Deployment", 3),
            ("DaemonSet", 1),
            ("ReplicaSet", 2),
            ("Pod", 4),
        ],
    ),
    (
        "edge-cases/inject-values.yaml",
        &[
            ("Namespace", 3),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 2),
            ("Pod", 13),
        ],
    ),
    (
        "edge-cases/kube-system.yaml",
        &[
            ("Namespace", 3),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 1),
            ("Deployment", 4),
            ("ReplicaSet", 4),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/malformed-status.yaml",
        &[
            ("Namespace", 2),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 1),
            ("Deployment", 4),
            ("ReplicaSet", 3),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/never-always-selectors.yaml",
        &[
            ("Namespace", 3),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 8),
            ("ReplicaSet", 6),
            ("Pod", 8),
        ],
    ),
    (
        "edge-cases/overlap.yaml",
        &[
            ("Namespace", 5),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 7),
            ("ReplicaSet", 5),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/dangling-tag-webhook.yaml",
        &[
            ("Namespace", 6),
            ("MutatingWebhookConfiguration", 4),
            ("Deployment", 6),
            ("ReplicaSet", 5),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/inject-values-by-version.yaml",
        &[
            ("Namespace", 8),
            ("Deployment", 3),
            ("Istio", 1),
            ("ServiceMeshControlPlane", 1),
            ("ServiceMeshMemberRoll", 1),
            ("Pod", 30),
        ],
    ),
    (
        "edge-cases/maistra-object-selector.yaml",
        &[
            ("Namespace", 4),
            ("ServiceMeshControlPlane", 2),
            ("ServiceMeshMemberRoll", 2),
            ("Deployment", 7),
            ("ReplicaSet", 7),
            ("Pod", 7),
        ],
    ),
    (
        "edge-cases/per-istiod-decision.yaml",
        &[
            ("Namespace", 4),
            ("ServiceMeshControlPlane", 1),
            ("ServiceMeshMemberRoll", 1),
            ("Istio", 1),
            ("Deployment", 5),
            ("ReplicaSet", 5),
            ("Pod", 5),
        ],
    ),
    (
        "edge-cases/same-revision-two-namespaces.yaml",
        &[
            ("Namespace", 4),
            ("MutatingWebhookConfiguration", 2),
            ("ConfigMap", 2),
            ("Deployment", 4),
            ("ReplicaSet", 2),
            ("Pod", 2),
        ],
    ),
    (
        "edge-cases/pod-overrides.yaml",
        &[
            ("Namespace", 4),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 11),
            ("ReplicaSet", 9),
            ("Pod", 9),
        ],
    ),
    (
        "edge-cases/sail-name-clash.yaml",
        &[
            ("Namespace", 3),
            ("Istio", 1),
            ("IstioRevision", 2),
            ("IstioRevisionTag", 2),
            ("Deployment", 2),
            ("ReplicaSet", 2),
            ("Pod", 2),
        ],
    ),
    (
        "edge-cases/sail-tag-missing-target.yaml",
        &[
            ("Namespace", 4),
            ("Istio", 1),
            ("IstioRevisionTag", 2),
            ("Deployment", 3),
            ("ReplicaSet", 3),
            ("Pod", 3),
        ],
    ),
    (
        "edge-cases/tag-named-like-revision.yaml",
        &[
            ("Namespace", 4),
            ("MutatingWebhookConfiguration", 3),
            ("ConfigMap", 2),
            ("Deployment", 5),
            ("ReplicaSet", 3),
            ("Pod", 3),
        ],
    ),
];

#[test]
fn every_fixture_parses_with_the_object_counts_its_readme_gives() {
    let root = common::fixtures_dir();
    let mut failures = Vec::new();
    for (file, want) in COUNTS {
        let snapshot = match Snapshot::from_path(root.join(file)) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let got: BTreeMap<&str, usize> = snapshot.counts().into_iter().collect();
        let want: BTreeMap<&str, usize> = want.iter().copied().collect();
        if got != want {
            failures.push(format!("{file}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_file_is_in_the_count_table() {
    let root = common::fixtures_dir();
    let mut missing = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures/") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() || dir.ends_with("gen") {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("dir") {
            let f = f.expect("entry").path();
            let name = f
                .strip_prefix(&root)
                .expect("under fixtures")
                .to_string_lossy()
                .replace('\\', "/");
            let is_snapshot = (name.ends_with(".yaml") || name.ends_with(".json"))
                && !name.ends_with(".expected.yaml");
            if is_snapshot && !COUNTS.iter().any(|(n, _)| *n == name) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures without expected counts: {missing:?}"
    );
}

#[test]
fn the_json_twin_reads_the_same_as_its_yaml() {
    let root = common::fixture("upstream-canary");
    let yaml = Snapshot::from_path(root.join("01-before-tag-move.yaml")).expect("yaml");
    let json = Snapshot::from_path(root.join("01-before-tag-move.json")).expect("json");
    assert_eq!(yaml, json);
}

#[test]
fn sail_values_config_maps_are_skipped_and_counted() {
    let root = common::fixtures_dir();
    let s = Snapshot::from_path(root.join("sail-revision-based/02-v1-25-1-added.yaml"))
        .expect("parses");
    assert_eq!(s.skipped().get("ConfigMap (v1)"), Some(&2));
    assert!(
        s.config_map("istio-system", "values-default-v1-25-1")
            .is_none()
    );
    assert!(
        s.config_map("istio-system", "istio-sidecar-injector-default-v1-25-1")
            .is_some()
    );
}
