//! Webhook matching as the API server does it, then each receiving istiod's decision.

use super::NO_LABELS;
use super::decision::{PodDecision, PodView, inject_required};
use super::outcome::{Candidate, NotInjected, Resolution, Verdict};
use crate::labels::Labels;
use crate::mesh::{InjectorConfig, Mesh, Policy, Webhook};
use crate::snapshot::ObjectRef;

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
            .filter(|w| w.is_effective())
            .filter(|w| w.matches_namespace(namespace_labels) && w.matches_object(pod_labels))
            .collect();
        let notes = self.precedence_notes(namespace_labels, pod_labels);
        // The API server calls every matching webhook; one that cannot be reached
        // under `failurePolicy: Fail` refuses the pod, whatever the others say.
        if let Some(w) = matched.iter().find(|w| w.rejects()) {
            return Resolution::Rejected {
                revision: w.revision.clone(),
                webhook: (*w).into(),
                service: w.unserved.clone().unwrap_or_default(),
                notes,
            };
        }
        let Some(first) = matched.first() else {
            return Resolution::NotInjected {
                reason: NotInjected::NoWebhook {
                    why: self.why_no_match(namespace_labels, pod_labels),
                },
                notes,
            };
        };
        let Some(pod) = pod else {
            // A namespace: the webhooks alone decide (istiod's per-pod check is skipped).
            if matched.iter().any(|w| w.revision != first.revision) {
                return Resolution::Conflict {
                    candidates: matched.iter().map(|w| Candidate::new(w, None)).collect(),
                };
            }
            return Resolution::Injected {
                revision: first.revision.clone(),
                control_plane: self.control_plane_of(first),
                via: first.via.clone(),
                webhook: (*first).into(),
                notes,
                decision: None,
            };
        };
        // Every istiod whose webhook received the pod runs its own `injectRequired`
        // and answers "allowed, no patch" when it is false (istio
        // `pkg/kube/inject/webhook.go` `inject()`; maistra-2.6 likewise): only the
        // revisions that decide to inject count.
        let decided = self.decisions(namespace, pod, &matched);
        let injecting: Vec<&(&Webhook, PodDecision)> =
            decided.iter().filter(|(_, d)| d.injects()).collect();
        let mut notes = notes;
        match injecting.as_slice() {
            [] => {
                let (w, d) = &decided[0];
                for (other, od) in &decided[1..] {
                    notes.push(refusal_note(other, od));
                }
                Resolution::NotInjected {
                    reason: NotInjected::Refused {
                        revision: w.revision.clone(),
                        webhook: (*w).into(),
                        decision: d.clone(),
                    },
                    notes,
                }
            }
            [(w, d)] => {
                for (other, od) in decided.iter().filter(|(o, _)| o.revision != w.revision) {
                    notes.push(refusal_note(other, od));
                }
                Resolution::Injected {
                    revision: w.revision.clone(),
                    control_plane: self.control_plane_of(w),
                    via: w.via.clone(),
                    webhook: (*w).into(),
                    notes,
                    decision: Some(d.clone()),
                }
            }
            _ => Resolution::Conflict {
                candidates: matched
                    .iter()
                    .filter_map(|w| {
                        let (_, d) = decided.iter().find(|(o, _)| o.revision == w.revision)?;
                        d.injects().then(|| Candidate::new(w, Some(d.clone())))
                    })
                    .collect(),
            },
        }
    }

    /// The first matching webhook of each revision, in call order, with that
    /// revision's istiod decision.
    fn decisions<'w>(
        &self,
        namespace: &str,
        pod: PodView<'_>,
        matched: &[&'w Webhook],
    ) -> Vec<(&'w Webhook, PodDecision)> {
        let mut out: Vec<(&Webhook, PodDecision)> = Vec::new();
        for w in matched {
            if out.iter().any(|(o, _)| o.revision == w.revision) {
                continue;
            }
            out.push((
                w,
                self.istiod_decision(namespace, pod, self.revision(&w.revision)),
            ));
        }
        out
    }

    fn control_plane_of(&self, w: &Webhook) -> ObjectRef {
        self.revision(&w.revision).map_or_else(
            || {
                ObjectRef::new(
                    "MutatingWebhookConfiguration",
                    None,
                    w.configuration.clone(),
                )
            },
            |r| r.control_plane.clone(),
        )
    }

    /// The verdict of [`Mesh::resolve_labels`] without its reasons: the status of a
    /// large cluster calls this once per pod.
    pub fn verdict(
        &self,
        namespace: &str,
        namespace_labels: &Labels,
        pod: Option<PodView<'_>>,
    ) -> Verdict<'_> {
        let pod_labels = pod.map_or(NO_LABELS, |p| p.labels);
        let mut revisions: Vec<&str> = Vec::new();
        for w in self
            .webhooks()
            .iter()
            .filter(|w| w.is_effective())
            .filter(|w| w.matches_namespace(namespace_labels) && w.matches_object(pod_labels))
        {
            if let Some(service) = w.unserved.as_deref().filter(|_| w.rejects()) {
                return Verdict::Rejected(service);
            }
            if !revisions.contains(&w.revision.as_str()) {
                revisions.push(&w.revision);
            }
        }
        if let Some(p) = pod {
            revisions.retain(|r| {
                self.istiod_decision(namespace, p, self.revision(r))
                    .injects()
            });
        }
        match revisions.as_slice() {
            [] => Verdict::NotInjected,
            [one] => Verdict::Injected(one),
            _ => {
                revisions.sort_unstable();
                Verdict::Conflict(revisions)
            }
        }
    }

    /// Just the injecting revision of [`Mesh::resolve_labels`] (`None` for not
    /// injected and for a conflict).
    pub fn injecting_revision(
        &self,
        namespace: &str,
        namespace_labels: &Labels,
        pod: Option<PodView<'_>>,
    ) -> Option<&str> {
        self.verdict(namespace, namespace_labels, pod).revision()
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

/// A revision whose webhook also received the pod but whose istiod declines it.
fn refusal_note(w: &Webhook, d: &PodDecision) -> String {
    format!(
        "webhook {} of {} also sends the pod to revision {}, whose istiod does not inject it: {d}",
        w.name, w.configuration, w.revision
    )
}
