//! Webhooks: several revisions matching one namespace or workload (MR0003), two
//! webhooks matching the same labels (MR0004, istioctl IST0139), and a tag named
//! like a revision (MR0009).

use std::collections::{BTreeMap, BTreeSet};

use super::{Analyzer, Code};
use crate::labels::{self, LabelSelector, Labels, Operator};
use crate::mesh::Via;
use crate::resolve::Resolution;
use crate::snapshot::ObjectRef;

impl Analyzer<'_> {
    // -------------------------------------------------------------- webhooks

    /// istioctl's IST0139 overlap check on the webhooks alone.
    pub(super) fn webhook_overlap(&mut self) {
        let hooks = self.mesh.webhooks();
        let mut revs: BTreeSet<&str> = BTreeSet::new();
        for w in hooks {
            revs.insert(&w.revision);
            if let Via::Tag(t) = &w.via {
                revs.insert(t);
            }
            for s in [&w.namespace_selector, &w.object_selector]
                .into_iter()
                .flatten()
            {
                revs.extend(selector_revisions(s));
            }
        }
        let bases = |key: &str, values: [&str; 2]| -> Vec<Labels> {
            let mut out = vec![Labels::new()];
            out.extend(
                values
                    .iter()
                    .map(|v| Labels::from([(key.to_owned(), (*v).to_owned())])),
            );
            let with_rev: Vec<Labels> = revs
                .iter()
                .flat_map(|r| {
                    out.iter().map(move |b| {
                        let mut l = b.clone();
                        l.insert(labels::REV.to_owned(), (*r).to_owned());
                        l
                    })
                })
                .collect();
            out.extend(with_rev);
            out
        };
        let ns_sets = bases(labels::INJECTION, ["enabled", "disabled"]);
        let obj_sets = bases(labels::SIDECAR_INJECT, ["true", "false"]);
        // (i, j) -> first witness
        let mut pairs: BTreeMap<(usize, usize), (&Labels, &Labels)> = BTreeMap::new();
        for nl in &ns_sets {
            let ns_match: Vec<usize> = (0..hooks.len())
                .filter(|&i| hooks[i].matches_namespace(nl))
                .collect();
            if ns_match.len() < 2 {
                continue;
            }
            for ol in &obj_sets {
                let m: Vec<usize> = ns_match
                    .iter()
                    .copied()
                    .filter(|&i| hooks[i].matches_object(ol))
                    .collect();
                for (a, &i) in m.iter().enumerate() {
                    for &j in &m[a + 1..] {
                        pairs.entry((i, j)).or_insert((nl, ol));
                    }
                }
            }
        }
        for ((i, j), (nl, ol)) in pairs {
            let (a, b) = (&hooks[i], &hooks[j]);
            let (a, b) = if (&a.configuration, &a.name) <= (&b.configuration, &b.name) {
                (a, b)
            } else {
                (b, a)
            };
            let synth = match (a.synthesized, b.synthesized) {
                (true, true) => " (both synthesized from their control planes' resources)",
                (true, false) => " (the first synthesized from its control plane's resources)",
                (false, true) => " (the second synthesized from its control plane's resources)",
                (false, false) => "",
            };
            self.overlapping.insert(a.configuration.clone());
            self.overlapping.insert(b.configuration.clone());
            let sends = if a.revision == b.revision {
                format!("both send to revision {}", a.revision)
            } else {
                format!("they send to revisions {} and {}", a.revision, b.revision)
            };
            let hint = self.overlap_hint(a, b);
            self.push(
                Code::WebhookOverlap,
                ObjectRef::new(
                    "MutatingWebhookConfiguration",
                    None,
                    a.configuration.clone(),
                ),
                format!(
                    "webhook {}/{} overlaps {}/{}{synth}: both match a namespace with {} and a \
                     pod with {}, and {sends}: a pod there is injected twice (IST0139). {hint}",
                    a.configuration,
                    a.name,
                    b.configuration,
                    b.name,
                    labels_words(nl),
                    labels_words(ol),
                ),
            )
            .revisions([a.revision.as_str(), b.revision.as_str()])
            .objects([ObjectRef::new(
                "MutatingWebhookConfiguration",
                None,
                b.configuration.clone(),
            )]);
        }
    }

    fn overlap_hint(&self, a: &crate::mesh::Webhook, b: &crate::mesh::Webhook) -> String {
        for w in [a, b] {
            if let Via::Tag(t) = &w.via
                && t != "default"
                && self.mesh.revision(t).is_some()
            {
                return format!(
                    "Tag {t} has the name of revision {t} (see tag-shadows-revision): delete or \
                     rename the tag (`kubectl delete mutatingwebhookconfiguration {}`, or \
                     `istioctl tag remove {t}`)",
                    w.configuration
                );
            }
        }
        let is_default = |w: &crate::mesh::Webhook| {
            w.via == Via::DefaultRevision || w.via == Via::Tag("default".to_owned())
        };
        let untagged_default = [a, b].into_iter().find(|w| {
            w.via == Via::DefaultRevision && !w.configuration.starts_with("istio-revision-tag-")
        });
        if is_default(a)
            && is_default(b)
            && let Some(old) = untagged_default
        {
            let target = self.mesh.default_revision().unwrap_or("<revision>");
            return format!(
                "Two default webhooks are active: deactivate the old one in {} with `istioctl tag \
                 set default --revision {target} --overwrite`, which points it at \
                 istio.io/deactivated=never-match",
                old.configuration
            );
        }
        "Delete or deactivate one of the two configurations".to_owned()
    }

    // ------------------------------------------------------- double injection

    pub(super) fn conflict_fix(&self, namespace: &str, resolution: &Resolution) -> String {
        let Resolution::Conflict { candidates } = resolution else {
            return String::new();
        };
        let ns = self.s.namespace(namespace);
        let labels = ns.map(|n| &n.meta.labels);
        let ignored = labels.is_some_and(|l| l.contains_key(labels::MAISTRA_IGNORE_NAMESPACE));
        let others: BTreeSet<&str> = candidates
            .iter()
            .filter(|c| c.via != Via::Membership)
            .map(|c| c.revision.as_str())
            .collect();
        let maistra = candidates.iter().any(|c| c.via == Via::Membership);
        if maistra && !ignored && !others.is_empty() {
            return format!(
                "would be injected by each. The namespace is an OSSM 2 member: `kubectl label \
                 namespace {namespace} maistra.io/ignore-namespace=\"true\"` leaves it to {}",
                others.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        let named = candidates
            .iter()
            .any(|c| self.overlapping.contains(&c.webhook.configuration));
        if named {
            "would be injected by each, in configuration-name order. Remove the overlap (see \
             the webhook-overlap findings on the configurations named), then restart what was \
             created meanwhile"
                .to_owned()
        } else {
            "would be injected by each, in configuration-name order. Change the labels so one \
             webhook matches, or remove one of the webhook configurations named, then restart \
             what was created meanwhile"
                .to_owned()
        }
    }

    /// Each istiod whose webhook receives a pod still applies its own policy
    /// (istio `pkg/kube/inject/webhook.go` `inject()`): say which of a namespace's
    /// conflicting revisions inject only pods that opt in.
    pub(super) fn policy_note(&self, resolution: &Resolution) -> String {
        let Resolution::Conflict { candidates } = resolution else {
            return String::new();
        };
        let mut opt_in: Vec<&str> = candidates
            .iter()
            .filter_map(|c| self.mesh.revision(&c.revision))
            .filter(|r| r.injector.policy != crate::mesh::Policy::Enabled)
            .map(|r| r.name.as_str())
            .collect();
        opt_in.sort_unstable();
        opt_in.dedup();
        if opt_in.is_empty() {
            return String::new();
        }
        format!(
            ". The istiod of {} injects only pods that opt in (injector policy not \
             `enabled`), so pods that do not opt in get one sidecar; `meshrev status` shows \
             each workload's verdict",
            opt_in.join(" and ")
        )
    }

    // ------------------------------------------------------------------ tags

    pub(super) fn tags(&mut self) {
        for t in self.mesh.tags() {
            if t.name == "default" {
                continue;
            }
            let Some(rev) = self.mesh.revision(&t.name) else {
                continue;
            };
            let target = t.revision.as_deref().unwrap_or("nothing");
            let remove = if t.source.kind == "IstioRevisionTag" {
                format!("`kubectl delete istiorevisiontag {}`", t.name)
            } else {
                format!(
                    "`istioctl tag remove {}` (or `kubectl delete mutatingwebhookconfiguration \
                     {}`)",
                    t.name, t.source.name
                )
            };
            self.push(
                Code::TagShadowsRevision,
                t.source.clone(),
                format!(
                    "tag {} ({} -> {target}) has the name of revision {} ({}): \
                     istio.io/rev={} matches the webhooks of both, so such namespaces and pods \
                     are injected twice. istioctl refuses such a tag; rename it: create the tag \
                     under another name, move its namespaces, then {remove}",
                    t.name, t.source, rev.name, rev.control_plane, t.name
                ),
            )
            .revisions([rev.name.as_str()])
            .objects([rev.control_plane.clone()]);
        }
    }
}

/// `webhooks of revisions a (via ...) and b (via ...) all match:`.
pub(super) fn conflict_words(r: &Resolution) -> String {
    let Resolution::Conflict { candidates } = r else {
        return String::new();
    };
    let parts: Vec<String> = candidates
        .iter()
        .map(|c| {
            format!(
                "{} via {} ({} of {})",
                c.revision, c.via, c.webhook.name, c.webhook.configuration
            )
        })
        .collect();
    format!(
        "webhooks of several revisions match (double injection, IST0139): {};",
        parts.join(", ")
    )
}

/// `istio.io/rev` values a selector mentions.
fn selector_revisions(s: &LabelSelector) -> Vec<&str> {
    let mut out: Vec<&str> = s
        .match_labels()
        .get(labels::REV)
        .map(String::as_str)
        .into_iter()
        .collect();
    for r in s.match_expressions() {
        if r.key() == labels::REV && matches!(r.operator(), Operator::In | Operator::NotIn) {
            out.extend(r.values().iter().map(String::as_str));
        }
    }
    out
}

/// `istio-injection=enabled, istio.io/rev=x` or `no labels`.
fn labels_words(l: &Labels) -> String {
    if l.is_empty() {
        "no labels".to_owned()
    } else {
        l.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
