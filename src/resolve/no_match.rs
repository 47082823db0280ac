//! Why no webhook received a pod, worked out from the labels in the domain's words.

use serde::{Deserialize, Serialize};

use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh};

/// Why no webhook received the pod, in the domain's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
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
    /// `istio.io/rev` names a tag that leads to no revision (a Sail tag whose
    /// target does not exist is never installed).
    TagLeadsNowhere {
        /// The tag.
        tag: String,
        /// `namespace` or `pod`.
        on: String,
    },
    /// A Maistra member namespace labelled `maistra.io/ignore-namespace`.
    MaistraIgnored,
    /// The pod label `sidecar.istio.io/inject=false` is excluded by every objectSelector.
    PodLabelFalse,
    /// No label asks for injection and no webhook injects by default.
    NotRequested,
    /// A webhook's namespaceSelector admits the namespace but its objectSelector
    /// excludes the pod's labels (e.g. Maistra's tech-preview
    /// `sidecar.istio.io/inject In [true]`, which an annotation cannot satisfy).
    ObjectSelectorExcludes {
        /// The webhook's name.
        webhook: String,
        /// Its configuration.
        configuration: String,
        /// The revision it sends to.
        revision: String,
        /// The objectSelector, in `kubectl -l` syntax.
        selector: String,
    },
    /// Some other combination: see the webhooks.
    NoSelectorMatched,
}

impl Mesh {
    pub(super) fn why_no_match(&self, ns: &Labels, pod: &Labels) -> NoMatch {
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
        let nowhere = |name: &str| {
            self.revision(name).is_none()
                && self.tag(name).is_some_and(|t| {
                    t.revision
                        .as_deref()
                        .and_then(|r| self.revision(r))
                        .is_none()
                })
        };
        if let Some(rev) = ns.get(labels::REV)
            && nowhere(rev)
        {
            return NoMatch::TagLeadsNowhere {
                tag: rev.clone(),
                on: "namespace".into(),
            };
        }
        if !ns.contains_key(labels::REV)
            && !ns.contains_key(labels::INJECTION)
            && let Some(rev) = pod.get(labels::REV)
            && nowhere(rev)
        {
            return NoMatch::TagLeadsNowhere {
                tag: rev.clone(),
                on: "pod".into(),
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
        if let Some(w) = self
            .webhooks()
            .iter()
            .find(|w| w.is_effective() && w.matches_namespace(ns) && !w.matches_object(pod))
        {
            return NoMatch::ObjectSelectorExcludes {
                webhook: w.name.clone(),
                configuration: w.configuration.clone(),
                revision: w.revision.clone(),
                selector: w
                    .object_selector
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            };
        }
        NoMatch::NoSelectorMatched
    }
}
