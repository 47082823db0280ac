//! What resolution answers: one revision, none (and why), or several.

use serde::{Deserialize, Serialize};

use super::decision::PodDecision;
use super::no_match::NoMatch;
use crate::mesh::{Via, Webhook};
use crate::snapshot::ObjectRef;

/// Which webhook of which configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The revision it sends to.
    pub revision: String,
    /// How it reaches that revision.
    pub via: Via,
    /// The webhook.
    pub webhook: WebhookRef,
    /// The decision of the revision's istiod (absent when resolving a namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<PodDecision>,
}

impl Candidate {
    pub(super) fn new(w: &Webhook, decision: Option<PodDecision>) -> Self {
        Candidate {
            revision: w.revision.clone(),
            via: w.via.clone(),
            webhook: w.into(),
            decision,
        }
    }
}

/// A resolution's verdict without its reasons (what status reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// One revision injects.
    Injected(&'a str),
    /// Nothing injects.
    NotInjected,
    /// Two or more revisions inject (sorted names): double injection.
    Conflict(Vec<&'a str>),
    /// The API server refuses the pod: a matching webhook's service (`namespace/name`)
    /// has no istiod and its `failurePolicy` is `Fail`.
    Rejected(&'a str),
}

impl<'a> Verdict<'a> {
    /// The injecting revision, if exactly one injects.
    pub fn revision(&self) -> Option<&'a str> {
        match self {
            Verdict::Injected(r) => Some(r),
            _ => None,
        }
    }

    /// The revisions that would all inject (empty unless a conflict).
    pub fn conflict(&self) -> &[&'a str] {
        match self {
            Verdict::Conflict(r) => r,
            _ => &[],
        }
    }

    /// The unreachable service (`namespace/name`) that makes the API server refuse
    /// the pod, if any.
    pub fn rejected(&self) -> Option<&'a str> {
        match self {
            Verdict::Rejected(s) => Some(s),
            _ => None,
        }
    }
}

/// The outcome of resolving one namespace, template or pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
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
    /// The API server refuses to create the pod: a matching webhook with
    /// `failurePolicy: Fail` calls a service no istiod serves.
    Rejected {
        /// The revision the webhook names.
        revision: String,
        /// The webhook.
        webhook: WebhookRef,
        /// Its service, `namespace/name`.
        service: String,
        /// Labels that were present but lost to a rule with precedence.
        notes: Vec<String>,
    },
    /// Several revisions would inject: double injection. For a namespace, webhooks of
    /// several revisions match; for a pod, also the istiod of each decides to inject.
    Conflict {
        /// The matching webhooks of the revisions that inject, in the order the API
        /// server calls them.
        candidates: Vec<Candidate>,
    },
}

/// Why nothing injects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[non_exhaustive]
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

    /// Whether several revisions would inject.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Resolution::Conflict { .. })
    }

    /// The verdict alone: what [`Mesh::verdict`](crate::Mesh::verdict) answers.
    pub fn verdict(&self) -> Verdict<'_> {
        match self {
            Resolution::Injected { revision, .. } => Verdict::Injected(revision),
            Resolution::NotInjected { .. } => Verdict::NotInjected,
            Resolution::Rejected { service, .. } => Verdict::Rejected(service),
            Resolution::Conflict { candidates } => {
                let mut r: Vec<&str> = candidates.iter().map(|c| c.revision.as_str()).collect();
                r.sort_unstable();
                r.dedup();
                Verdict::Conflict(r)
            }
        }
    }
}
