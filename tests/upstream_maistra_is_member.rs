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

use meshrev::internal::{is_member, roll_includes};
use meshrev::labels::{LabelSelector, Labels};
use meshrev::snapshot::{ObjectMeta, ServiceMeshMemberRoll};
use serde::Deserialize;

mod common;
use common::{KnownGaps, NamespaceIn, upstream_table};

/// Entries in `maistra_is_member.yaml` (10 upstream cases x their namespaces), per the README.
const IS_MEMBER_ENTRIES: usize = 47;
/// Rows in `maistra_selector_matches.yaml`, per the README.
const SELECTOR_ENTRIES: usize = 10;
/// Neither table skips anything, per the README.
const EXPECTED_SKIPPED: usize = 0;

/// Cases that fail because of a meshrev bug outside `src/mesh/membership.rs`:
/// `(id, what is wrong)`. Empty: membership lives in the file this harness maintains.
const KNOWN_GAPS: KnownGaps = &[];

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

/// Runs every non-skipped case of `table`, collects every failure, checks the counts.
fn drive<C>(
    table: &str,
    cases: &[C],
    entries: usize,
    id: impl Fn(&C) -> &str,
    skip: impl Fn(&C) -> Option<&str>,
    run: impl Fn(&C) -> Result<(), String>,
) {
    assert_eq!(cases.len(), entries, "entries in {table}");
    let tally = common::run_cases(
        cases,
        KNOWN_GAPS,
        None,
        &id,
        |c| skip(c).map(|reason| format!("{}: {reason}", id(c))),
        run,
    );
    println!(
        "{table}: {} run, {} skipped",
        tally.run,
        tally.skipped.len()
    );
    tally.print_skipped();
    tally.assert_all_pass_of(table, entries, EXPECTED_SKIPPED);
}

#[test]
fn maistra_servicemeshmemberroll_types_test_is_member_table() {
    let cases: Vec<MemberCase> = upstream_table!("maistra_is_member.yaml");
    common::assert_unique(
        cases.iter().map(|c| c.id.as_str()).collect(),
        "ids must be unique",
    );
    common::assert_gaps_name_cases(KNOWN_GAPS, &cases, |c| &c.id);
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
    let cases: Vec<SelectorCase> = upstream_table!("maistra_selector_matches.yaml");
    drive(
        "maistra_selector_matches.yaml",
        &cases,
        SELECTOR_ENTRIES,
        |c| &c.name,
        |c| c.skip_reason.as_deref(),
        run_selector,
    );
}
