//! Invariants that cannot be broken from outside (issue 7 item 3).
//!
//! Before, `InjectorConfig` and `Webhook` kept a private compiled copy of each
//! public selector: setting `InjectorConfig::never_inject` was silently ignored by
//! resolution, and replacing `Webhook::namespace_selector` left matching on the old
//! selector. Now a `LabelSelector` carries its own compiled form (like kube-core's
//! `Selector`) and is checked whenever it is built or deserialized, so a selector
//! set through a public field is the one that decides.

use meshrev::internal::{PodView, inject_required};
use meshrev::labels::{self, LabelSelector, Labels, Operator};
use meshrev::mesh::{InjectorConfig, Policy, Via, Webhook};
use meshrev::resolve::PodDecision;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn app_is(value: &str) -> LabelSelector {
    LabelSelector::everything()
        .with("app", Operator::In, &[value])
        .expect("valid selector")
}

fn decide(config: &InjectorConfig, pod_labels: &Labels) -> PodDecision {
    let annotations = Labels::new();
    let view = PodView {
        labels: pod_labels,
        annotations: &annotations,
        host_network: false,
    };
    inject_required("shop", view, config)
}

#[test]
fn never_inject_set_through_its_public_field_takes_effect() {
    let mut config = InjectorConfig::new(Policy::Enabled, "test");
    let web = labels(&[("app", "web")]);
    assert!(matches!(decide(&config, &web), PodDecision::Policy { .. }));

    config.never_inject = vec![app_is("web")];
    assert_eq!(
        decide(&config, &web),
        PodDecision::NeverInjectSelector { index: 0 }
    );
    // And replacing it again replaces what matches.
    config.never_inject = vec![app_is("db")];
    assert!(matches!(decide(&config, &web), PodDecision::Policy { .. }));
}

#[test]
fn always_inject_set_through_its_public_field_takes_effect() {
    // Policy disabled (Maistra's default): only the always-inject selector injects.
    let mut config = InjectorConfig::new(Policy::Disabled, "test");
    let web = labels(&[("app", "web")]);
    assert!(matches!(decide(&config, &web), PodDecision::Policy { .. }));
    config.always_inject.push(app_is("web"));
    assert!(
        matches!(
            decide(&config, &web),
            PodDecision::AlwaysInjectSelector { index: 0 }
        ),
        "{:?}",
        decide(&config, &web)
    );
}

#[test]
fn a_replaced_webhook_namespace_selector_is_the_one_that_matches() {
    let rev_is = |value: &str| {
        LabelSelector::everything()
            .with_label(labels::REV, value)
            .expect("valid selector")
    };
    let mut hook = Webhook::new(
        "istio-sidecar-injector-canary",
        "rev.namespace.sidecar-injector.istio.io",
        "canary",
        Via::Direct,
        Some(rev_is("canary")),
        None,
    );
    let canary = labels(&[(labels::REV, "canary")]);
    let stable = labels(&[(labels::REV, "stable")]);
    assert!(hook.matches_namespace(&canary));
    assert!(!hook.matches_namespace(&stable));

    hook.namespace_selector = Some(rev_is("stable"));
    assert!(hook.matches_namespace(&stable));
    assert!(!hook.matches_namespace(&canary));

    hook.namespace_selector = None;
    assert!(hook.matches_namespace(&canary) && hook.matches_namespace(&stable));

    hook.object_selector = Some(app_is("web"));
    assert!(hook.matches_object(&labels(&[("app", "web")])));
    assert!(!hook.matches_object(&labels(&[("app", "db")])));
}

#[test]
fn an_invalid_selector_cannot_be_deserialized_into_a_config_or_a_webhook() {
    let bad_config = r#"{
        "policy": "Enabled",
        "never_inject": [{"matchExpressions": [{"key": "app", "operator": "In"}]}],
        "always_inject": [],
        "enable_namespaces_by_default": false,
        "source": "test"
    }"#;
    let err = serde_json::from_str::<InjectorConfig>(bad_config).expect_err("refused");
    assert!(
        err.to_string().contains("needs at least one value"),
        "{err}"
    );

    let good_config = bad_config.replace(r#""operator": "In""#, r#""operator": "Exists""#);
    let config: InjectorConfig = serde_json::from_str(&good_config).expect("valid config");
    assert_eq!(
        decide(&config, &labels(&[("app", "anything")])),
        PodDecision::NeverInjectSelector { index: 0 }
    );

    let hook = serde_json::to_value(Webhook::new(
        "c",
        "n",
        "r",
        Via::Tag("prod-stable".into()),
        Some(app_is("web")),
        None,
    ))
    .expect("serializes");
    let mut bad_hook = hook.clone();
    bad_hook["namespace_selector"]["matchLabels"] = serde_json::json!({"bad key!": "x"});
    assert!(serde_json::from_value::<Webhook>(bad_hook).is_err());
    let back: Webhook = serde_json::from_value(hook).expect("round trip");
    assert!(back.matches_namespace(&labels(&[("app", "web")])));
    assert_eq!(back.via, Via::Tag("prod-stable".into()));
}
