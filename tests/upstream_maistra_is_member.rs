//! Upstream tables from maistra/istio-operator
//! `pkg/apis/maistra/v1/servicemeshmemberroll_types_test.go` (stored
//! cb5e7dbd7a602fd5ea6bb28f271d0ef83127b91a, the `memberSelectors` API of 2.4+),
//! ported as data:
//!
//! - `TestIsMember` -> `tests/upstream/maistra_is_member.yaml`, run through
//!   [`roll_includes`] and [`is_member`] (with no `ServiceMeshMember`s);
//! - `TestSelectorMatches` -> `tests/upstream/maistra_selector_matches.yaml`, run
//!   through [`LabelSelector::matches`] and, as the one selector of a roll, through
//!   [`roll_includes`] for an ordinary namespace.
//!
//! Upstream's SMMR has no namespace, so `control_plane_namespace` is `""` and
//! meshrev's extra rule (the control-plane namespace is never a member, which
//! upstream applies in the member-roll controller, not in `IsMember`) plays no part.

use meshrev::labels::{LabelSelector, Labels};
use meshrev::mesh::{is_member, roll_includes};
use meshrev::snapshot::{ObjectMeta, ServiceMeshMemberRoll};
use serde::Deserialize;

/// Entries in `maistra_is_member.yaml` (10 upstream cases x their namespaces), per the README.
const IS_MEMBER_ENTRIES: usize = 47;
/// Rows in `maistra_selector_matches.yaml`, per the README.
const SELECTOR_ENTRIES: usize = 10;
/// Neither table skips anything, per the README.
const EXPECTED_SKIPPED: usize = 0;

/// Cases that fail because of a meshrev bug outside `src/mesh/membership.rs`:
/// `(id, what is wrong)`. Empty: membership lives in the file this harness maintains.
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberCase {
    id: String,
    name: String,
    members: Option<Vec<String>>,
    member_selectors: Option<Vec<LabelSelector>>,
    namespace: NamespaceIn,
    control_plane_namespace: String,
    want: bool,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamespaceIn {
    name: String,
    labels: Labels,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorCase {
    name: String,
    selector: LabelSelector,
    labels: Labels,
    want: bool,
    #[serde(default)]
    skip_reason: Option<String>,
}

fn run_member(case: &MemberCase) -> Result<(), String> {
    let members = case.members.clone().unwrap_or_default();
    let selectors = case.member_selectors.clone().unwrap_or_default();
    let by_roll = roll_includes(
        &members,
        &selectors,
        &case.control_plane_namespace,
        &case.namespace.name,
        &case.namespace.labels,
    );
    let roll = ServiceMeshMemberRoll {
        meta: ObjectMeta::namespaced(case.control_plane_namespace.clone(), "default"),
        members: members.clone(),
        member_selectors: selectors.clone(),
    };
    let by_is_member = is_member(
        Some(&roll),
        std::iter::empty(),
        "basic",
        &case.control_plane_namespace,
        &case.namespace.name,
        &case.namespace.labels,
    );
    if by_roll == case.want && by_is_member == case.want {
        Ok(())
    } else {
        Err(format!(
            "{} (upstream case {:?}): input members={:?} memberSelectors={:?} namespace={:?}; want {}, got roll_includes={by_roll} is_member={by_is_member}",
            case.id, case.name, case.members, case.member_selectors, case.namespace, case.want
        ))
    }
}

fn run_selector(case: &SelectorCase) -> Result<(), String> {
    let direct = case.selector.matches(&case.labels);
    let in_roll = roll_includes(
        &[],
        std::slice::from_ref(&case.selector),
        "istio-system",
        "ns1",
        &case.labels,
    );
    if direct == case.want && in_roll == case.want {
        Ok(())
    } else {
        Err(format!(
            "{}: input selector={:?} labels={:?}; want {}, got matches={direct} roll_includes={in_roll}",
            case.name, case.selector, case.labels, case.want
        ))
    }
}

/// Runs every non-skipped case, collects every failure, checks the counts.
fn drive<C>(
    table: &str,
    cases: &[C],
    entries: usize,
    id: impl Fn(&C) -> &str,
    skip: impl Fn(&C) -> Option<&str>,
    run: impl Fn(&C) -> Result<(), String>,
) {
    assert_eq!(cases.len(), entries, "entries in {table}");
    let mut run_count = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut gaps_now_passing = Vec::new();
    for case in cases {
        if let Some(reason) = skip(case) {
            skipped.push(format!("{}: {reason}", id(case)));
            continue;
        }
        run_count += 1;
        let gap = KNOWN_GAPS.iter().find(|(g, _)| *g == id(case));
        match (run(case), gap) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Err(e), None) => failures.push(e),
            (Ok(()), Some((g, why))) => gaps_now_passing.push(format!("{g} ({why})")),
        }
    }
    println!("{table}: {run_count} run, {} skipped", skipped.len());
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert!(
        failures.is_empty(),
        "{} of {run_count} cases of {table} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        gaps_now_passing.is_empty(),
        "KNOWN_GAPS entries now pass, remove them: {gaps_now_passing:?}"
    );
    assert_eq!(skipped.len(), EXPECTED_SKIPPED, "skipped cases of {table}");
    assert_eq!(
        run_count,
        entries - EXPECTED_SKIPPED,
        "cases run of {table}"
    );
}

#[test]
fn maistra_servicemeshmemberroll_types_test_is_member_table() {
    let cases: Vec<MemberCase> =
        serde_yaml::from_str(include_str!("upstream/maistra_is_member.yaml"))
            .expect("tests/upstream/maistra_is_member.yaml parses");
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), cases.len(), "ids must be unique");
    for (gap, _) in KNOWN_GAPS {
        assert!(ids.contains(gap), "KNOWN_GAPS names unknown case {gap:?}");
    }
    drive(
        "maistra_is_member.yaml",
        &cases,
        IS_MEMBER_ENTRIES,
        |c| &c.id,
        |c| c.skip_reason.as_deref(),
        run_member,
    );
}

#[test]
fn maistra_servicemeshmemberroll_types_test_selector_matches_table() {
    let cases: Vec<SelectorCase> =
        serde_yaml::from_str(include_str!("upstream/maistra_selector_matches.yaml"))
            .expect("tests/upstream/maistra_selector_matches.yaml parses");
    drive(
        "maistra_selector_matches.yaml",
        &cases,
        SELECTOR_ENTRIES,
        |c| &c.name,
        |c| c.skip_reason.as_deref(),
        run_selector,
    );
}
