//! meshrev evaluates label selectors itself (src/labels.rs), so that the library
//! needs no kube-core, which would pull in k8s-openapi. This checks that it
//! agrees with kube-rs' implementation of the Kubernetes semantics
//! (`kube_core::Selector`, kube-rs/kube `kube-core/src/labels.rs`) on every
//! generated selector and label set, matching and `kubectl -l` rendering both.

use std::collections::BTreeSet;

use kube_core::{Expression, Selector, SelectorExt};
use meshrev::labels::{LabelSelector, Labels, Operator, Requirement};
use proptest::prelude::*;

const KEYS: [&str; 4] = [
    "istio.io/rev",
    "istio-injection",
    "app",
    "maistra.io/member-of",
];
const VALUES: [&str; 4] = ["enabled", "disabled", "1-24-0", ""];

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(VALUES.to_vec()).prop_map(str::to_owned)
}

fn labels() -> impl Strategy<Value = Labels> {
    prop::collection::btree_map(key(), value(), 0..4).prop_map(Labels::from)
}

fn requirement() -> impl Strategy<Value = Requirement> {
    (
        key(),
        prop::sample::select(vec![
            Operator::In,
            Operator::NotIn,
            Operator::Exists,
            Operator::DoesNotExist,
        ]),
        prop::collection::vec(value(), 1..3),
    )
        .prop_map(|(k, op, values)| {
            let values = match op {
                Operator::In | Operator::NotIn => values,
                Operator::Exists | Operator::DoesNotExist => vec![],
            };
            Requirement::new(&k, op, values).expect("valid by construction")
        })
}

fn kube(s: &LabelSelector) -> Selector {
    let mut out: Selector = s
        .match_labels()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.extend(s.match_expressions().iter().map(|r| {
        let values: BTreeSet<String> = r.values().iter().cloned().collect();
        let key = r.key().to_owned();
        match r.operator() {
            Operator::In => Expression::In(key, values),
            Operator::NotIn => Expression::NotIn(key, values),
            Operator::Exists => Expression::Exists(key),
            Operator::DoesNotExist => Expression::DoesNotExist(key),
        }
    }));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn meshrev_and_kube_core_agree(
        match_labels in labels(),
        expressions in prop::collection::vec(requirement(), 0..4),
        candidates in prop::collection::vec(labels(), 1..6),
    ) {
        let s = LabelSelector::new(match_labels, expressions).expect("valid");
        let k = kube(&s);
        prop_assert_eq!(s.to_string(), k.to_string());
        for l in &candidates {
            prop_assert_eq!(s.matches(l), k.matches(l), "{} on {:?}", s, l);
        }
    }
}

#[test]
fn absent_keys_follow_kubernetes() {
    let none = Labels::new();
    let sel = |op, values: &[&str]| {
        LabelSelector::everything()
            .with("istio-injection", op, values)
            .unwrap()
    };
    assert!(!sel(Operator::In, &["enabled"]).matches(&none));
    assert!(sel(Operator::NotIn, &["disabled"]).matches(&none));
    assert!(!sel(Operator::Exists, &[]).matches(&none));
    assert!(sel(Operator::DoesNotExist, &[]).matches(&none));
}
