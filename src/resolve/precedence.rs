//! Labels that are present but lose to a rule with precedence: said in every
//! resolution, because a label that looks like it should work is the usual surprise.

use crate::labels::{self, Labels};
use crate::mesh::Mesh;

impl Mesh {
    /// Labels that are present but lose to a rule with precedence.
    pub(super) fn precedence_notes(&self, ns: &Labels, pod: &Labels) -> Vec<String> {
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
}
