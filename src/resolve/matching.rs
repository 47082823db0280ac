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
        let webhooks = self
            .webhooks()
            .iter()
            .filter(|w| w.is_effective() && w.matches_namespace(namespace_labels));
        self.verdict_among(namespace, webhooks, pod)
    }

    /// The effective webhooks whose namespace selector matches these namespace
    /// labels, in call order: what [`Mesh::verdict_among`] needs, computed once
    /// a namespace rather than once a pod.
    pub(crate) fn namespace_webhooks(&self, namespace_labels: &Labels) -> Vec<&Webhook> {
        self.webhooks()
            .iter()
            .filter(|w| w.is_effective() && w.matches_namespace(namespace_labels))
            .collect()
    }

    /// [`Mesh::verdict`] given the namespace's matching webhooks
    /// ([`Mesh::namespace_webhooks`]). Allocates nothing unless revisions conflict.
    pub(crate) fn verdict_among<'m>(
        &'m self,
        namespace: &str,
        webhooks: impl IntoIterator<Item = &'m Webhook>,
        pod: Option<PodView<'_>>,
    ) -> Verdict<'m> {
        let pod_labels = pod.map_or(NO_LABELS, |p| p.labels);
        // The revisions of the matching webhooks, each once: nearly always one.
        let mut first: Option<&'m str> = None;
        let mut more: Vec<&'m str> = Vec::new();
        for w in webhooks
            .into_iter()
            .filter(|w| w.matches_object(pod_labels))
        {
            if let Some(service) = w.unserved.as_deref().filter(|_| w.rejects()) {
                return Verdict::Rejected(service);
            }
            let r = w.revision.as_str();
            match first {
                None => first = Some(r),
                Some(f) if f == r => {}
                Some(_) if more.contains(&r) => {}
                Some(_) => more.push(r),
            }
        }
        let injects = |r: &str| {
            pod.is_none_or(|p| {
                self.istiod_decision(namespace, p, self.revision(r))
                    .injects()
            })
        };
        let first = first.filter(|r| injects(r));
        more.retain(|r| injects(r));
        match (first, more.as_slice()) {
            (None, []) => Verdict::NotInjected,
            (Some(one), []) | (None, &[one]) => Verdict::Injected(one),
            _ => {
                let mut revisions: Vec<&str> = first.into_iter().chain(more).collect();
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
