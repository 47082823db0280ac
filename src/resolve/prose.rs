//! Resolutions in words: the `Display` of every outcome, for `explain` and the
//! status `reason`.

use std::fmt;

use super::decision::{PodDecision, ValueSource};
use super::no_match::NoMatch;
use super::outcome::{NotInjected, Resolution};
use crate::labels;
use crate::mesh::{Policy, Via};

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueSource::Label => "label",
            ValueSource::Annotation => "annotation",
        })
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
            PodDecision::OptedIn {
                value,
                source,
                values,
            } => {
                write!(f, "the pod {source} {k}={value:?} opts in")?;
                if value != "true" {
                    write!(f, " ({values})")?;
                }
                Ok(())
            }
            PodDecision::OptedOut {
                value,
                source,
                values,
            } => {
                write!(f, "the pod {source} {k}={value:?} opts out")?;
                if value != "false" {
                    write!(f, " ({values})")?;
                }
                Ok(())
            }
            PodDecision::UnacceptedValue {
                value,
                source,
                values,
                then,
            } => {
                write!(
                    f,
                    "the pod {source} {k}={value:?} is not accepted ({values}), so the default decides: "
                )?;
                match then.as_ref() {
                    PodDecision::Policy {
                        policy: Policy::Enabled,
                    } => f.write_str("the injector policy enabled injects it"),
                    PodDecision::Policy {
                        policy: Policy::Disabled,
                    } => write!(
                        f,
                        "the injector policy disabled injects only pods that set {k}=\"true\""
                    ),
                    other => write!(f, "{other}"),
                }
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
            NoMatch::TagLeadsNowhere { tag, on } => write!(
                f,
                "the {on} label istio.io/rev={tag} names tag {tag}, which leads to no installed revision, so no webhook injects through it (a Sail IstioRevisionTag whose target does not exist is refused, ReferenceNotFound)"
            ),
            NoMatch::MaistraIgnored => f.write_str(
                "the namespace has maistra.io/ignore-namespace, which stops its Maistra control plane injecting, and no other revision is asked for",
            ),
            NoMatch::PodLabelFalse => {
                f.write_str("the pod label sidecar.istio.io/inject=false is excluded by every webhook's objectSelector")
            }
            NoMatch::NotRequested => f.write_str(
                "neither the namespace nor the pod has istio-injection or istio.io/rev, and no webhook injects unlabelled namespaces",
            ),
            NoMatch::ObjectSelectorExcludes {
                webhook,
                configuration,
                revision,
                selector,
            } => {
                write!(
                    f,
                    "webhook {webhook} of {configuration} (revision {revision}) admits the namespace, but its objectSelector {selector} excludes the pod's labels"
                )?;
                if selector.contains(labels::SIDECAR_INJECT) {
                    write!(
                        f,
                        " (objectSelectors read labels only: a {} annotation cannot pass it)",
                        labels::SIDECAR_INJECT
                    )?;
                }
                Ok(())
            }
            NoMatch::NoSelectorMatched => f.write_str("no injection webhook's selectors match these labels"),
        }
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
            Resolution::Rejected {
                revision,
                webhook,
                service,
                notes,
            } => {
                write!(
                    f,
                    "rejected: webhook {} of {} (revision {revision}, failurePolicy Fail) calls service {service}, which no istiod in the snapshot serves, so the API server refuses to create the pod. Point the configuration at an installed revision (`istioctl tag set <tag> --revision <revision> --overwrite`) or remove it",
                    webhook.name, webhook.configuration
                )?;
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
