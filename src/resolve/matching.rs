//! Webhook matching as the API server does it, then each receiving istiod's decision.

use super::NO_LABELS;
use super::decision::{PodDecision, PodView, inject_required};
use super::outcome::{Candidate, NotInjected, Resolution};
use crate::error::ObjectRef;
use crate::labels::Labels;
use crate::mesh::{InjectorConfig, Mesh, Policy, Webhook};

impl Mesh {
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
}
