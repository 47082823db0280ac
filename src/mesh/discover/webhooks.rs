//! Injection webhooks: read from the snapshot's MutatingWebhookConfigurations,
//! then synthesized by the chart rules for every revision and tag that has none.

use super::Discovered;
use super::warning::{MeshWarning, WarningKind};
use crate::labels;
use crate::mesh::revision::{Family, Revision, Via, WebhookSource};
use crate::mesh::webhook::{self, Webhook};
use crate::snapshot::{
    MutatingWebhook, MutatingWebhookConfiguration, ServiceReference, Snapshot, WorkloadKind,
};

fn is_injection_webhook(w: &MutatingWebhook) -> bool {
    w.name.contains("sidecar-injector")
        || w.service
            .as_ref()
            .and_then(|s| s.path.as_deref())
            .is_some_and(|p| p.starts_with("/inject"))
}

/// Whether a configuration holds at least one sidecar injection webhook.
pub(super) fn is_injection_configuration(mwc: &MutatingWebhookConfiguration) -> bool {
    mwc.webhooks.iter().any(is_injection_webhook)
}

/// The default revision's webhooks are the ones not named `rev.*`.
fn via_for(webhook_name: &str, tag: Option<&str>) -> Via {
    match (webhook_name.starts_with("rev."), tag) {
        (true, Some(t)) => Via::Tag(t.to_owned()),
        (true, None) => Via::Direct,
        (false, _) => Via::DefaultRevision,
    }
}

/// The revision a webhook sends to. The API server calls `clientConfig.service`,
/// so a revision whose istiod is that service wins over the configuration's
/// `istio.io/rev` label when the two disagree; then the label; then the service
/// name `istiod[-R]`.
fn target(
    d: &Discovered,
    mwc: &MutatingWebhookConfiguration,
    w: &MutatingWebhook,
    tag: Option<&str>,
) -> Option<(String, Via)> {
    if let Some(rev) = w.service.as_ref().and_then(|svc| served_by(d, svc)) {
        let via = if rev.family == Family::Maistra {
            Via::Membership
        } else {
            via_for(&w.name, tag)
        };
        return Some((rev.name.clone(), via));
    }
    if let Some(rev) = mwc.meta.labels.get(labels::REV) {
        return Some((rev.clone(), via_for(&w.name, tag)));
    }
    let svc = w.service.as_ref()?;
    let rev = svc
        .name
        .strip_prefix("istiod-")
        .unwrap_or(if svc.name == "istiod" {
            "default"
        } else {
            &svc.name
        });
    Some((rev.to_owned(), via_for(&w.name, tag)))
}

/// The revision whose istiod is this service. Maistra first (its istiod also
/// answers to `istio.io/rev`), then revisions found through a control plane,
/// then those known only from a webhook configuration.
fn served_by<'d>(d: &'d Discovered, svc: &ServiceReference) -> Option<&'d Revision> {
    let serves = |r: &&Revision| r.namespace == svc.namespace && r.istiod == svc.name;
    let from_configuration = |r: &&Revision| r.control_plane.kind == MWC;
    d.revisions
        .values()
        .filter(serves)
        .find(|r| r.family == Family::Maistra)
        .or_else(|| {
            d.revisions
                .values()
                .filter(serves)
                .find(|r| !from_configuration(r))
        })
        .or_else(|| d.revisions.values().find(serves))
}

/// `namespace/name` of a webhook's service when the snapshot shows nothing serves
/// it: no control plane whose istiod it is and no Deployment of that name, while
/// the snapshot does hold Deployments of the service's namespace (so the absence
/// is evidence, not a gap in what was collected).
fn unserved(s: &Snapshot, d: &Discovered, svc: &ServiceReference) -> Option<String> {
    let by_control_plane = d.revisions.values().any(|r| {
        r.namespace == svc.namespace && r.istiod == svc.name && r.control_plane.kind != MWC
    });
    let deployment = s
        .workload(&svc.namespace, WorkloadKind::Deployment, &svc.name)
        .is_some();
    let collected = s
        .workloads_in(&svc.namespace)
        .any(|w| w.kind == WorkloadKind::Deployment);
    (!by_control_plane && !deployment && collected)
        .then(|| format!("{}/{}", svc.namespace, svc.name))
}

const MWC: &str = "MutatingWebhookConfiguration";

pub(super) fn from_cluster(s: &Snapshot, d: &mut Discovered) {
    for mwc in s.webhook_configurations() {
        let object = mwc.meta.object_ref("MutatingWebhookConfiguration");
        let tag = mwc.meta.labels.get(labels::TAG).map(String::as_str);
        for w in mwc.webhooks.iter().filter(|w| is_injection_webhook(w)) {
            let Some((revision, via)) = target(d, mwc, w, tag) else {
                d.warnings.push(MeshWarning::new(
                    WarningKind::WebhookWithoutTarget,
                    object.clone(),
                    format!("webhook {} names no revision and no service", w.name),
                ));
                continue;
            };
            // A tag leads where its webhooks' service is, whatever its label says.
            if let Some(t) = tag
                && d.revisions.contains_key(&revision)
                && let Some(entry) = d.tags.get_mut(t)
                && entry.source.name == mwc.meta.name
            {
                entry.revision = Some(revision.clone());
            }
            match d.revisions.get_mut(&revision) {
                // A tag's webhooks do not stand in for the revision's own: those are
                // synthesized if the snapshot lacks them.
                Some(r) => {
                    if tag.is_none() {
                        r.webhooks = WebhookSource::Cluster;
                    }
                }
                None => d.warnings.push(MeshWarning::new(
                    WarningKind::WebhookToUnknownRevision,
                    object.clone(),
                    format!("webhook {} sends to revision {revision:?}, which has no control plane in the snapshot", w.name),
                )),
            }
            let mut hook = Webhook::new(
                mwc.meta.name.clone(),
                w.name.clone(),
                revision,
                via,
                w.namespace_selector.clone(),
                w.object_selector.clone(),
            );
            hook.failure_policy = w.failure_policy;
            hook.unserved = w.service.as_ref().and_then(|svc| unserved(s, d, svc));
            d.webhooks.push(hook);
        }
    }
}

/// Chart-rendered webhooks for every revision and tag the snapshot has no
/// webhook configuration for.
pub(super) fn synthesize(s: &Snapshot, d: &mut Discovered) {
    let has_default_tag = d.tags.contains_key("default");
    let mut hooks = Vec::new();
    for rev in d
        .revisions
        .values_mut()
        .filter(|r| r.webhooks == WebhookSource::None)
    {
        match rev.family {
            Family::Maistra => {
                // The tech-preview objectSelector is known only from the SMCP.
                let inject_selector = s
                    .control_planes()
                    .find(|cp| cp.meta.object_ref("ServiceMeshControlPlane") == rev.control_plane)
                    .filter(|cp| cp.inject_object_selector)
                    .map(|cp| cp.auto_inject == Some(true));
                hooks.push(webhook::maistra_webhook(
                    &rev.name,
                    &rev.namespace,
                    inject_selector,
                ));
            }
            Family::Sail | Family::Istio => {
                let default = rev.name == "default" && !has_default_tag;
                hooks.extend(webhook::chart_webhooks(
                    &webhook::revision_configuration_name(rev.label_value(), &rev.namespace),
                    rev.label_value(),
                    &rev.name,
                    Via::Direct,
                    default,
                    default && rev.injector.enable_namespaces_by_default,
                ));
            }
        }
        rev.webhooks = WebhookSource::Synthesized;
    }
    for tag in d.tags.values() {
        let Some(target) = tag.revision.as_deref() else {
            continue;
        };
        let configured = s
            .webhook_configurations()
            .any(|m| m.meta.labels.get(labels::TAG) == Some(&tag.name));
        if configured {
            continue;
        }
        let (namespace, auto) = d
            .revisions
            .get(target)
            .map_or(("istio-system", false), |r| {
                (
                    r.namespace.as_str(),
                    r.injector.enable_namespaces_by_default,
                )
            });
        let default = tag.name == "default";
        hooks.extend(webhook::chart_webhooks(
            &webhook::tag_configuration_name(&tag.name, namespace),
            &tag.name,
            target,
            Via::Tag(tag.name.clone()),
            default,
            default && auto,
        ));
    }
    d.webhooks.extend(hooks);
}
