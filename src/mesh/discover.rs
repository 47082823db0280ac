//! Control-plane discovery for the three families, then their webhooks.
//!
//! Order matters only for naming clashes: Maistra control planes are found first
//! (their istiod Deployments also carry `istio.io/rev`), then Sail revisions (whose
//! Deployments do too), then whatever upstream istiod Deployments and webhook
//! configurations remain.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::revision::{Family, InjectorConfig, Policy, Revision, Tag, Via, WebhookSource};
use super::webhook::{self, Webhook};
use crate::error::ObjectRef;
use crate::labels::{self, LabelSelector};
use crate::snapshot::{
    ControlPlaneMode, Istio, MutatingWebhookConfiguration, Snapshot, TagTargetKind, UpdateStrategy,
    WorkloadKind,
};

/// The kinds of [`MeshWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum WarningKind {
    /// An injector config map whose `config` or `values` cannot be read.
    UnreadableInjectorConfig,
    /// `neverInjectSelector` / `alwaysInjectSelector` in CR values that are not selectors.
    InvalidInjectorSelectors,
    /// `discoverySelectors` (CR values or the mesh config map) that cannot be read.
    InvalidDiscoverySelectors,
    /// Two control planes claim one revision name.
    RevisionNameClash,
    /// An IstioRevisionTag and its webhook configuration disagree on the target.
    TagTargetMismatch,
    /// An injection webhook with no revision label and no service.
    WebhookWithoutTarget,
    /// An injection webhook sending to a revision with no control plane.
    WebhookToUnknownRevision,
}

/// Something odd found while building the model: reported as a finding, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MeshWarning {
    /// What kind of oddity (the analyzer maps each to a finding code).
    pub kind: WarningKind,
    /// The object concerned.
    pub object: ObjectRef,
    /// What is wrong.
    pub message: String,
}

#[derive(Default)]
pub(crate) struct Discovered {
    pub revisions: BTreeMap<String, Revision>,
    pub tags: BTreeMap<String, Tag>,
    pub webhooks: Vec<Webhook>,
    pub default_revision: Option<String>,
    pub warnings: Vec<MeshWarning>,
}

pub(crate) fn discover(s: &Snapshot) -> Discovered {
    let mut d = Discovered::default();
    maistra(s, &mut d);
    sail(s, &mut d);
    upstream(s, &mut d);
    tags(s, &mut d);
    cluster_webhooks(s, &mut d);
    synthesize(s, &mut d);
    d.default_revision = match d.tags.get("default") {
        Some(tag) => tag.revision.clone(),
        None if d.revisions.contains_key("default") => Some("default".to_owned()),
        None => None,
    };
    d.webhooks
        .sort_by(|a, b| a.configuration.cmp(&b.configuration));
    d
}

// ------------------------------------------------------------------ injector

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawInjectorConfig {
    policy: Option<String>,
    never_inject_selector: Option<Vec<LabelSelector>>,
    always_inject_selector: Option<Vec<LabelSelector>>,
}

/// The injector config map name of an upstream or Sail revision: the istio chart
/// renders `istio-sidecar-injector` for the empty helm revision (`default`).
fn istio_injector_config_map(revision: &str) -> String {
    if revision == "default" {
        "istio-sidecar-injector".to_owned()
    } else {
        format!("istio-sidecar-injector-{revision}")
    }
}

/// The injector config map name of a Maistra control plane: the operator sets the
/// helm revision to the SMCP name, and the maistra chart
/// (`istiod-injector-configmap.yaml`) always suffixes it, `default` included.
fn maistra_injector_config_map(revision: &str) -> String {
    format!("istio-sidecar-injector-{revision}")
}

/// An injector config map, parsed.
fn injector_from_config_map(
    s: &Snapshot,
    namespace: &str,
    name: &str,
    warnings: &mut Vec<MeshWarning>,
) -> Option<InjectorConfig> {
    let cm = s.config_map(namespace, name)?;
    let object = cm.meta.object_ref("ConfigMap");
    let parsed = (|| -> Result<InjectorConfig, String> {
        let raw: RawInjectorConfig = match cm.data.get("config") {
            Some(text) => serde_yaml::from_str(text).map_err(|e| format!("data.config: {e}"))?,
            None => RawInjectorConfig::default(),
        };
        // Selectors are checked as they are deserialized.
        let never = raw.never_inject_selector.unwrap_or_default();
        let always = raw.always_inject_selector.unwrap_or_default();
        let values: Value = match cm.data.get("values") {
            Some(text) => serde_json::from_str(text).map_err(|e| format!("data.values: {e}"))?,
            None => Value::Null,
        };
        let policy = Policy::parse(raw.policy.as_deref().unwrap_or("enabled"));
        let mut config = InjectorConfig::new(policy, format!("ConfigMap {namespace}/{name}"))
            .with_selectors(never, always);
        config.enable_namespaces_by_default = enable_namespaces_by_default(&values);
        Ok(config)
    })();
    match parsed {
        Ok(config) => Some(config),
        Err(message) => {
            warnings.push(MeshWarning {
                kind: WarningKind::UnreadableInjectorConfig,
                object,
                message: format!("cannot read injector config: {message}"),
            });
            None
        }
    }
}

fn enable_namespaces_by_default(values: &Value) -> bool {
    values
        .pointer("/sidecarInjectorWebhook/enableNamespacesByDefault")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Injector rules from helm values (Sail CRs): `global.proxy.autoInject`,
/// `sidecarInjectorWebhook.{never,always}InjectSelector`, `enableNamespacesByDefault`.
fn injector_from_values(
    values: &Value,
    source: String,
    object: &ObjectRef,
    warnings: &mut Vec<MeshWarning>,
) -> InjectorConfig {
    let policy = Policy::parse(
        values
            .pointer("/global/proxy/autoInject")
            .and_then(Value::as_str)
            .unwrap_or("enabled"),
    );
    let mut list = |key: &str| -> Vec<LabelSelector> {
        let Some(v) = values.pointer(&format!("/sidecarInjectorWebhook/{key}")) else {
            return Vec::new();
        };
        match serde_json::from_value::<Vec<LabelSelector>>(v.clone()).map_err(|e| e.to_string()) {
            Ok(l) => l,
            Err(e) => {
                warnings.push(MeshWarning {
                    kind: WarningKind::InvalidInjectorSelectors,
                    object: object.clone(),
                    message: format!("spec.values.sidecarInjectorWebhook.{key}: {e}"),
                });
                Vec::new()
            }
        }
    };
    let mut config = InjectorConfig::new(policy, source)
        .with_selectors(list("neverInjectSelector"), list("alwaysInjectSelector"));
    config.enable_namespaces_by_default = enable_namespaces_by_default(values);
    config
}

fn discovery_selectors_from_values(
    values: &Value,
    object: &ObjectRef,
    warnings: &mut Vec<MeshWarning>,
) -> Vec<LabelSelector> {
    let Some(v) = values.pointer("/meshConfig/discoverySelectors") else {
        return Vec::new();
    };
    match serde_json::from_value::<Vec<LabelSelector>>(v.clone()).map_err(|e| e.to_string()) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(MeshWarning {
                kind: WarningKind::InvalidDiscoverySelectors,
                object: object.clone(),
                message: format!("spec.values.meshConfig.discoverySelectors: {e}"),
            });
            Vec::new()
        }
    }
}

/// `discoverySelectors` from an upstream mesh config map `istio[-R]` key `mesh`.
fn discovery_selectors_from_mesh_config(
    s: &Snapshot,
    namespace: &str,
    revision: &str,
    warnings: &mut Vec<MeshWarning>,
) -> Vec<LabelSelector> {
    let name = if revision == "default" {
        "istio".to_owned()
    } else {
        format!("istio-{revision}")
    };
    let Some(cm) = s.config_map(namespace, &name) else {
        return Vec::new();
    };
    let Some(mesh) = cm.data.get("mesh") else {
        return Vec::new();
    };
    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct RawMesh {
        discovery_selectors: Option<Vec<LabelSelector>>,
    }
    match serde_yaml::from_str::<RawMesh>(mesh)
        .map(|m| m.discovery_selectors.unwrap_or_default())
        .map_err(|e| e.to_string())
    {
        Ok(l) => l,
        Err(e) => {
            warnings.push(MeshWarning {
                kind: WarningKind::InvalidDiscoverySelectors,
                object: cm.meta.object_ref("ConfigMap"),
                message: format!("data.mesh: {e}"),
            });
            Vec::new()
        }
    }
}

// ------------------------------------------------------------------- families

fn maistra(s: &Snapshot, d: &mut Discovered) {
    for cp in s.control_planes() {
        let name = cp.meta.name.clone();
        let namespace = cp.meta.namespace.clone().unwrap_or_default();
        let object = cp.meta.object_ref("ServiceMeshControlPlane");
        // Maistra's default profile sets policy `disabled`; `autoInject: true` flips it.
        let cm = maistra_injector_config_map(&name);
        let injector = injector_from_config_map(s, &namespace, &cm, &mut d.warnings)
            .unwrap_or_else(|| {
                let policy = if cp.auto_inject == Some(true) {
                    Policy::Enabled
                } else {
                    Policy::Disabled
                };
                InjectorConfig::new(policy, format!("{object} (Maistra default profile)"))
            });
        let discovery_selectors = match cp.mode {
            ControlPlaneMode::ClusterWide => cp.discovery_selectors.clone(),
            ControlPlaneMode::MultiTenant => Vec::new(),
        };
        d.revisions.insert(
            name.clone(),
            Revision {
                istiod: format!("istiod-{name}"),
                name,
                family: Family::Maistra,
                control_plane: object,
                namespace,
                version: cp.version.clone(),
                injector,
                discovery_selectors,
                webhooks: WebhookSource::None,
                mode: Some(cp.mode),
                active: None,
            },
        );
    }
}

/// The revision name the Sail operator gives an Istio's active revision
/// (`controllers/istio/istio_controller.go` `getActiveRevisionName`).
pub fn sail_revision_name(istio: &Istio) -> String {
    match istio.update_strategy {
        UpdateStrategy::InPlace => istio.meta.name.clone(),
        UpdateStrategy::RevisionBased => {
            let version = istio.version.as_deref().unwrap_or("unknown");
            format!("{}-{}", istio.meta.name, version.replace('.', "-"))
        }
    }
}

fn active_revision(istio: &Istio) -> String {
    istio
        .active_revision_name
        .clone()
        .unwrap_or_else(|| sail_revision_name(istio))
}

fn sail_owner<'a>(s: &'a Snapshot, meta: &crate::snapshot::ObjectMeta) -> Option<&'a Istio> {
    let owner = meta.owner_references.iter().find(|o| o.kind == "Istio")?;
    s.istios().find(|i| i.meta.name == owner.name)
}

fn sail(s: &Snapshot, d: &mut Discovered) {
    let mut covered = BTreeSet::new();
    let add = |d: &mut Discovered,
               name: String,
               namespace: String,
               version: Option<String>,
               values: &Value,
               object: ObjectRef,
               active: Option<bool>| {
        if d.revisions.contains_key(&name) {
            d.warnings.push(MeshWarning {
                kind: WarningKind::RevisionNameClash,
                object,
                message: format!(
                    "revision name {name:?} is already used by {}",
                    d.revisions[&name].control_plane
                ),
            });
            return;
        }
        let injector = injector_from_config_map(
            s,
            &namespace,
            &istio_injector_config_map(&name),
            &mut d.warnings,
        )
        .unwrap_or_else(|| {
            injector_from_values(
                values,
                format!("{object} spec.values"),
                &object,
                &mut d.warnings,
            )
        });
        let discovery_selectors = discovery_selectors_from_values(values, &object, &mut d.warnings);
        let istiod = if name == "default" {
            "istiod".to_owned()
        } else {
            format!("istiod-{name}")
        };
        d.revisions.insert(
            name.clone(),
            Revision {
                name,
                family: Family::Sail,
                control_plane: object,
                namespace,
                version,
                istiod,
                injector,
                discovery_selectors,
                webhooks: WebhookSource::None,
                mode: None,
                active,
            },
        );
    };
    for rev in s.istio_revisions() {
        let owner = sail_owner(s, &rev.meta);
        if let Some(istio) = owner {
            covered.insert(istio.meta.name.clone());
        }
        let active = owner.map(|i| active_revision(i) == rev.meta.name);
        add(
            d,
            rev.meta.name.clone(),
            rev.namespace.clone(),
            rev.version.clone(),
            &rev.values,
            rev.meta.object_ref("IstioRevision"),
            active,
        );
    }
    for istio in s.istios() {
        let name = active_revision(istio);
        if covered.contains(&istio.meta.name) || s.istio_revisions().any(|r| r.meta.name == name) {
            continue;
        }
        add(
            d,
            name,
            istio.namespace.clone(),
            istio.version.clone(),
            &istio.values,
            istio.meta.object_ref("Istio"),
            Some(true),
        );
    }
}

fn upstream_revision(
    s: &Snapshot,
    d: &mut Discovered,
    name: String,
    namespace: String,
    istiod: String,
    object: ObjectRef,
) {
    if d.revisions.contains_key(&name) || d.tags.contains_key(&name) {
        return;
    }
    let injector = injector_from_config_map(
        s,
        &namespace,
        &istio_injector_config_map(&name),
        &mut d.warnings,
    )
    .unwrap_or_else(|| {
        InjectorConfig::new(Policy::Enabled, "chart default (no injector config map)")
    });
    let discovery_selectors =
        discovery_selectors_from_mesh_config(s, &namespace, &name, &mut d.warnings);
    d.revisions.insert(
        name.clone(),
        Revision {
            name,
            family: Family::Istio,
            control_plane: object,
            namespace,
            version: None,
            istiod,
            injector,
            discovery_selectors,
            webhooks: WebhookSource::None,
            mode: None,
            active: None,
        },
    );
}

/// Labels the Maistra operator puts on the istiod it manages (kiali/kiali
/// `istio/discovery.go` treats a control plane carrying any of them as Maistra).
const MAISTRA_DEPLOYMENT_LABELS: [&str; 3] = [
    "maistra.io/owner",
    "maistra.io/owner-name",
    "maistra-version",
];

/// A Maistra istiod whose `ServiceMeshControlPlane` is not in the snapshot: still a
/// Maistra revision (membership webhook, policy `disabled`), named by its
/// `istio.io/rev` label.
fn maistra_from_deployment(
    s: &Snapshot,
    d: &mut Discovered,
    name: String,
    w: &crate::snapshot::Workload,
) {
    if d.revisions.contains_key(&name) {
        return;
    }
    let namespace = w.namespace().to_owned();
    let object = w.meta.object_ref("Deployment");
    let injector = injector_from_config_map(
        s,
        &namespace,
        &maistra_injector_config_map(&name),
        &mut d.warnings,
    )
    .unwrap_or_else(|| {
        InjectorConfig::new(
            Policy::Disabled,
            format!("{object} (Maistra default profile)"),
        )
    });
    d.revisions.insert(
        name.clone(),
        Revision {
            name,
            family: Family::Maistra,
            control_plane: object,
            namespace,
            version: w.meta.labels.get("maistra-version").cloned(),
            istiod: w.meta.name.clone(),
            injector,
            discovery_selectors: Vec::new(),
            webhooks: WebhookSource::None,
            mode: Some(ControlPlaneMode::MultiTenant),
            active: None,
        },
    );
}

fn upstream(s: &Snapshot, d: &mut Discovered) {
    for w in s.workloads().filter(|w| w.kind == WorkloadKind::Deployment) {
        if w.meta.labels.get("app").map(String::as_str) != Some("istiod") {
            continue;
        }
        let name = w
            .meta
            .labels
            .get(labels::REV)
            .cloned()
            .unwrap_or_else(|| "default".to_owned());
        if MAISTRA_DEPLOYMENT_LABELS
            .iter()
            .any(|l| w.meta.labels.contains_key(*l))
        {
            maistra_from_deployment(s, d, name, w);
            continue;
        }
        let version = w.meta.labels.get("operator.istio.io/version").cloned();
        upstream_revision(
            s,
            d,
            name.clone(),
            w.namespace().to_owned(),
            w.meta.name.clone(),
            w.meta.object_ref("Deployment"),
        );
        if let Some(rev) = d.revisions.get_mut(&name)
            && rev.family == Family::Istio
            && rev.version.is_none()
        {
            rev.version = version;
        }
    }
    for mwc in s.webhook_configurations() {
        if mwc.meta.labels.contains_key(labels::TAG) || !is_injection_configuration(mwc) {
            continue;
        }
        let Some(name) = mwc.meta.labels.get(labels::REV).cloned() else {
            continue;
        };
        let service = mwc.webhooks.iter().find_map(|w| w.service.clone());
        let (namespace, istiod) = match service {
            Some(svc) => (svc.namespace, svc.name),
            None => ("istio-system".to_owned(), "istiod".to_owned()),
        };
        upstream_revision(
            s,
            d,
            name,
            namespace,
            istiod,
            mwc.meta.object_ref("MutatingWebhookConfiguration"),
        );
    }
}

fn tags(s: &Snapshot, d: &mut Discovered) {
    for mwc in s.webhook_configurations() {
        let Some(tag) = mwc.meta.labels.get(labels::TAG) else {
            continue;
        };
        d.tags.insert(
            tag.clone(),
            Tag {
                name: tag.clone(),
                revision: mwc.meta.labels.get(labels::REV).cloned(),
                source: mwc.meta.object_ref("MutatingWebhookConfiguration"),
            },
        );
    }
    for t in s.istio_revision_tags() {
        let revision = match t.target_kind {
            TagTargetKind::IstioRevision => Some(t.target_name.clone()),
            TagTargetKind::Istio => t.status_revision.clone().or_else(|| {
                s.istios()
                    .find(|i| i.meta.name == t.target_name)
                    .map(active_revision)
            }),
        };
        let object = t.meta.object_ref("IstioRevisionTag");
        match d.tags.get_mut(&t.meta.name) {
            // The webhook configuration is what the API server acts on; keep its target.
            Some(existing) => {
                if existing.revision != revision {
                    d.warnings.push(MeshWarning {
                        kind: WarningKind::TagTargetMismatch,
                        object: object.clone(),
                        message: format!(
                            "tag targets {} but its webhook configuration {} sends to {}",
                            revision.as_deref().unwrap_or("nothing"),
                            existing.source.name,
                            existing.revision.as_deref().unwrap_or("nothing")
                        ),
                    });
                }
            }
            None => {
                d.tags.insert(
                    t.meta.name.clone(),
                    Tag {
                        name: t.meta.name.clone(),
                        revision,
                        source: object,
                    },
                );
            }
        }
    }
}

// ------------------------------------------------------------------- webhooks

fn is_injection_webhook(w: &crate::snapshot::MutatingWebhook) -> bool {
    w.name.contains("sidecar-injector")
        || w.service
            .as_ref()
            .and_then(|s| s.path.as_deref())
            .is_some_and(|p| p.starts_with("/inject"))
}

fn is_injection_configuration(mwc: &MutatingWebhookConfiguration) -> bool {
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

fn cluster_webhooks(s: &Snapshot, d: &mut Discovered) {
    for mwc in s.webhook_configurations() {
        let object = mwc.meta.object_ref("MutatingWebhookConfiguration");
        let tag = mwc.meta.labels.get(labels::TAG).map(String::as_str);
        for w in mwc.webhooks.iter().filter(|w| is_injection_webhook(w)) {
            let maistra = w.service.as_ref().and_then(|svc| {
                d.revisions.values().find(|r| {
                    r.family == Family::Maistra
                        && r.namespace == svc.namespace
                        && r.istiod == svc.name
                })
            });
            let (revision, via) = if let Some(rev) = maistra {
                (rev.name.clone(), Via::Membership)
            } else if let Some(rev) = mwc.meta.labels.get(labels::REV) {
                (rev.clone(), via_for(&w.name, tag))
            } else if let Some(svc) = &w.service {
                let rev = svc
                    .name
                    .strip_prefix("istiod-")
                    .unwrap_or(if svc.name == "istiod" {
                        "default"
                    } else {
                        &svc.name
                    });
                (rev.to_owned(), via_for(&w.name, tag))
            } else {
                d.warnings.push(MeshWarning {
                    kind: WarningKind::WebhookWithoutTarget,
                    object: object.clone(),
                    message: format!("webhook {} names no revision and no service", w.name),
                });
                continue;
            };
            match d.revisions.get_mut(&revision) {
                // A tag's webhooks do not stand in for the revision's own: those are
                // synthesized if the snapshot lacks them.
                Some(r) => {
                    if tag.is_none() {
                        r.webhooks = WebhookSource::Cluster;
                    }
                }
                None => d.warnings.push(MeshWarning {
                    kind: WarningKind::WebhookToUnknownRevision,
                    object: object.clone(),
                    message: format!("webhook {} sends to revision {revision:?}, which has no control plane in the snapshot", w.name),
                }),
            }
            d.webhooks.push(Webhook::new(
                mwc.meta.name.clone(),
                w.name.clone(),
                revision,
                via,
                w.namespace_selector.clone(),
                w.object_selector.clone(),
            ));
        }
    }
}

/// Chart-rendered webhooks for every revision and tag the snapshot has no
/// webhook configuration for.
fn synthesize(s: &Snapshot, d: &mut Discovered) {
    let has_default_tag = d.tags.contains_key("default");
    let mut hooks = Vec::new();
    for rev in d
        .revisions
        .values_mut()
        .filter(|r| r.webhooks == WebhookSource::None)
    {
        match rev.family {
            Family::Maistra => hooks.push(webhook::maistra_webhook(&rev.name, &rev.namespace)),
            Family::Sail | Family::Istio => {
                let default = rev.name == "default" && !has_default_tag;
                hooks.extend(webhook::chart_webhooks(
                    &webhook::revision_configuration_name(&rev.name, &rev.namespace),
                    &rev.name,
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
