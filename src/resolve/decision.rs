//! istiod's own check once its webhook received a pod (`injectRequired`, istio
//! `pkg/kube/inject/inject.go`).

use serde::{Deserialize, Serialize};

use crate::labels::{self, Labels};
use crate::mesh::{InjectValues, InjectorConfig, Policy};
use crate::snapshot::{Pod, PodTemplate};

/// Where a pod's `sidecar.istio.io/inject` value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueSource {
    /// The label (which wins over the annotation).
    Label,
    /// The annotation.
    Annotation,
}

/// istiod's decision once its webhook received the pod (`injectRequired`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PodDecision {
    /// `spec.hostNetwork: true`: never injected.
    HostNetwork,
    /// The namespace is one istiod always ignores.
    IgnoredNamespace {
        /// The namespace.
        namespace: String,
    },
    /// `sidecar.istio.io/inject` opts in: `true`, or (istiod before 1.27)
    /// `y|yes|true|on` in any case.
    OptedIn {
        /// The value.
        value: String,
        /// Label or annotation.
        source: ValueSource,
        /// How this istiod reads the value (by its version).
        values: InjectValues,
    },
    /// `sidecar.istio.io/inject` opts out: `false`, or (istiod before 1.27) any
    /// other non-empty value.
    OptedOut {
        /// The value.
        value: String,
        /// Label or annotation.
        source: ValueSource,
        /// How this istiod reads the value (by its version).
        values: InjectValues,
    },
    /// `sidecar.istio.io/inject` has a value this istiod does not accept (1.27+:
    /// neither `true` nor `false`): the default decision (`then`) applies.
    UnacceptedValue {
        /// The value.
        value: String,
        /// Label or annotation.
        source: ValueSource,
        /// How this istiod reads the value (by its version).
        values: InjectValues,
        /// The default decision: a never/always selector or the policy.
        then: Box<PodDecision>,
    },
    /// The pod matched `neverInjectSelector[index]`.
    NeverInjectSelector {
        /// Position in the list.
        index: usize,
    },
    /// The pod matched `alwaysInjectSelector[index]`.
    AlwaysInjectSelector {
        /// Position in the list.
        index: usize,
    },
    /// No opinion from the pod: the policy decided.
    Policy {
        /// The policy.
        policy: Policy,
    },
}

impl PodDecision {
    pub(super) fn injects(&self) -> bool {
        match self {
            PodDecision::OptedIn { .. } | PodDecision::AlwaysInjectSelector { .. } => true,
            PodDecision::Policy { policy } => *policy == Policy::Enabled,
            PodDecision::UnacceptedValue { then, .. } => then.injects(),
            _ => false,
        }
    }
}

/// What a pod looks like to the webhook and to istiod.
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    /// Pod labels (objectSelector, never/always selectors).
    pub labels: &'a Labels,
    /// Pod annotations (`sidecar.istio.io/inject`).
    pub annotations: &'a Labels,
    /// `spec.hostNetwork`.
    pub host_network: bool,
}

impl<'a> From<&'a Pod> for PodView<'a> {
    fn from(p: &'a Pod) -> Self {
        PodView {
            labels: &p.meta.labels,
            annotations: &p.meta.annotations,
            host_network: p.host_network,
        }
    }
}

impl<'a> From<&'a PodTemplate> for PodView<'a> {
    fn from(t: &'a PodTemplate) -> Self {
        PodView {
            labels: &t.labels,
            annotations: &t.annotations,
            host_network: t.host_network,
        }
    }
}

/// istiod's `injectRequired`, after a webhook matched (istio `pkg/kube/inject/inject.go`).
pub fn inject_required(namespace: &str, pod: PodView<'_>, config: &InjectorConfig) -> PodDecision {
    if pod.host_network {
        return PodDecision::HostNetwork;
    }
    if labels::IGNORED_NAMESPACES.contains(&namespace) {
        return PodDecision::IgnoredNamespace {
            namespace: namespace.to_owned(),
        };
    }
    let value = match pod.labels.get(labels::SIDECAR_INJECT) {
        Some(v) => Some((v, ValueSource::Label)),
        None => pod
            .annotations
            .get(labels::SIDECAR_INJECT)
            .map(|v| (v, ValueSource::Annotation)),
    };
    if let Some((value, source)) = value {
        let values = config.values.clone();
        match values.read(value) {
            Some(true) => {
                return gate(
                    PodDecision::OptedIn {
                        value: value.clone(),
                        source,
                        values,
                    },
                    config,
                );
            }
            Some(false) => {
                return PodDecision::OptedOut {
                    value: value.clone(),
                    source,
                    values,
                };
            }
            None if value.is_empty() => {}
            None => {
                return PodDecision::UnacceptedValue {
                    value: value.clone(),
                    source,
                    values,
                    then: Box::new(default_decision(pod, config)),
                };
            }
        }
    }
    default_decision(pod, config)
}

/// What istiod decides for a pod with no (accepted) value: the never, then the
/// always selectors, then the policy.
fn default_decision(pod: PodView<'_>, config: &InjectorConfig) -> PodDecision {
    // Selectors with no requirements are skipped, as istiod skips empty ones.
    let non_empty = |s: &crate::labels::LabelSelector| !s.is_empty();
    for (index, s) in config.never_inject.iter().enumerate() {
        if non_empty(s) && s.matches(pod.labels) {
            return PodDecision::NeverInjectSelector { index };
        }
    }
    for (index, s) in config.always_inject.iter().enumerate() {
        if non_empty(s) && s.matches(pod.labels) {
            return gate(PodDecision::AlwaysInjectSelector { index }, config);
        }
    }
    PodDecision::Policy {
        policy: config.policy.clone(),
    }
}

/// A policy other than `enabled`/`disabled` overrides even an explicit opt-in.
fn gate(decision: PodDecision, config: &InjectorConfig) -> PodDecision {
    match &config.policy {
        Policy::Other(_) => PodDecision::Policy {
            policy: config.policy.clone(),
        },
        _ => decision,
    }
}
