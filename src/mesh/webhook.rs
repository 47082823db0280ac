//! Injection webhooks, compiled: each one is a namespace selector, an object
//! selector and the revision it sends pods to. Read from the cluster's
//! MutatingWebhookConfigurations, or synthesized by the chart rules when absent
//! (istio `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`
//! and `revision-tags.yaml`; maistra `istio-discovery` chart).

use serde::{Deserialize, Serialize};

use super::revision::Via;
use crate::labels::{self, LabelSelector, Operator, Requirement};
use crate::snapshot::FailurePolicy;

/// An injection webhook the API server would call.
///
/// Its selectors are [`LabelSelector`]s, which carry their own compiled form:
/// replacing one replaces what matches, and nothing else can go stale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// The MutatingWebhookConfiguration's name (the one it would have, if synthesized).
    pub configuration: String,
    /// The webhook's name, e.g. `rev.namespace.sidecar-injector.istio.io`.
    pub name: String,
    /// The revision it sends pods to.
    pub revision: String,
    /// How it reaches that revision.
    pub via: Via,
    /// Built from CRs rather than read from the cluster.
    pub synthesized: bool,
    /// `namespaceSelector` (`None`: every namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// `objectSelector` (`None`: every pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    /// `clientConfig.service` (`namespace/name`) when no istiod in the snapshot
    /// serves it: the API server's call fails, and with `failurePolicy: Fail`
    /// every pod the webhook matches is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unserved: Option<String>,
    /// `failurePolicy` (the chart's, `Fail`, when synthesized).
    #[serde(default)]
    pub failure_policy: FailurePolicy,
}

impl Webhook {
    /// A webhook read from the cluster (not synthesized).
    pub fn new(
        configuration: impl Into<String>,
        name: impl Into<String>,
        revision: impl Into<String>,
        via: Via,
        namespace_selector: Option<LabelSelector>,
        object_selector: Option<LabelSelector>,
    ) -> Self {
        Webhook {
            configuration: configuration.into(),
            name: name.into(),
            revision: revision.into(),
            via,
            synthesized: false,
            namespace_selector,
            object_selector,
            unserved: None,
            failure_policy: FailurePolicy::Fail,
        }
    }

    /// Whether the API server rejects every pod this webhook matches: its service
    /// has no istiod and its `failurePolicy` is `Fail`.
    pub fn rejects(&self) -> bool {
        self.unserved.is_some() && self.failure_policy == FailurePolicy::Fail
    }

    /// Whether the webhook can change what happens to a pod: a call that fails
    /// under `failurePolicy: Ignore` leaves the pod as it was.
    pub fn is_effective(&self) -> bool {
        self.unserved.is_none() || self.failure_policy == FailurePolicy::Fail
    }

    fn synthesized(mut self) -> Self {
        self.synthesized = true;
        self
    }

    /// Whether the namespace selector admits these namespace labels.
    pub fn matches_namespace(&self, namespace_labels: &labels::Labels) -> bool {
        self.namespace_selector
            .as_ref()
            .is_none_or(|s| s.matches(namespace_labels))
    }

    /// Whether the object selector admits these pod labels.
    pub fn matches_object(&self, pod_labels: &labels::Labels) -> bool {
        self.object_selector
            .as_ref()
            .is_none_or(|s| s.matches(pod_labels))
    }

    /// Whether a selector points at `istio.io/deactivated` (what `istioctl tag set
    /// default` writes into the old default webhooks so they never match).
    pub fn is_deactivated(&self) -> bool {
        let mentions =
            |s: &Option<LabelSelector>| s.as_ref().is_some_and(|s| s.mentions(labels::DEACTIVATED));
        mentions(&self.namespace_selector) || mentions(&self.object_selector)
    }

    /// The selectors in `kubectl -l` syntax, for explanations.
    pub fn describe_selectors(&self) -> String {
        let show = |s: &Option<LabelSelector>| match s {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => "everything".to_owned(),
        };
        format!(
            "namespaceSelector {}; objectSelector {}",
            show(&self.namespace_selector),
            show(&self.object_selector)
        )
    }
}

/// The suffix a webhook configuration name carries outside `istio-system`.
fn ns_suffix(namespace: &str) -> String {
    if namespace == "istio-system" {
        String::new()
    } else {
        format!("-{namespace}")
    }
}

const INJECT_NOT_FALSE: (&str, Operator, &[&str]) =
    (labels::SIDECAR_INJECT, Operator::NotIn, &["false"]);

/// A selector the chart renders. Unchecked: `v` is a revision or tag name meshrev
/// already holds, and the API server would have refused the configuration had it
/// not been a valid label value.
fn sel(requirements: &[(&str, Operator, &[&str])]) -> LabelSelector {
    LabelSelector::unchecked(
        labels::Labels::new(),
        requirements
            .iter()
            .map(|(k, op, v)| Requirement::unchecked(k, *op, v))
            .collect(),
    )
}

/// The webhooks the istio-discovery chart renders for revision (or tag) value `v`.
/// `default_webhooks` adds `namespace.`, `object.` (and `auto.` when
/// `auto_inject_namespaces`), which only the default revision or tag carries.
pub(crate) fn chart_webhooks(
    configuration: &str,
    v: &str,
    revision: &str,
    via: Via,
    default_webhooks: bool,
    auto_inject_namespaces: bool,
) -> Vec<Webhook> {
    let mk = |name: &str, ns: LabelSelector, obj: LabelSelector, via: Via| {
        Webhook::new(configuration, name, revision, via, Some(ns), Some(obj)).synthesized()
    };
    let mut hooks = vec![
        mk(
            "rev.namespace.sidecar-injector.istio.io",
            sel(&[
                (labels::REV, Operator::In, &[v]),
                (labels::INJECTION, Operator::DoesNotExist, &[]),
            ]),
            sel(&[INJECT_NOT_FALSE]),
            via.clone(),
        ),
        mk(
            "rev.object.sidecar-injector.istio.io",
            sel(&[
                (labels::REV, Operator::DoesNotExist, &[]),
                (labels::INJECTION, Operator::DoesNotExist, &[]),
            ]),
            sel(&[INJECT_NOT_FALSE, (labels::REV, Operator::In, &[v])]),
            via,
        ),
    ];
    if default_webhooks {
        hooks.push(mk(
            "namespace.sidecar-injector.istio.io",
            sel(&[(labels::INJECTION, Operator::In, &["enabled"])]),
            sel(&[INJECT_NOT_FALSE]),
            Via::DefaultRevision,
        ));
        hooks.push(mk(
            "object.sidecar-injector.istio.io",
            sel(&[
                (labels::INJECTION, Operator::DoesNotExist, &[]),
                (labels::REV, Operator::DoesNotExist, &[]),
            ]),
            sel(&[
                (labels::SIDECAR_INJECT, Operator::In, &["true"]),
                (labels::REV, Operator::DoesNotExist, &[]),
            ]),
            Via::DefaultRevision,
        ));
        if auto_inject_namespaces {
            hooks.push(mk(
                "auto.sidecar-injector.istio.io",
                sel(&[
                    (labels::INJECTION, Operator::DoesNotExist, &[]),
                    (labels::REV, Operator::DoesNotExist, &[]),
                    (
                        labels::METADATA_NAME,
                        Operator::NotIn,
                        &labels::IGNORED_NAMESPACES,
                    ),
                ]),
                sel(&[
                    (labels::SIDECAR_INJECT, Operator::DoesNotExist, &[]),
                    (labels::REV, Operator::DoesNotExist, &[]),
                ]),
                Via::DefaultRevision,
            ));
        }
    }
    hooks
}

/// Name of a revision's webhook configuration (`istio-sidecar-injector[-R][-ns]`).
pub(crate) fn revision_configuration_name(revision: &str, namespace: &str) -> String {
    let rev = if revision == "default" {
        String::new()
    } else {
        format!("-{revision}")
    };
    format!("istio-sidecar-injector{rev}{}", ns_suffix(namespace))
}

/// Name of a tag's webhook configuration (`istio-revision-tag-<tag>[-ns]`).
pub(crate) fn tag_configuration_name(tag: &str, namespace: &str) -> String {
    format!("istio-revision-tag-{tag}{}", ns_suffix(namespace))
}

/// The one webhook a Maistra control plane installs (`istiod-<name>-<ns>`), as the
/// v2.6 chart renders it (maistra/istio-operator
/// `resources/helm/v2.6/istio-control/istio-discovery/templates/mutatingwebhook.yaml`).
/// `inject_selector` is `Some(auto_inject)` when the SMCP turns on the tech-preview
/// `sidecarInjectorWebhook.objectSelector`: the objectSelector then also requires
/// `sidecar.istio.io/inject NotIn [false]` when `global.proxy.autoInject` is
/// enabled, else `sidecar.istio.io/inject In [true]`.
pub(crate) fn maistra_webhook(
    revision: &str,
    namespace: &str,
    inject_selector: Option<bool>,
) -> Webhook {
    let ns = sel(&[
        (labels::MAISTRA_MEMBER_OF, Operator::In, &[namespace]),
        (
            labels::MAISTRA_IGNORE_NAMESPACE,
            Operator::DoesNotExist,
            &[],
        ),
        (labels::INJECTION, Operator::NotIn, &["disabled"]),
        ("istio-env", Operator::DoesNotExist, &[]),
    ]);
    let not_istiod = ("app", Operator::NotIn, &["istiod"][..]);
    let obj = match inject_selector {
        None => sel(&[not_istiod]),
        Some(true) => sel(&[not_istiod, INJECT_NOT_FALSE]),
        Some(false) => sel(&[
            not_istiod,
            (labels::SIDECAR_INJECT, Operator::In, &["true"]),
        ]),
    };
    Webhook::new(
        format!("istiod-{revision}-{namespace}"),
        "sidecar-injector.istio.io",
        revision,
        Via::Membership,
        Some(ns),
        Some(obj),
    )
    .synthesized()
}
