//! OpenShift Service Mesh 2 (Maistra) next to 3 (Sail): a member asking for an
//! OSSM 3 revision without `maistra.io/ignore-namespace` (MR0010), and a
//! `maistra.io/member-of` label the member roll disagrees with (MR0011).

use super::{Analyzer, Code, outcome_words};
use crate::labels::{self, Labels};
use crate::mesh::Family;
use crate::resolve::Resolution;
use crate::snapshot::ObjectRef;

impl Analyzer<'_> {
    pub(super) fn maistra(
        &mut self,
        name: &str,
        object: &ObjectRef,
        labels: &Labels,
        res: &Resolution,
    ) {
        let label = labels.get(labels::MAISTRA_MEMBER_OF).map(String::as_str);
        let roll = self.mesh.maistra_member_of(name);
        let ignored = labels.contains_key(labels::MAISTRA_IGNORE_NAMESPACE);

        // 13: label against roll.
        let roll_ns = roll.map(|r| r.namespace.as_str());
        // The operator labels a control plane's own namespace too (its network
        // policies select on the label), although it is never a member.
        let own_namespace = label == Some(name)
            && self
                .mesh
                .revisions()
                .any(|r| r.family == Family::Maistra && r.namespace == name);
        if label != roll_ns && !own_namespace {
            let msg = match (label, roll) {
                (Some(l), Some(r)) => Some(format!(
                    "namespace {name} is labelled maistra.io/member-of={l}, but by the member \
                     roll it belongs to ServiceMeshControlPlane {}/{}: the operator has not \
                     reconciled yet, and until it does the webhook of the control plane in {l} \
                     selects it. Check the Maistra operator, or fix the rolls",
                    r.namespace, r.name
                )),
                (Some(l), None) => {
                    let cp = self
                        .mesh
                        .revisions()
                        .find(|r| r.family == Family::Maistra && r.namespace == l);
                    let why = match cp {
                        None => format!("the snapshot has no ServiceMeshControlPlane in {l}"),
                        Some(r) => {
                            let has_roll = self.s.member_rolls().any(|m| {
                                m.meta.namespace.as_deref() == Some(l) && m.meta.name == "default"
                            });
                            if has_roll {
                                format!(
                                    "neither the member roll default in {l} nor a \
                                     ServiceMeshMember includes it for {}",
                                    r.name
                                )
                            } else {
                                format!(
                                    "the snapshot has no ServiceMeshMemberRoll default in {l} \
                                     and no ServiceMeshMember includes it for {}",
                                    r.name
                                )
                            }
                        }
                    };
                    Some(format!(
                        "namespace {name} is labelled maistra.io/member-of={l}, but {why}: the \
                         operator has not removed the label yet, and until it does the \
                         control plane in {l} still selects the namespace. Check the Maistra \
                         operator, or add the namespace to the roll if it should be a member"
                    ))
                }
                (None, Some(r)) => Some(format!(
                    "the member roll of ServiceMeshControlPlane {}/{} includes namespace {name}, \
                     but it has no maistra.io/member-of label: the operator has not reconciled \
                     yet, and once it adds maistra.io/member-of={} that control plane's webhook \
                     selects the namespace{}",
                    r.namespace,
                    r.name,
                    r.namespace,
                    if ignored {
                        " (maistra.io/ignore-namespace will keep it from injecting)"
                    } else {
                        ""
                    }
                )),
                // Excluded by `label != roll_ns`.
                (None, None) => None,
            };
            if let Some(msg) = msg {
                self.push(Code::MaistraMembershipStale, object.clone(), msg);
            }
        }

        // 9: a member asking for a Sail revision without the ignore label.
        if ignored || (label.is_none() && roll.is_none()) {
            return;
        }
        let maistra = roll.or_else(|| {
            self.mesh
                .revisions()
                .find(|r| r.family == Family::Maistra && Some(r.namespace.as_str()) == label)
        });
        let (asks, target) = match (labels.get(labels::INJECTION), labels.get(labels::REV)) {
            (Some(v), _) if v == "enabled" => (
                "istio-injection=enabled".to_owned(),
                self.mesh
                    .default_revision()
                    .and_then(|d| self.mesh.revision(d)),
            ),
            (Some(_), _) => return,
            (None, Some(rev)) => (format!("istio.io/rev={rev}"), self.mesh.resolve_name(rev)),
            (None, None) => return,
        };
        let Some(target) = target.filter(|t| t.family == Family::Sail) else {
            return;
        };
        let cp = maistra.map_or_else(
            || format!("the OSSM 2 control plane in {}", label.unwrap_or_default()),
            |m| format!("OSSM 2 control plane {} ({})", m.name, m.control_plane),
        );
        let by = if label.is_some() {
            format!(
                "labelled maistra.io/member-of={}",
                label.unwrap_or_default()
            )
        } else {
            "in its member roll".to_owned()
        };
        self.push(
            Code::MaistraMemberWithoutIgnore,
            object.clone(),
            format!(
                "namespace {name} is a member of {cp} ({by}) and has {asks}, which leads to OSSM 3 \
                 revision {} ({}), but no maistra.io/ignore-namespace label: both control planes \
                 want its pods (now: {}). The 2.6 -> 3.0 migration requires `kubectl label \
                 namespace {name} maistra.io/ignore-namespace=\"true\"`, then `kubectl rollout \
                 restart deployment -n {name}`",
                target.name,
                target.control_plane,
                outcome_words(res)
            ),
        )
        .revisions(
            maistra
                .map(|m| m.name.as_str())
                .into_iter()
                .chain([target.name.as_str()]),
        )
        .objects(
            maistra
                .map(|m| m.control_plane.clone())
                .into_iter()
                .chain([target.control_plane.clone()]),
        );
    }
}
