//! Resolution: which revision injects a namespace, a workload's pod template or a
//! pod, and why.
//!
//! It is webhook evaluation, as the API server does it, then istiod's own check:
//!
//! 1. Every injection webhook whose `namespaceSelector` admits the namespace labels
//!    and whose `objectSelector` admits the pod labels receives the pod. None: not
//!    injected. Several sending to different revisions: a conflict (istioctl
//!    analyze IST0139); the first by configuration name would win in practice.
//! 2. The receiving istiod applies `injectRequired` (istio
//!    `pkg/kube/inject/inject.go`): `hostNetwork` pods and the system namespaces
//!    are refused; the pod's `sidecar.istio.io/inject` label (else annotation)
//!    decides when it says `y|yes|true|on` (inject) or anything else non-empty
//!    (refuse); otherwise `neverInjectSelector`, then `alwaysInjectSelector`, then
//!    the policy (`enabled` injects, `disabled` does not, any other never does).
//!
//! A namespace is resolved with a pod that has no labels, and step 2 skipped: so a
//! Maistra member namespace's injector is its control plane, even though its pods
//! must opt in.
//!
//! ```
//! use meshrev::{Mesh, Snapshot};
//!
//! let mesh = Mesh::new(Snapshot::from_yaml(r#"
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: ossm3}
//! spec: {version: v1.24.3, namespace: istio-system}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: mercury
//!   labels: {istio.io/rev: ossm3}
//! "#)?);
//! let r = mesh.resolve_namespace("mercury");
//! assert_eq!(r.revision(), Some("ossm3"));
//! assert!(r.to_string().contains("istio.io/rev=ossm3"));
//! # Ok::<(), meshrev::Error>(())
//! ```

use std::fmt;

use serde::Serialize;

use crate::error::ObjectRef;
use crate::labels::{self, Labels};
use crate::mesh::{Family, InjectorConfig, Mesh, Policy, Via, Webhook};
use crate::snapshot::{Pod, PodTemplate, Workload};

/// Which webhook of which configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct WebhookRef {
    /// The MutatingWebhookConfiguration.
    pub configuration: String,
    /// The webhook in it.
    pub name: String,
    /// Built from CRs (the snapshot had no such configuration).
    pub synthesized: bool,
}

impl From<&Webhook> for WebhookRef {
    fn from(w: &Webhook) -> Self {
        WebhookRef {
            configuration: w.configuration.clone(),
            name: w.name.clone(),
            synthesized: w.synthesized,
        }
    }
}

/// A webhook that matched, and where it sends the pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The revision it sends to.
    pub revision: String,
    /// How it reaches that revision.
    pub via: Via,
    /// The webhook.
    pub webhook: WebhookRef,
}

/// Where a pod's `sidecar.istio.io/inject` value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ValueSource {
    /// The label (which wins over the annotation).
    Label,
    /// The annotation.
    Annotation,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueSource::Label => "label",
            ValueSource::Annotation => "annotation",
        })
    }
}

/// istiod's decision once its webhook received the pod (`injectRequired`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PodDecision {
    /// `spec.hostNetwork: true`: never injected.
    HostNetwork,
    /// The namespace is one istiod always ignores.
    IgnoredNamespace {
        /// The namespace.
        namespace: String,
    },
    /// `sidecar.istio.io/inject` is `y|yes|true|on` (any case).
    OptedIn {
        /// The value.
        value: String,
        /// Label or annotation.
        source: ValueSource,
    },
    /// `sidecar.istio.io/inject` has another non-empty value.
    OptedOut {
        /// The value.
        value: String,
        /// Label or annotation.
        source: ValueSource,
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
    fn injects(&self) -> bool {
        match self {
            PodDecision::OptedIn { .. } | PodDecision::AlwaysInjectSelector { .. } => true,
            PodDecision::Policy { policy } => *policy == Policy::Enabled,
            _ => false,
        }
    }
}

impl fmt::Display for PodDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = labels::SIDECAR_INJECT;
        match self {
            PodDecision::HostNetwork => {
                f.write_str("the pod uses hostNetwork, which istiod never injects")
            }
            PodDecision::IgnoredNamespace { namespace } => {
                write!(
                    f,
                    "istiod never injects pods in {namespace} (one of {})",
                    labels::IGNORED_NAMESPACES.join(", ")
                )
            }
            PodDecision::OptedIn { value, source } => {
                write!(f, "the pod {source} {k}={value:?} opts in")
            }
            PodDecision::OptedOut { value, source } => {
                write!(
                    f,
                    "the pod {source} {k}={value:?} opts out (only y, yes, true or on opt in)"
                )
            }
            PodDecision::NeverInjectSelector { index } => {
                write!(f, "the pod matches neverInjectSelector[{index}]")
            }
            PodDecision::AlwaysInjectSelector { index } => {
                write!(f, "the pod matches alwaysInjectSelector[{index}]")
            }
            PodDecision::Policy {
                policy: Policy::Enabled,
            } => {
                write!(
                    f,
                    "the pod does not set {k}, and the injector policy is enabled"
                )
            }
            PodDecision::Policy {
                policy: Policy::Disabled,
            } => write!(
                f,
                "the pod does not set {k}, and the injector policy is disabled, so pods must opt in with {k}=\"true\""
            ),
            PodDecision::Policy {
                policy: Policy::Other(v),
            } => {
                write!(
                    f,
                    "the injector policy {v:?} is neither enabled nor disabled, so istiod injects nothing"
                )
            }
        }
    }
}

/// Why no webhook received the pod, in the domain's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum NoMatch {
    /// `istio-injection=disabled` (or another value than `enabled`).
    InjectionLabelOff {
        /// The value.
        value: String,
    },
    /// `istio-injection=enabled` but no default revision receives it.
    NoDefaultRevision,
    /// `istio.io/rev` names no revision or tag (on the namespace, or on the pod).
    UnknownRevision {
        /// The name.
        name: String,
        /// `namespace` or `pod`.
        on: String,
    },
    /// A Maistra member namespace labelled `maistra.io/ignore-namespace`.
    MaistraIgnored,
    /// The pod label `sidecar.istio.io/inject=false` is excluded by every objectSelector.
    PodLabelFalse,
    /// No label asks for injection and no webhook injects by default.
    NotRequested,
    /// Some other combination: see the webhooks.
    NoSelectorMatched,
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoMatch::InjectionLabelOff { value } => write!(
                f,
                "the namespace has istio-injection={value}, which every webhook excludes (only istio-injection=enabled injects)"
            ),
            NoMatch::NoDefaultRevision => f.write_str(
                "the namespace has istio-injection=enabled, which only the default revision receives, and no default revision or `default` tag injects it",
            ),
            NoMatch::UnknownRevision { name, on } => {
                write!(f, "the {on} label istio.io/rev={name} names no revision or tag, so no webhook matches")
            }
            NoMatch::MaistraIgnored => f.write_str(
                "the namespace has maistra.io/ignore-namespace, which stops its Maistra control plane injecting, and no other revision is asked for",
            ),
            NoMatch::PodLabelFalse => {
                f.write_str("the pod label sidecar.istio.io/inject=false is excluded by every webhook's objectSelector")
            }
            NoMatch::NotRequested => f.write_str(
                "neither the namespace nor the pod has istio-injection or istio.io/rev, and no webhook injects unlabelled namespaces",
            ),
            NoMatch::NoSelectorMatched => f.write_str("no injection webhook's selectors match these labels"),
        }
    }
}

/// The outcome of resolving one namespace, template or pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Resolution {
    /// One revision injects.
    Injected {
        /// The revision (a tag resolved to its target).
        revision: String,
        /// The object that defines the revision.
        control_plane: ObjectRef,
        /// How the matching webhook reaches the revision.
        via: Via,
        /// The webhook that receives the pod.
        webhook: WebhookRef,
        /// Labels that were present but lost to a rule with precedence.
        notes: Vec<String>,
        /// istiod's decision (absent when resolving a namespace).
        decision: Option<PodDecision>,
    },
    /// Nothing injects.
    NotInjected {
        /// The deciding rule.
        reason: NotInjected,
        /// Labels that were present but lost to a rule with precedence.
        notes: Vec<String>,
    },
    /// Webhooks of several revisions match: double injection.
    Conflict {
        /// The matching webhooks, in the order the API server calls them.
        candidates: Vec<Candidate>,
    },
}

/// Why nothing injects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum NotInjected {
    /// The API server sends the pod to no injector.
    NoWebhook {
        /// Why.
        why: NoMatch,
    },
    /// A webhook of `revision` received it and istiod refused.
    Refused {
        /// The revision whose istiod refused.
        revision: String,
        /// The webhook that matched.
        webhook: WebhookRef,
        /// istiod's rule.
        decision: PodDecision,
    },
}

impl Resolution {
    /// The injecting revision, if exactly one injects.
    pub fn revision(&self) -> Option<&str> {
        match self {
            Resolution::Injected { revision, .. } => Some(revision),
            _ => None,
        }
    }

    /// Whether webhooks of several revisions match.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Resolution::Conflict { .. })
    }
}

impl fmt::Display for Resolution {
    /// One readable paragraph: the outcome, the deciding rule, then what lost.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let notes = match self {
            Resolution::Injected {
                revision,
                control_plane,
                via,
                webhook,
                decision,
                ..
            } => {
                write!(
                    f,
                    "injected by revision {revision} ({control_plane}) through {via}: webhook {} of {}",
                    webhook.name, webhook.configuration
                )?;
                if webhook.synthesized {
                    f.write_str(" (synthesized: not in the snapshot)")?;
                }
                write!(
                    f,
                    " matches {}",
                    matched_labels(via, &webhook.name, revision)
                )?;
                if let Some(d) = decision {
                    write!(f, "; {d}")?;
                }
                match self {
                    Resolution::Injected { notes, .. } => notes.as_slice(),
                    _ => &[],
                }
            }
            Resolution::NotInjected { reason, notes } => {
                match reason {
                    NotInjected::NoWebhook { why } => write!(f, "not injected: {why}")?,
                    NotInjected::Refused {
                        revision,
                        webhook,
                        decision,
                    } => write!(
                        f,
                        "not injected: webhook {} of {} sends the pod to revision {revision}, but {decision}",
                        webhook.name, webhook.configuration
                    )?,
                }
                notes.as_slice()
            }
            Resolution::Conflict { candidates } => {
                f.write_str("conflict: several revisions' webhooks match (double injection, istioctl analyze IST0139):")?;
                for c in candidates {
                    write!(
                        f,
                        " {} via {} ({} of {});",
                        c.revision, c.via, c.webhook.name, c.webhook.configuration
                    )?;
                }
                &[]
            }
        };
        for n in notes {
            let mut chars = n.chars();
            let first = chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>())
                .unwrap_or_default();
            write!(f, ". {first}{}", chars.as_str())?;
        }
        Ok(())
    }
}

/// The labels a matching webhook stands for, in words.
fn matched_labels(via: &Via, webhook: &str, revision: &str) -> String {
    match via {
        Via::Direct => format!("{}={revision}", labels::REV),
        Via::Tag(t) => format!("{}={t} (tag {t} leads to {revision})", labels::REV),
        Via::Membership => format!(
            "{} (the namespace is a member of the Maistra control plane)",
            labels::MAISTRA_MEMBER_OF
        ),
        Via::DefaultRevision if webhook.starts_with("namespace.") => {
            format!("{}=enabled, which only the default revision receives", labels::INJECTION)
        }
        Via::DefaultRevision if webhook.starts_with("object.") => format!(
            "the pod label {}=true in a namespace with neither injection label (default revision)",
            labels::SIDECAR_INJECT
        ),
        Via::DefaultRevision if webhook.starts_with("auto.") => {
            "a namespace with no injection label at all (the default revision has enableNamespacesByDefault)".to_owned()
        }
        Via::DefaultRevision => "the default revision's selectors".to_owned(),
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
        match value.to_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => {
                return gate(
                    PodDecision::OptedIn {
                        value: value.clone(),
                        source,
                    },
                    config,
                );
            }
            "" => {}
            _ => {
                return PodDecision::OptedOut {
                    value: value.clone(),
                    source,
                };
            }
        }
    }
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

const NO_LABELS: &Labels = &Labels::new();

impl Mesh {
    /// The labels a namespace shows to webhooks (just its name when the snapshot
    /// lacks the namespace).
    pub fn namespace_labels(&self, namespace: &str) -> Labels {
        match self.snapshot().namespace(namespace) {
            Some(ns) => ns.selector_labels(),
            None => Labels::from([(labels::METADATA_NAME.to_owned(), namespace.to_owned())]),
        }
    }

    /// The revision whose webhook receives a label-less pod created in `namespace`.
    pub fn resolve_namespace(&self, namespace: &str) -> Resolution {
        self.resolve_labels(namespace, &self.namespace_labels(namespace), None)
    }

    /// The revision that would inject a pod created now from this template.
    pub fn resolve_template(&self, namespace: &str, template: &PodTemplate) -> Resolution {
        self.resolve_labels(
            namespace,
            &self.namespace_labels(namespace),
            Some(template.into()),
        )
    }

    /// The revision that would inject a new pod of this workload.
    pub fn resolve_workload(&self, workload: &Workload) -> Resolution {
        self.resolve_template(workload.namespace(), &workload.template)
    }

    /// The revision that would inject this pod if it were created now.
    pub fn resolve_pod(&self, pod: &Pod) -> Resolution {
        self.resolve_labels(
            pod.namespace(),
            &self.namespace_labels(pod.namespace()),
            Some(pod.into()),
        )
    }

    /// Resolution from labels alone: the entry point when the namespace labels are
    /// already at hand (the status and plan modules call it in loops).
    pub fn resolve_labels(
        &self,
        namespace: &str,
        namespace_labels: &Labels,
        pod: Option<PodView<'_>>,
    ) -> Resolution {
        let pod_labels = pod.map_or(NO_LABELS, |p| p.labels);
        let matched: Vec<&Webhook> = self
            .webhooks()
            .iter()
            .filter(|w| w.matches_namespace(namespace_labels) && w.matches_object(pod_labels))
            .collect();
        let notes = self.precedence_notes(namespace_labels, pod_labels);
        let Some(first) = matched.first() else {
            return Resolution::NotInjected {
                reason: NotInjected::NoWebhook {
                    why: self.why_no_match(namespace_labels, pod_labels),
                },
                notes,
            };
        };
        if matched.iter().any(|w| w.revision != first.revision) {
            return Resolution::Conflict {
                candidates: matched
                    .iter()
                    .map(|w| Candidate {
                        revision: w.revision.clone(),
                        via: w.via.clone(),
                        webhook: (*w).into(),
                    })
                    .collect(),
            };
        }
        let revision = self.revision(&first.revision);
        let control_plane = revision.map_or_else(
            || {
                ObjectRef::new(
                    "MutatingWebhookConfiguration",
                    None,
                    first.configuration.clone(),
                )
            },
            |r| r.control_plane.clone(),
        );
        let decision = pod.map(|p| self.istiod_decision(namespace, p, revision));
        if let Some(d) = &decision
            && !d.injects()
        {
            return Resolution::NotInjected {
                reason: NotInjected::Refused {
                    revision: first.revision.clone(),
                    webhook: (*first).into(),
                    decision: d.clone(),
                },
                notes,
            };
        }
        Resolution::Injected {
            revision: first.revision.clone(),
            control_plane,
            via: first.via.clone(),
            webhook: (*first).into(),
            notes,
            decision,
        }
    }

    /// Just the injecting revision of [`Mesh::resolve_labels`] (`None` for not
    /// injected and for a conflict), without building reasons: the status of a
    /// large cluster calls this once per pod.
    pub fn injecting_revision(
        &self,
        namespace: &str,
        namespace_labels: &Labels,
        pod: Option<PodView<'_>>,
    ) -> Option<&str> {
        let pod_labels = pod.map_or(NO_LABELS, |p| p.labels);
        let mut matched = self
            .webhooks()
            .iter()
            .filter(|w| w.matches_namespace(namespace_labels) && w.matches_object(pod_labels));
        let first = matched.next()?;
        if matched.any(|w| w.revision != first.revision) {
            return None;
        }
        if let Some(p) = pod
            && !self
                .istiod_decision(namespace, p, self.revision(&first.revision))
                .injects()
        {
            return None;
        }
        Some(&first.revision)
    }

    /// istiod's decision for a pod its webhook received; a webhook sending to a
    /// revision with no control plane in the snapshot gets the chart default.
    fn istiod_decision(
        &self,
        namespace: &str,
        pod: PodView<'_>,
        revision: Option<&crate::mesh::Revision>,
    ) -> PodDecision {
        match revision {
            Some(r) => inject_required(namespace, pod, &r.injector),
            None => inject_required(
                namespace,
                pod,
                &InjectorConfig::new(Policy::Enabled, "chart default"),
            ),
        }
    }

    /// Labels that are present but lose to a rule with precedence.
    fn precedence_notes(&self, ns: &Labels, pod: &Labels) -> Vec<String> {
        let mut notes = Vec::new();
        let injection = ns.get(labels::INJECTION);
        let ns_rev = ns.get(labels::REV);
        if let (Some(inj), Some(rev)) = (injection, ns_rev) {
            notes.push(format!(
                "the namespace has {}={inj}, which takes precedence over {}={rev}: istio.io/rev is ignored",
                labels::INJECTION,
                labels::REV
            ));
        }
        if let Some(pod_rev) = pod.get(labels::REV)
            && let Some(ns_label) = ns_rev
                .map(|r| format!("{}={r}", labels::REV))
                .or(injection.map(|i| format!("{}={i}", labels::INJECTION)))
        {
            notes.push(format!(
                "the pod label {}={pod_rev} is ignored because the namespace has {ns_label}",
                labels::REV
            ));
        }
        if ns.contains_key(labels::MAISTRA_IGNORE_NAMESPACE)
            && ns.contains_key(labels::MAISTRA_MEMBER_OF)
        {
            notes.push(format!(
                "the namespace is a Maistra member but has {}, so its Maistra control plane does not inject it",
                labels::MAISTRA_IGNORE_NAMESPACE
            ));
        }
        notes
    }

    fn why_no_match(&self, ns: &Labels, pod: &Labels) -> NoMatch {
        let known = |name: &str| self.revision(name).is_some() || self.tag(name).is_some();
        match ns.get(labels::INJECTION).map(String::as_str) {
            Some("enabled") => return NoMatch::NoDefaultRevision,
            Some(other) => {
                return NoMatch::InjectionLabelOff {
                    value: other.to_owned(),
                };
            }
            None => {}
        }
        if let Some(rev) = ns.get(labels::REV)
            && !known(rev)
        {
            return NoMatch::UnknownRevision {
                name: rev.clone(),
                on: "namespace".into(),
            };
        }
        if pod.get(labels::SIDECAR_INJECT).map(String::as_str) == Some("false") {
            return NoMatch::PodLabelFalse;
        }
        if ns.contains_key(labels::MAISTRA_IGNORE_NAMESPACE)
            && ns.contains_key(labels::MAISTRA_MEMBER_OF)
            && self.revisions().any(|r| r.family == Family::Maistra)
        {
            return NoMatch::MaistraIgnored;
        }
        if !ns.contains_key(labels::REV) {
            if let Some(rev) = pod.get(labels::REV) {
                if !known(rev) {
                    return NoMatch::UnknownRevision {
                        name: rev.clone(),
                        on: "pod".into(),
                    };
                }
            } else if !ns.contains_key(labels::MAISTRA_MEMBER_OF) {
                return NoMatch::NotRequested;
            }
        }
        NoMatch::NoSelectorMatched
    }
}
