//! Injection labels on namespaces and pods: both labels at once (MR0001), an
//! `istio.io/rev` that leads nowhere (MR0002), a pod label the namespace overrides
//! (MR0006), and a label on a namespace istiod never injects (MR0016).

use std::collections::{BTreeMap, BTreeSet};

use super::webhooks::conflict_words;
use super::{Analyzer, Code, Subject, conflict_revisions, outcome_words};
use crate::labels;
use crate::mesh::Family;
use crate::resolve::{NotInjected, Resolution};
use crate::snapshot::ObjectRef;

impl<'a> Analyzer<'a> {
    /// The revision a name leads to (a revision, or a tag's target).
    fn leads_to(&self, name: &str) -> Option<&'a str> {
        self.mesh.resolve_name(name).map(|r| r.name.as_str())
    }

    /// The object defining tag `name`, when `name` is a tag (for a finding's data).
    fn tag_source(&self, name: &str) -> Option<ObjectRef> {
        self.mesh.tag(name).map(|t| t.source.clone())
    }

    /// What `istio-injection=enabled` leads to, in words.
    fn default_revision_words(&self) -> String {
        match (self.mesh.tag("default"), self.mesh.default_revision()) {
            (Some(_), Some(rev)) => format!("the `default` tag (-> revision {rev})"),
            (Some(_), None) => "the `default` tag, which leads to no revision".to_owned(),
            (None, Some(rev)) => format!("the default revision {rev}"),
            (None, None) => "the default revision, and there is none".to_owned(),
        }
    }

    // ------------------------------------------------------------ namespaces

    pub(super) fn namespaces(&mut self) {
        for ns in self.s.namespaces() {
            let name = ns.name();
            let object = ns.meta.object_ref("Namespace");
            let labels = &ns.meta.labels;
            let injection = labels.get(labels::INJECTION);
            let rev = labels.get(labels::REV);
            let resolution = self.mesh.resolve_namespace(name);

            if let (Some(inj), Some(rev)) = (injection, rev) {
                self.both_labels(name, &object, inj, rev, &resolution);
            }
            if injection.is_none()
                && let Some(rev) = rev
                && let Some(why) = self
                    .dangling(rev, Some(&resolution))
                    .or_else(|| no_webhook_for(rev, &resolution))
            {
                let tag = self.tag_source(rev);
                self.push(
                    Code::DanglingRevisionLabel,
                    object.clone(),
                    format!(
                        "namespace label istio.io/rev={rev} {why}, so no injection webhook \
                         matches and new pods in {name} start without a sidecar (no error, no \
                         event). Point it at an existing revision or tag: `kubectl label \
                         namespace {name} istio.io/rev=<revision> --overwrite`{}",
                        self.known_names_hint()
                    ),
                )
                .revisions([rev.as_str()])
                .objects(tag);
            }
            if let Resolution::Rejected { .. } = &resolution {
                self.push(
                    Code::PodsRejected,
                    object.clone(),
                    format!(
                        "namespace {name}: a new pod (with no labels of its own) is {resolution}"
                    ),
                );
            }
            if let Resolution::Conflict { .. } = &resolution {
                self.push(
                    Code::DoubleInjection,
                    object.clone(),
                    format!(
                        "{} a new pod in namespace {name} (with no labels of its own) {}{}",
                        conflict_words(&resolution),
                        self.conflict_fix(name, &resolution),
                        self.policy_note(&resolution)
                    ),
                )
                .revisions(conflict_revisions(&resolution).unwrap_or_default());
            }
            if labels::IGNORED_NAMESPACES.contains(&name)
                && (injection.is_some() || rev.is_some())
                && matches!(
                    resolution,
                    Resolution::Injected { .. } | Resolution::Conflict { .. }
                )
            {
                let label = injection
                    .map(|v| (labels::INJECTION, v))
                    .or(rev.map(|v| (labels::REV, v)));
                if let Some((k, v)) = label {
                    self.push(
                        Code::IgnoredNamespaceLabelled,
                        object.clone(),
                        format!(
                            "namespace {name} has {k}={v}, so the API server calls the injection \
                             webhook for every pod here, but istiod never injects {name} (one of \
                             {}): the label has no effect except a failure point. Remove it: \
                             `kubectl label namespace {name} {k}-`",
                            labels::IGNORED_NAMESPACES.join(", ")
                        ),
                    )
                    .revisions((k == labels::REV).then_some(v.as_str()));
                }
            }
            self.maistra(name, &object, labels, &resolution);
        }
    }

    fn both_labels(
        &mut self,
        name: &str,
        object: &ObjectRef,
        inj: &str,
        rev: &str,
        resolution: &Resolution,
    ) {
        let effect = if inj == "enabled" {
            format!(
                "istio-injection=enabled sends pods only to {}",
                self.default_revision_words()
            )
        } else {
            format!(
                "istio-injection={inj} makes every webhook skip the namespace, so nobody injects"
            )
        };
        let sail_note = match self.mesh.resolve_name(rev) {
            Some(r) if r.family == Family::Sail && inj != "enabled" => format!(
                " (the Sail operator still counts istio.io/rev={rev} as a use of revision {}, so \
                 it is never pruned)",
                r.name
            ),
            _ => String::new(),
        };
        let keep_inj = if inj == "enabled" {
            "to keep the default revision"
        } else {
            "to keep the namespace uninjected"
        };
        self.push(
            Code::BothInjectionLabels,
            object.clone(),
            format!(
                "namespace {name} has both istio-injection={inj} and istio.io/rev={rev}; \
                 istio-injection wins and istio.io/rev={rev} is ignored{sail_note}: {effect} \
                 (now: {}). To inject with {rev}: `kubectl label namespace {name} \
                 istio-injection-`; {keep_inj}: `kubectl label namespace {name} istio.io/rev-`",
                outcome_words(resolution),
            ),
        )
        .revisions([rev].into_iter().chain(resolution.revision()));
    }

    /// Why an `istio.io/rev` value leads no webhook anywhere, or `None` when it is fine.
    /// `resolution` (namespace labels only) enables the Maistra check.
    fn dangling(&self, value: &str, resolution: Option<&Resolution>) -> Option<String> {
        if value.is_empty() {
            return Some("is empty".to_owned());
        }
        // A webhook selecting this value did receive the pod: it routes (the API
        // server calls the webhook's service), or it rejects (MR0028 says so).
        match resolution {
            Some(Resolution::Rejected { .. }) => return None,
            Some(Resolution::Injected {
                via: crate::mesh::Via::Tag(t),
                ..
            }) if t == value => return None,
            _ => {}
        }
        if let Some(r) = self.mesh.revision(value) {
            return match (r.family, resolution) {
                (Family::Maistra, Some(res)) if res.revision() != Some(value) => Some(format!(
                    "names the Maistra (OSSM 2) control plane {value}, whose webhook selects \
                     members by maistra.io/member-of and ignores istio.io/rev"
                )),
                _ => None,
            };
        }
        match self.mesh.tag(value) {
            Some(t) if self.leads_to(value).is_none() => Some(format!(
                "names tag {value} ({}), which leads to no revision{}",
                t.source,
                t.revision
                    .as_deref()
                    .map(|r| format!(" (its target {r} does not exist)"))
                    .unwrap_or_default()
            )),
            Some(_) => None,
            None if value == "default" => Some(
                "names `default`, but there is no revision named default and no `default` tag"
                    .to_owned(),
            ),
            None => Some("names no revision or tag".to_owned()),
        }
    }

    fn known_names_hint(&self) -> String {
        let names: BTreeSet<&str> = self
            .mesh
            .revisions()
            .filter(|r| r.family != Family::Maistra)
            .map(|r| r.name.as_str())
            .chain(self.mesh.tags().map(|t| t.name.as_str()))
            .collect();
        if names.is_empty() {
            " (the snapshot has no revision or tag that selects on istio.io/rev)".to_owned()
        } else {
            format!(
                " (revisions and tags: {})",
                names.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
    }

    // ------------------------------------------------------------ templates

    pub(super) fn templates(&mut self) {
        let ns_conflicts: BTreeMap<String, BTreeSet<String>> = self
            .s
            .namespaces()
            .filter_map(|n| {
                let r = self.mesh.resolve_namespace(n.name());
                conflict_revisions(&r).map(|revs| (n.name().to_owned(), revs))
            })
            .collect();
        let ns_rejected: BTreeMap<String, String> = self
            .s
            .namespaces()
            .filter_map(|n| match self.mesh.resolve_namespace(n.name()) {
                Resolution::Rejected { service, .. } => Some((n.name().to_owned(), service)),
                _ => None,
            })
            .collect();
        for sub in self.subjects() {
            let ns_labels = self
                .s
                .namespace(sub.namespace)
                .map(|n| &n.meta.labels)
                .cloned()
                .unwrap_or_default();
            let ns_rev = ns_labels.get(labels::REV);
            let ns_inj = ns_labels.get(labels::INJECTION);

            if let Resolution::Rejected { service, .. } = &sub.resolution
                && ns_rejected.get(sub.namespace) != Some(service)
            {
                self.push(
                    Code::PodsRejected,
                    sub.object.clone(),
                    format!("new pods of {}: {}", sub.object, sub.resolution),
                );
            }
            if let Some(revs) = conflict_revisions(&sub.resolution)
                && ns_conflicts.get(sub.namespace) != Some(&revs)
            {
                self.push(
                    Code::DoubleInjection,
                    sub.object.clone(),
                    format!(
                        "{} new pods of {} {}",
                        conflict_words(&sub.resolution),
                        sub.object,
                        self.conflict_fix(sub.namespace, &sub.resolution)
                    ),
                )
                .revisions(revs);
            }

            let Some(pod_rev) = sub.labels.get(labels::REV) else {
                continue;
            };
            if ns_rev.is_none() && ns_inj.is_none() {
                if let Some(why) = self
                    .dangling(pod_rev, None)
                    .filter(|_| !matches!(sub.resolution, Resolution::Rejected { .. }))
                {
                    let tag = self.tag_source(pod_rev);
                    self.push(
                        Code::DanglingRevisionLabel,
                        sub.object.clone(),
                        format!(
                            "{} istio.io/rev={pod_rev} on {} {why}, so no injection webhook \
                             matches and its pods start without a sidecar. Set it to an \
                             existing revision or tag{}",
                            capitalize(sub.what),
                            sub.object,
                            self.known_names_hint()
                        ),
                    )
                    .revisions([pod_rev.as_str()])
                    .objects(tag);
                }
                continue;
            }
            self.pod_rev_ignored(&sub, pod_rev, ns_rev, ns_inj);
        }
    }

    fn pod_rev_ignored(
        &mut self,
        sub: &Subject<'_>,
        pod_rev: &str,
        ns_rev: Option<&String>,
        ns_inj: Option<&String>,
    ) {
        let ns = sub.namespace;
        let pod_leads = self.leads_to(pod_rev);
        let (ns_label, differs) = match (ns_inj, ns_rev) {
            (Some(inj), _) if inj == "enabled" => (
                "istio-injection=enabled".to_owned(),
                pod_leads.is_none() || pod_leads != self.mesh.default_revision(),
            ),
            (Some(inj), _) => (format!("istio-injection={inj}"), true),
            (None, Some(rev)) => (
                format!("istio.io/rev={rev}"),
                pod_rev != rev && (pod_leads.is_none() || pod_leads != self.leads_to(rev)),
            ),
            (None, None) => return,
        };
        if !differs {
            return;
        }
        let dangling = self
            .dangling(pod_rev, None)
            .map(|why| format!(" (and it {why})"))
            .unwrap_or_default();
        let fix = match sub.object.kind.as_str() {
            "Pod" => format!(
                "remove it (`kubectl label pod {} -n {ns} istio.io/rev-`, effective for pods \
                 created later)",
                sub.object.name
            ),
            kind => format!(
                "remove it from the template (`kubectl patch {} {} -n {ns} --type=json -p \
                 '[{{\"op\":\"remove\",\"path\":\"/spec/template/metadata/labels/istio.io~1rev\"}}]'`)",
                kind.to_lowercase(),
                sub.object.name
            ),
        };
        self.push(
            Code::PodRevisionLabelIgnored,
            sub.object.clone(),
            format!(
                "{} istio.io/rev={pod_rev} on {} is ignored{dangling}: namespace {ns} has \
                 {ns_label}, which wins (the rev.object. webhooks require both namespace labels \
                 absent), so its pods get {}. Either {fix}, or move the whole namespace: \
                 `kubectl label namespace {ns}{} istio.io/rev={pod_rev} --overwrite`",
                capitalize(sub.what),
                sub.object,
                outcome_words(&sub.resolution),
                if ns_inj.is_some() {
                    " istio-injection-"
                } else {
                    ""
                },
            ),
        )
        .revisions([pod_rev].into_iter().chain(sub.resolution.revision()));
    }
}

/// For a namespace whose `istio.io/rev` names a known revision or tag: why no
/// webhook matched it anyway (the snapshot holds no webhook selecting the value).
fn no_webhook_for(value: &str, resolution: &Resolution) -> Option<String> {
    match resolution {
        Resolution::NotInjected {
            reason: NotInjected::NoWebhook { .. },
            ..
        } => Some(format!(
            "names {value}, but no webhook configuration in the snapshot selects \
             istio.io/rev={value} (its own `istio-sidecar-injector-{value}` is missing or \
             deactivated)"
        )),
        _ => None,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
