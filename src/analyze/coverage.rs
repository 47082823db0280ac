//! What the snapshot lacks: workloads that pods name as their controller but the
//! snapshot does not hold (MR0025), kinds the answer depends on (MR0026), and no
//! object at all (MR0027). A tool run in a pipeline must not read a partial
//! input as a clean bill of health.

use std::collections::BTreeMap;

use super::{Analyzer, Code};
use crate::snapshot::ObjectRef;
use crate::snapshot::{ControlPlaneMode, PodController, WorkloadKind};

/// The object of a finding about the snapshot as a whole.
fn snapshot_object() -> ObjectRef {
    ObjectRef::new("Snapshot", None, "input")
}

/// `1 pod` / `3 pods`.
fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl Analyzer<'_> {
    pub(super) fn coverage(&mut self) {
        if self.s.counts().is_empty() {
            let skipped: Vec<String> = self
                .s
                .skipped()
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            let read = if skipped.is_empty() {
                "no object at all".to_owned()
            } else {
                format!("only kinds it does not read ({})", skipped.join(", "))
            };
            self.push(
                Code::EmptySnapshot,
                snapshot_object(),
                format!(
                    "the snapshot holds {read}: nothing was answered, and no other finding \
                     means nothing is wrong. Collect namespaces, pods, workloads, webhook \
                     configurations and the mesh's own kinds (the collection command in the \
                     crate docs and README)"
                ),
            );
            return;
        }
        self.missing_workloads();
        self.absent_namespaces();
        self.no_control_plane();
        self.maistra_without_roll();
    }

    /// MR0025: one finding per controller that pods name and the snapshot lacks.
    fn missing_workloads(&mut self) {
        let mut missing: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
        for pod in self.s.pods() {
            if let PodController::Missing { kind, name } = self.s.controller_of(pod) {
                missing
                    .entry((pod.namespace().to_owned(), kind, name))
                    .or_default()
                    .push(pod.meta.name.clone());
            }
        }
        for ((ns, kind, name), pods) in missing {
            let object = ObjectRef::new(kind.clone(), Some(&ns), name.clone());
            let add = match WorkloadKind::from_kind(&kind) {
                Some(k) => format!(
                    "Add `{}` to the `kubectl get` so that its template is read",
                    k.resource()
                ),
                None => {
                    format!("meshrev does not read {kind} objects: its pods are judged as they run")
                }
            };
            self.push(
                Code::WorkloadMissing,
                object.clone(),
                format!(
                    "{object} controls {} ({}) by their ownerReferences, but is not in the \
                     snapshot: they are not bare pods and deleting them is not how to move them; \
                     what a restart gives is judged from the pods' labels, not from its \
                     template. {add}",
                    count(pods.len(), "pod"),
                    pods.join(", ")
                ),
            );
        }
    }

    /// MR0026: pods or workloads in namespaces the snapshot lacks.
    fn absent_namespaces(&mut self) {
        let absent: Vec<String> = self
            .s
            .absent_namespaces()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for ns in absent {
            let pods = self.s.pods_in(&ns).count();
            let object = ObjectRef::new("Namespace", None, ns.clone());
            self.push(
                Code::IncompleteSnapshot,
                object.clone(),
                format!(
                    "{object} holds {} but is not in the snapshot: its labels decide which \
                     revision injects there, and meshrev reads it as unlabelled. Add \
                     `namespaces` to the `kubectl get`",
                    if pods > 0 {
                        count(pods, "pod")
                    } else {
                        "workloads".to_owned()
                    }
                ),
            );
        }
    }

    /// MR0026: nothing that could inject at all, next to things to inject.
    fn no_control_plane(&mut self) {
        let s = self.s;
        let has_control_plane = self.mesh.revisions().next().is_some()
            || s.webhook_configurations().next().is_some()
            || s.control_planes().next().is_some()
            || s.istios().next().is_some()
            || s.istio_revisions().next().is_some();
        if has_control_plane || (s.pods().next().is_none() && s.namespaces().next().is_none()) {
            return;
        }
        self.push(
            Code::IncompleteSnapshot,
            snapshot_object(),
            format!(
                "the snapshot has {} and {} but no control plane and no injection webhook: no \
                 MutatingWebhookConfiguration, no istiod Deployment, no ServiceMeshControlPlane \
                 (OSSM 2), no Istio or IstioRevision (Sail, OSSM 3). Every namespace reads as \
                 not injected, which may only mean they were not collected. Add \
                 `mutatingwebhookconfigurations,deployments` (and `smcp,smmr,smm` or \
                 `istio,istiorevision,istiorevisiontag`) to the `kubectl get`",
                count(s.namespaces().count(), "namespace"),
                count(s.pods().count(), "pod"),
            ),
        );
    }

    /// MR0026: a Maistra control plane whose member roll is not in the snapshot.
    fn maistra_without_roll(&mut self) {
        let s = self.s;
        for cp in s.control_planes() {
            let ns = cp.meta.namespace.as_deref().unwrap_or_default();
            if s.member_rolls()
                .any(|r| r.meta.namespace.as_deref() == Some(ns))
            {
                continue;
            }
            let object = cp.meta.object_ref("ServiceMeshControlPlane");
            let assumed = if cp.mode == ControlPlaneMode::ClusterWide {
                "meshrev assumes the ClusterWide default roll (namespaces labelled \
                 istio-injection=enabled), which may have been edited"
            } else {
                "meshrev counts only namespaces with a ServiceMeshMember as members"
            };
            self.push(
                Code::IncompleteSnapshot,
                object.clone(),
                format!(
                    "{object} has no ServiceMeshMemberRoll in the snapshot: its membership, and \
                     so which namespaces it injects, is not known; {assumed}. Add `smmr,smm` to \
                     the `kubectl get`"
                ),
            );
        }
    }
}
