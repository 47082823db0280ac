//! Upstream table: istio/istio `pkg/kube/inject/webhook_test.go`, `TestInjectRequired`
//! (stored commit 61b0c2acf250d9c1c532356967a437f972e63406), ported as data in
//! `tests/upstream/istio_inject_required.yaml`. Function under test upstream:
//! `injectRequired` in `pkg/kube/inject/inject.go`; here [`meshrev::resolve::inject_required`].
//!
//! Two stored versions of `inject.go` disagree on `sidecar.istio.io/inject` values
//! (older: lowercased `y|yes|true|on` opt in, any other non-empty value opts out;
//! newer b0d2c6a: only exact `true`/`false`, anything else falls back to the
//! default). meshrev follows the older one. Every row of this table uses exactly
//! `"true"` or `"false"`, so the table agrees with both versions and cannot tell
//! them apart; `value_rows_distinguishing_inject_go_versions` below keeps that
//! fact checked.

use meshrev::internal::{PodView, inject_required};
use meshrev::labels::{LabelSelector, Labels};
use meshrev::mesh::{InjectorConfig, Policy};
use meshrev::resolve::PodDecision;
use serde::Deserialize;

mod common;
use common::{KnownGaps, upstream_table};

/// Rows in the port, per `tests/upstream/README.md`.
const EXPECTED_ENTRIES: usize = 33;
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
        PodDecision::HostNetwork
        | PodDecision::IgnoredNamespace { .. }
        | PodDecision::OptedOut { .. }
        | PodDecision::NeverInjectSelector { .. } => false,
        other => panic!("a decision this table does not know yet: {other:?}"),
    }
}

fn run(case: &Case) -> Result<(), String> {
    let config = InjectorConfig::new(Policy::parse(&case.policy), "upstream table").with_selectors(
        case.never_inject_selector.clone(),
        case.always_inject_selector.clone(),
    );
    let view = PodView {
        labels: &case.pod.labels,
        annotations: &case.pod.annotations,
        host_network: case.pod.host_network,
    };
    let decision = inject_required(&case.pod.namespace, view, &config);
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

/// The table only uses the exact values `true` and `false` for
/// `sidecar.istio.io/inject`, on which both stored `inject.go` versions agree.
/// If a port update adds `yes`, `on`, `TRUE`, ... this fails, so the version
/// question gets looked at again.
#[test]
fn value_rows_distinguishing_inject_go_versions() {
    let cases: Vec<Case> = upstream_table!("istio_inject_required.yaml");
    let distinguishing: Vec<String> = cases
        .iter()
        .filter(|c| {
            [&c.pod.labels, &c.pod.annotations].iter().any(|m| {
                m.get(meshrev::labels::SIDECAR_INJECT)
                    .is_some_and(|v| v != "true" && v != "false")
            })
        })
        .map(|c| c.id.clone())
        .collect();
    assert!(
        distinguishing.is_empty(),
        "rows whose sidecar.istio.io/inject value the two inject.go versions read differently: {distinguishing:?}"
    );
}
