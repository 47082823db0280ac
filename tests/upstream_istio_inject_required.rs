//! Upstream table: istio/istio `pkg/kube/inject/webhook_test.go`, `TestInjectRequired`
//! (stored commit 61b0c2acf250d9c1c532356967a437f972e63406), ported as data in
//! `tests/upstream/istio_inject_required.yaml`. Function under test upstream:
//! `injectRequired` in `pkg/kube/inject/inject.go`; here [`meshrev::resolve::inject_required`].
//!
//! `inject.go` reads `sidecar.istio.io/inject` values by version: up to 1.26
//! (tag 1.26.8) it lowercases them and `y|yes|true|on` opt in, any other
//! non-empty value opts out; from 1.27.0 (commit 331d32e30a3) only exact
//! `true`/`false` count and anything else falls back to the default. meshrev
//! follows the version of each istiod (`InjectValues`). Rows 00-32 use exactly
//! `"true"` or `"false"`, on which both agree; rows 33-35 come from the 1.27.0
//! table and name `istiod_version`. `value_rows_name_their_istiod_version` keeps
//! that split checked, and `the_1_27_rows_under_a_1_26_istiod` runs them with the
//! older rule.

use meshrev::internal::{PodView, inject_required};
use meshrev::labels::{LabelSelector, Labels};
use meshrev::mesh::{Family, InjectValues, InjectorConfig, Policy};
use meshrev::resolve::PodDecision;
use serde::Deserialize;

mod common;
use common::{KnownGaps, upstream_table};

/// Rows in the port, per `tests/upstream/README.md`.
const EXPECTED_ENTRIES: usize = 36;
/// Rows the port marks `skip_reason`, per the README.
const EXPECTED_SKIPPED: usize = 0;

/// Cases that fail because of a meshrev bug outside the files this harness may
/// fix: `(id, what is wrong)`. The test asserts they still fail, so the list
/// stays honest. Empty: every row passes.
const KNOWN_GAPS: KnownGaps = &[];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    name: String,
    index: usize,
    policy: String,
    never_inject_selector: Vec<LabelSelector>,
    always_inject_selector: Vec<LabelSelector>,
    pod: PodIn,
    want: bool,
    /// The istiod version the row holds for (rows from the 1.27.0 table); absent:
    /// any version.
    #[serde(default)]
    istiod_version: Option<String>,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PodIn {
    namespace: String,
    host_network: bool,
    labels: Labels,
    annotations: Labels,
}

/// Whether istiod injects after this decision. Mirrors the (private)
/// `PodDecision::injects` in `src/resolve.rs`: an opt-in or an
/// `alwaysInjectSelector` match injects, the policy decides otherwise, and
/// anything else refuses.
fn injects(decision: &PodDecision) -> bool {
    match decision {
        PodDecision::OptedIn { .. } | PodDecision::AlwaysInjectSelector { .. } => true,
        PodDecision::Policy { policy } => *policy == Policy::Enabled,
        PodDecision::UnacceptedValue { then, .. } => injects(then),
        PodDecision::HostNetwork
        | PodDecision::IgnoredNamespace { .. }
        | PodDecision::OptedOut { .. }
        | PodDecision::NeverInjectSelector { .. } => false,
        other => panic!("a decision this table does not know yet: {other:?}"),
    }
}

fn decide(case: &Case, istiod_version: Option<&str>) -> PodDecision {
    let mut config = InjectorConfig::new(Policy::parse(&case.policy), "upstream table")
        .with_selectors(
            case.never_inject_selector.clone(),
            case.always_inject_selector.clone(),
        );
    config.values = InjectValues::for_revision(Family::Istio, istiod_version);
    let view = PodView {
        labels: &case.pod.labels,
        annotations: &case.pod.annotations,
        host_network: case.pod.host_network,
    };
    inject_required(&case.pod.namespace, view, &config)
}

fn run(case: &Case) -> Result<(), String> {
    let decision = decide(case, case.istiod_version.as_deref());
    let got = injects(&decision);
    if got == case.want {
        Ok(())
    } else {
        Err(format!(
            "{} (upstream row {}, pod {}): input policy={:?} never={:?} always={:?} pod={:?}; want {}, got {} ({decision:?}: {decision})",
            case.id,
            case.index,
            case.name,
            case.policy,
            case.never_inject_selector,
            case.always_inject_selector,
            case.pod,
            case.want,
            got
        ))
    }
}

#[test]
fn istio_webhook_test_inject_required_table() {
    let cases: Vec<Case> = upstream_table!("istio_inject_required.yaml", EXPECTED_ENTRIES);
    common::assert_unique(
        cases.iter().map(|c| c.id.as_str()).collect(),
        "case ids must be unique",
    );
    common::assert_gaps_name_cases(KNOWN_GAPS, &cases, |c| &c.id);

    let tally = common::run_cases(
        &cases,
        KNOWN_GAPS,
        None,
        |c| &c.id,
        |c| c.skip_reason.as_ref().map(|r| format!("{}: {r}", c.id)),
        run,
    );
    println!(
        "istio TestInjectRequired: {} run, {} skipped, {} known gaps",
        tally.run,
        tally.skipped.len(),
        KNOWN_GAPS.len()
    );
    tally.print_skipped();
    tally.assert_all_pass(EXPECTED_ENTRIES, EXPECTED_SKIPPED);
}

/// Rows whose `sidecar.istio.io/inject` value is not exactly `true`/`false` are
/// read differently by istiod before and from 1.27: each must name the version
/// it holds for. If a port update adds such a row without one, this fails.
#[test]
fn value_rows_name_their_istiod_version() {
    let cases: Vec<Case> = upstream_table!("istio_inject_required.yaml");
    let distinguishing: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            [&c.pod.labels, &c.pod.annotations].iter().any(|m| {
                m.get(meshrev::labels::SIDECAR_INJECT)
                    .is_some_and(|v| v != "true" && v != "false")
            })
        })
        .collect();
    let ids: Vec<&str> = distinguishing.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "33-invalid-inject-value-yes",
            "34-invalid-inject-value-on",
            "35-invalid-inject-value-random"
        ]
    );
    for c in distinguishing {
        assert_eq!(c.istiod_version.as_deref(), Some("1.27.0"), "{}", c.id);
    }
}

/// The 1.27.0 rows under an istiod of 1.26, worked out by hand from tag 1.26.8's
/// `injectRequired` (lowercase; `y|yes|true|on` opt in, other non-empty values
/// opt out, whatever the policy): `yes` still injects, `on` now injects under
/// policy disabled, `random` now opts out.
#[test]
fn the_1_27_rows_under_a_1_26_istiod() {
    let cases: Vec<Case> = upstream_table!("istio_inject_required.yaml");
    let want_1_26 = [
        ("33-invalid-inject-value-yes", true),
        ("34-invalid-inject-value-on", true),
        ("35-invalid-inject-value-random", false),
    ];
    for (id, want) in want_1_26 {
        let case = cases.iter().find(|c| c.id == id).expect("row");
        let decision = decide(case, Some("1.26.8"));
        assert_eq!(injects(&decision), want, "{id}: {decision}");
        assert!(
            matches!(
                decision,
                PodDecision::OptedIn { .. } | PodDecision::OptedOut { .. }
            ),
            "{id}: 1.26 decides on the value itself: {decision:?}"
        );
        // And 1.27 falls back to the default for each.
        assert!(
            matches!(
                decide(case, Some("1.27.0")),
                PodDecision::UnacceptedValue { .. }
            ),
            "{id}"
        );
    }
}
