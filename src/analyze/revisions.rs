//! Revisions: a namespace outside the discovery selectors of the revision that
//! injects it (MR0008), a revision nothing uses (MR0012), and an illegal injector
//! policy (MR0017).

use std::collections::BTreeMap;

use super::{Analyzer, Code};
use crate::labels::Operator;
use crate::mesh::{Family, Policy, Revision};
use crate::snapshot::ObjectRef;
use crate::status::Status;

impl Analyzer<'_> {
    // -------------------------------------------------- discovery selectors

    pub(super) fn discovery_selectors(&mut self) {
        // (namespace, revision) -> what it injects there.
        let mut injected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for ns in self.s.namespaces() {
            if let Some(r) = self.mesh.resolve_namespace(ns.name()).revision() {
                injected
                    .entry((ns.name().to_owned(), r.to_owned()))
                    .or_default()
                    .push("the namespace".to_owned());
            }
        }
        for sub in self.subjects() {
            if let Some(r) = sub.resolution.revision() {
                injected
                    .entry((sub.namespace.to_owned(), r.to_owned()))
                    .or_default()
                    .push(format!("{} {}", sub.object.kind, sub.object.name));
            }
        }
        for ((ns, rev), what) in injected {
            let (Some(namespace), Some(revision)) =
                (self.s.namespace(&ns), self.mesh.revision(&rev))
            else {
                continue;
            };
            let labels = namespace.selector_labels();
            if revision.discovers(&labels) {
                continue;
            }
            let selectors: Vec<String> = revision
                .discovery_selectors
                .iter()
                .map(|s| format!("`{s}`"))
                .collect();
            self.push(
                Code::OutsideDiscoverySelectors,
                namespace.meta.object_ref("Namespace"),
                format!(
                    "revision {rev} injects namespace {ns} ({}), but its \
                     meshConfig.discoverySelectors ({}) do not select it: the proxies get a \
                     sidecar of {}, which does not watch {ns}, so its services and \
                     configuration are missing there. {}",
                    what.join(", "),
                    selectors.join(" or "),
                    revision.istiod,
                    discovery_fix(&ns, revision)
                ),
            )
            .revisions([rev.as_str()])
            .objects([revision.control_plane.clone()]);
        }
    }

    // ------------------------------------------------------------- revisions

    pub(super) fn revisions(&mut self, status: &Status) {
        for r in self.mesh.revisions() {
            if let Policy::Other(v) = &r.injector.policy {
                let object =
                    config_map_ref(&r.injector.source).unwrap_or_else(|| r.control_plane.clone());
                self.push(
                    Code::IllegalInjectorPolicy,
                    object,
                    format!(
                        "revision {}'s injector policy is {v:?} (from {}): only `enabled` and \
                         `disabled` are legal (case-sensitive), so istiod-{} injects nothing, \
                         not even pods labelled sidecar.istio.io/inject=true, although its \
                         webhook receives them. Set policy (helm value global.proxy.autoInject) \
                         to enabled or disabled",
                        r.name, r.injector.source, r.name
                    ),
                )
                .revisions([r.name.as_str()]);
            }
        }
        for rs in status.revisions.iter().filter(|r| r.prunable) {
            let Some(r) = self.mesh.revision(&rs.name) else {
                continue;
            };
            // The one rule status shows too (`control_plane_of`): the control
            // plane's own namespace is not its data plane.
            let home: Vec<&str> = status
                .namespaces
                .iter()
                .filter(|n| n.control_plane_of.as_deref() == Some(rs.name.as_str()))
                .map(|n| n.name.as_str())
                .collect();
            let home = if home.is_empty() {
                String::new()
            } else {
                format!(
                    " (namespace {} still lists it as injector: that is the control plane's \
                     own namespace, not its data plane, and the webhook goes away with it)",
                    home.join(", ")
                )
            };
            self.push(
                Code::RevisionPrunable,
                r.control_plane.clone(),
                format!(
                    "revision {} ({}) is used by nothing: no tag leads to it, no namespace or \
                     live pod references it, and it injects no namespace{home}. It is safe to \
                     remove: {}",
                    r.name,
                    r.control_plane,
                    removal(r)
                ),
            )
            .revisions([r.name.as_str()]);
        }
    }
}

/// `ConfigMap ns/name` (an injector config source) as an object.
fn config_map_ref(source: &str) -> Option<ObjectRef> {
    let rest = source.strip_prefix("ConfigMap ")?;
    let (ns, name) = rest.split_once('/')?;
    Some(ObjectRef::new("ConfigMap", Some(ns), name))
}

fn discovery_fix(ns: &str, r: &Revision) -> String {
    let label = r.discovery_selectors.iter().find_map(|s| {
        s.match_labels()
            .iter()
            .next()
            .map(|(k, v)| format!("{k}={v}"))
            .or_else(|| {
                s.match_expressions()
                    .iter()
                    .find_map(|e| match e.operator() {
                        Operator::In => e.values().first().map(|v| format!("{}={v}", e.key())),
                        Operator::Exists => Some(format!("{}=true", e.key())),
                        _ => None,
                    })
            })
    });
    match label {
        Some(l) => format!(
            "Label the namespace so a selector matches (`kubectl label namespace {ns} {l}`), or \
             widen the selectors of {}",
            r.control_plane
        ),
        None => format!(
            "Label the namespace so one of the selectors matches, or widen the selectors of {}",
            r.control_plane
        ),
    }
}

fn removal(r: &Revision) -> String {
    let ns = &r.namespace;
    match (r.family, r.control_plane.kind.as_str()) {
        (Family::Sail, "IstioRevision") => format!(
            "the Sail operator deletes an inactive revision itself after its grace period; \
             otherwise `kubectl delete istiorevision {}`",
            r.name
        ),
        (Family::Sail, _) => format!("`kubectl delete istio {}`", r.control_plane.name),
        (Family::Maistra, _) => format!(
            "`kubectl delete smcp {} -n {ns}` (then its ServiceMeshMemberRoll)",
            r.name
        ),
        // A second installation of one name: `--revision` cannot tell the two apart.
        (Family::Istio, _) if r.name != r.label_value() => {
            format!("`helm uninstall` of its istiod release in {ns}")
        }
        (Family::Istio, _) => format!(
            "`istioctl uninstall --revision {}` (or `helm uninstall` of its istiod release in \
             {ns})",
            r.name
        ),
    }
}
