//! From one parsed document (a `serde_json::Value`) to one typed, validated object.
//!
//! Each kind has a lenient serde shape (`Raw*`: every field optional, unknown fields
//! ignored) that is then checked field by field, so a missing or malformed field is
//! reported with its path instead of a generic serde message. Each `Raw*` type says
//! it expects "a mapping", so messages never name these internal types.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::core::{ConfigMap, Namespace, Pod, PodTemplate, Workload, WorkloadKind};
use super::injection::SidecarStatus;
use super::kiali::Kiali;
use super::maistra::{
    ControlPlaneMode, ServiceMeshControlPlane, ServiceMeshMember, ServiceMeshMemberRoll,
};
use super::meta::{ObjectMeta, OwnerReference};
use super::object_ref::ObjectRef;
use super::sail::{Istio, IstioRevision, IstioRevisionTag, TagTargetKind, UpdateStrategy};
use super::webhook::{
    FailurePolicy, MutatingWebhook, MutatingWebhookConfiguration, ServiceReference,
};
use crate::error::{Error, Location, Result};
use crate::labels::{self, LabelSelector, Operator, Requirement};

/// One object the snapshot keeps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Object {
    Namespace(Namespace),
    Pod(Pod),
    Workload(Workload),
    ConfigMap(ConfigMap),
    Webhook(MutatingWebhookConfiguration),
    ControlPlane(ServiceMeshControlPlane),
    MemberRoll(ServiceMeshMemberRoll),
    Member(ServiceMeshMember),
    Istio(Istio),
    IstioRevision(IstioRevision),
    IstioRevisionTag(IstioRevisionTag),
    Kiali(Kiali),
}

/// What a document turned out to be.
pub(crate) enum Decoded {
    Object(Box<Object>, ObjectRef),
    /// A kind the model does not read, keyed as `Kind (apiVersion)`.
    Skipped(String),
}

/// Every kind the snapshot understands, by API group and kind.
#[derive(Clone, Copy)]
enum Known {
    Namespace,
    Pod,
    ConfigMap,
    Workload(WorkloadKind),
    Webhook,
    ControlPlane,
    MemberRoll,
    Member,
    Istio,
    IstioRevision,
    IstioRevisionTag,
    Kiali,
}

fn known(api_version: &str, kind: &str) -> Option<Known> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, kind) {
        ("", "Namespace") => Known::Namespace,
        ("", "Pod") => Known::Pod,
        ("", "ConfigMap") => Known::ConfigMap,
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => Known::Webhook,
        ("maistra.io", "ServiceMeshControlPlane") => Known::ControlPlane,
        ("maistra.io", "ServiceMeshMemberRoll") => Known::MemberRoll,
        ("maistra.io", "ServiceMeshMember") => Known::Member,
        ("sailoperator.io", "Istio") => Known::Istio,
        ("sailoperator.io", "IstioRevision") => Known::IstioRevision,
        ("sailoperator.io", "IstioRevisionTag") => Known::IstioRevisionTag,
        ("kiali.io", "Kiali") => Known::Kiali,
        (group, kind) => Known::Workload(WorkloadKind::from_group_kind(group, kind)?),
    })
}

impl Known {
    fn namespaced(self) -> bool {
        !matches!(
            self,
            Known::Namespace
                | Known::Webhook
                | Known::Istio
                | Known::IstioRevision
                | Known::IstioRevisionTag
        )
    }
}

/// Field-level error reporting for one object.
pub(crate) struct Ctx<'a> {
    location: &'a Location,
    object: ObjectRef,
}

impl Ctx<'_> {
    fn missing(&self, field: impl Into<String>) -> Error {
        Error::MissingField {
            location: self.location.clone(),
            object: self.object.clone(),
            field: field.into(),
        }
    }

    fn invalid(&self, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidField {
            location: self.location.clone(),
            object: self.object.clone(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn decode<T: DeserializeOwned>(&self, source: impl Source) -> Result<T> {
        source.decode(self)
    }

    fn required<T>(&self, value: Option<T>, field: &str) -> Result<T> {
        value.ok_or_else(|| self.missing(field))
    }
}

/// Where a kind's `Raw*` shape is read from: a parsed tree, or the JSON text of
/// one object (read without building the tree; see [`decode_json`]).
pub(crate) trait Source {
    fn decode<T: DeserializeOwned>(self, ctx: &Ctx) -> Result<T>;
}

impl Source for Value {
    fn decode<T: DeserializeOwned>(self, ctx: &Ctx) -> Result<T> {
        serde_path_to_error::deserialize(self).map_err(|e| {
            let path = e.path().to_string();
            ctx.invalid(path, e.into_inner().to_string())
        })
    }
}

/// The JSON text of one object.
pub(crate) struct JsonText<'a>(pub(crate) &'a str);

impl Source for JsonText<'_> {
    fn decode<T: DeserializeOwned>(self, ctx: &Ctx) -> Result<T> {
        let mut de = serde_json::Deserializer::from_str(self.0);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            ctx.invalid(path, e.into_inner().to_string())
        })
    }
}

/// Which of the objects it can read [`decode`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Ingest into a snapshot: config maps not named `istio*` are skipped (and
    /// counted), like kinds the model does not read.
    MeshObjects,
    /// Conversion of one object a caller handed over: keep every readable kind.
    #[cfg_attr(not(feature = "k8s-openapi"), allow(dead_code))]
    Readable,
}

/// Decodes a document that is a single object (not a List).
pub(crate) fn decode(value: Value, location: &Location, keep: Keep) -> Result<Decoded> {
    let Value::Object(map) = &value else {
        return Err(Error::NotAnObject {
            location: location.clone(),
            message: format!(
                "expected a mapping with apiVersion and kind, found {}",
                type_name(&value)
            ),
        });
    };
    let field = |name: &str| -> Result<String> {
        match map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(other) if !other.is_null() => Err(Error::NotAnObject {
                location: location.clone(),
                message: format!("`{name}` must be a string, found {}", type_name(other)),
            }),
            _ => Err(Error::NotAnObject {
                location: location.clone(),
                message: format!("no `{name}`"),
            }),
        }
    };
    let kind = field("kind")?;
    let api_version = field("apiVersion")?;
    let meta = map.get("metadata");
    let meta_str = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (name, namespace) = (meta_str("name"), meta_str("namespace"));
    let header = Header {
        kind: &kind,
        api_version: &api_version,
        name: name.as_deref(),
        namespace: namespace.as_deref(),
    };
    decode_with(header, value, location, keep)
}

/// What [`decode`] reads first: `kind` and `apiVersion` (present, non-empty
/// strings), `metadata.name` and `metadata.namespace` where they are strings.
pub(crate) struct Header<'h> {
    pub(crate) kind: &'h str,
    pub(crate) api_version: &'h str,
    pub(crate) name: Option<&'h str>,
    pub(crate) namespace: Option<&'h str>,
}

/// Decodes one object from its JSON text, given its [`Header`] read from the same
/// text. Any error here is also an error of [`decode`] on the parsed text, which
/// callers then run to report it exactly as the tree path does.
pub(crate) fn decode_json(
    header: Header,
    text: &str,
    location: &Location,
    keep: Keep,
) -> Result<Decoded> {
    decode_with(header, JsonText(text), location, keep)
}

fn decode_with(
    header: Header,
    value: impl Source,
    location: &Location,
    keep: Keep,
) -> Result<Decoded> {
    let (kind, api_version) = (header.kind, header.api_version);
    let Some(known) = known(api_version, kind) else {
        return Ok(Decoded::Skipped(format!("{kind} ({api_version})")));
    };
    let ctx = Ctx {
        location,
        object: ObjectRef::new(
            kind.to_owned(),
            if known.namespaced() {
                header.namespace
            } else {
                None
            },
            header.name.unwrap_or_default(),
        ),
    };
    if let (Known::ConfigMap, Keep::MeshObjects) = (known, keep)
        && !ConfigMap::is_mesh_config(&ctx.object.name)
    {
        return Ok(Decoded::Skipped(format!("{kind} ({api_version})")));
    }
    let object = match known {
        Known::Namespace => Object::Namespace(namespace(&ctx, value)?),
        Known::Pod => Object::Pod(pod(&ctx, value)?),
        Known::ConfigMap => Object::ConfigMap(config_map(&ctx, value)?),
        Known::Workload(WorkloadKind::CronJob) => Object::Workload(cron_job(&ctx, value)?),
        Known::Workload(kind) => Object::Workload(workload(&ctx, kind, value)?),
        Known::Webhook => Object::Webhook(webhook_configuration(&ctx, value)?),
        Known::ControlPlane => Object::ControlPlane(control_plane(&ctx, value)?),
        Known::MemberRoll => Object::MemberRoll(member_roll(&ctx, value)?),
        Known::Member => Object::Member(member(&ctx, value)?),
        Known::Istio => Object::Istio(istio(&ctx, value)?),
        Known::IstioRevision => Object::IstioRevision(istio_revision(&ctx, value)?),
        Known::IstioRevisionTag => Object::IstioRevisionTag(istio_revision_tag(&ctx, value)?),
        Known::Kiali => Object::Kiali(kiali(&ctx, value)?),
    };
    Ok(Decoded::Object(Box::new(object), ctx.object))
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

// ---------------------------------------------------------------- metadata

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawMeta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<RawOwnerReference>>,
    creation_timestamp: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawOwnerReference {
    kind: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    controller: Option<bool>,
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn check_labels(
    ctx: &Ctx,
    field: &str,
    labels: &BTreeMap<String, String>,
    values: bool,
) -> Result<()> {
    for (k, v) in labels {
        labels::check_label_key(k)
            .map_err(|e| ctx.invalid(format!("{field}.{k}"), format!("invalid key: {e}")))?;
        if values {
            labels::check_label_value(v).map_err(|e| {
                ctx.invalid(format!("{field}.{k}"), format!("invalid value {v:?}: {e}"))
            })?;
        }
    }
    Ok(())
}

/// Checks `metadata`: the name (DNS-1123 label for namespaces, subdomain for the
/// rest), the namespace where the kind is namespaced, labels and annotation keys.
fn meta(
    ctx: &Ctx,
    raw: Option<RawMeta>,
    namespaced: bool,
    name_is_label: bool,
) -> Result<ObjectMeta> {
    let raw = ctx.required(raw, "metadata")?;
    let name = ctx.required(raw.name, "metadata.name")?;
    let check = if name_is_label {
        labels::check_dns1123_label
    } else {
        labels::check_dns1123_subdomain
    };
    check(&name).map_err(|e| {
        ctx.invalid(
            "metadata.name",
            format!("{name:?} is not a valid name: {e}"),
        )
    })?;
    let namespace = if namespaced {
        let ns = ctx.required(raw.namespace, "metadata.namespace")?;
        labels::check_dns1123_label(&ns).map_err(|e| {
            ctx.invalid(
                "metadata.namespace",
                format!("{ns:?} is not a valid namespace name: {e}"),
            )
        })?;
        Some(ns)
    } else {
        None
    };
    let labels = raw.labels.unwrap_or_default();
    check_labels(ctx, "metadata.labels", &labels, true)?;
    let mut annotations = raw.annotations.unwrap_or_default();
    annotations.remove(LAST_APPLIED);
    check_labels(ctx, "metadata.annotations", &annotations, false)?;
    let owner_references = raw
        .owner_references
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            Ok(OwnerReference {
                kind: ctx.required(o.kind, &format!("metadata.ownerReferences[{i}].kind"))?,
                name: ctx.required(o.name, &format!("metadata.ownerReferences[{i}].name"))?,
                uid: o.uid,
                controller: o.controller.unwrap_or(false),
            })
        })
        .collect::<Result<_>>()?;
    Ok(ObjectMeta {
        name,
        namespace,
        uid: raw.uid,
        resource_version: raw.resource_version,
        labels,
        annotations,
        owner_references,
        creation_timestamp: raw.creation_timestamp,
    })
}

// ------------------------------------------------------------ label selectors

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSelector {
    match_labels: Option<BTreeMap<String, String>>,
    match_expressions: Option<Vec<RawRequirement>>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawRequirement {
    key: Option<String>,
    operator: Option<String>,
    values: Option<Vec<String>>,
}

fn selector(ctx: &Ctx, field: &str, raw: RawSelector) -> Result<LabelSelector> {
    let match_labels = raw.match_labels.unwrap_or_default();
    check_labels(ctx, &format!("{field}.matchLabels"), &match_labels, true)?;
    let match_expressions = raw
        .match_expressions
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let at = format!("{field}.matchExpressions[{i}]");
            let key = ctx.required(r.key, &format!("{at}.key"))?;
            let op = ctx.required(r.operator, &format!("{at}.operator"))?;
            let operator: Operator = op
                .parse()
                .map_err(|e: String| ctx.invalid(format!("{at}.operator"), e))?;
            Requirement::new(key, operator, r.values.unwrap_or_default())
                .map_err(|e| ctx.invalid(at, e))
        })
        .collect::<Result<_>>()?;
    LabelSelector::new(match_labels, match_expressions).map_err(|e| ctx.invalid(field, e))
}

fn selectors(ctx: &Ctx, field: &str, raw: Option<Vec<RawSelector>>) -> Result<Vec<LabelSelector>> {
    raw.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, s)| selector(ctx, &format!("{field}[{i}]"), s))
        .collect()
}

// ------------------------------------------------------------- core kinds

#[derive(Deserialize)]
#[serde(expecting = "a mapping")]
struct RawNamespace {
    metadata: Option<RawMeta>,
}

fn namespace(ctx: &Ctx, value: impl Source) -> Result<Namespace> {
    let raw: RawNamespace = ctx.decode(value)?;
    Ok(Namespace {
        meta: meta(ctx, raw.metadata, false, true)?,
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawPod {
    metadata: Option<RawMeta>,
    spec: Option<RawPodSpec>,
    status: Option<RawPodStatus>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawPodSpec {
    host_network: Option<bool>,
    containers: Option<Vec<RawContainer>>,
    init_containers: Option<Vec<RawContainer>>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawContainer {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawPodStatus {
    phase: Option<String>,
}

fn container_names(ctx: &Ctx, field: &str, raw: Option<Vec<RawContainer>>) -> Result<Vec<String>> {
    raw.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| ctx.required(c.name, &format!("{field}[{i}].name")))
        .collect()
}

fn pod(ctx: &Ctx, value: impl Source) -> Result<Pod> {
    let raw: RawPod = ctx.decode(value)?;
    let mut meta = meta(ctx, raw.metadata, true, false)?;
    // The injection record is parsed here, once (see `SidecarStatus`).
    let sidecar_status = SidecarStatus::take(&mut meta.annotations);
    let spec = ctx.required(raw.spec, "spec")?;
    let containers = ctx.required(spec.containers, "spec.containers")?;
    Ok(Pod {
        meta,
        sidecar_status,
        host_network: spec.host_network.unwrap_or(false),
        containers: container_names(ctx, "spec.containers", Some(containers))?,
        init_containers: container_names(ctx, "spec.initContainers", spec.init_containers)?,
        phase: raw.status.and_then(|s| s.phase),
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawWorkload {
    metadata: Option<RawMeta>,
    spec: Option<RawWorkloadSpec>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawWorkloadSpec {
    replicas: Option<i32>,
    template: Option<RawTemplate>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawTemplate {
    metadata: Option<RawTemplateMeta>,
    spec: Option<RawPodSpec>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawTemplateMeta {
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
}

fn workload(ctx: &Ctx, kind: WorkloadKind, value: impl Source) -> Result<Workload> {
    let raw: RawWorkload = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = ctx.required(raw.spec, "spec")?;
    let template = ctx.required(spec.template, "spec.template")?;
    let tmeta = template.metadata.unwrap_or_default();
    let labels = tmeta.labels.unwrap_or_default();
    check_labels(ctx, "spec.template.metadata.labels", &labels, true)?;
    let annotations = tmeta.annotations.unwrap_or_default();
    check_labels(
        ctx,
        "spec.template.metadata.annotations",
        &annotations,
        false,
    )?;
    Ok(Workload {
        kind,
        meta,
        replicas: spec.replicas,
        template: PodTemplate {
            labels,
            annotations,
            host_network: template.spec.and_then(|s| s.host_network).unwrap_or(false),
        },
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawConfigMap {
    metadata: Option<RawMeta>,
    data: Option<BTreeMap<String, String>>,
}

fn config_map(ctx: &Ctx, value: impl Source) -> Result<ConfigMap> {
    let raw: RawConfigMap = ctx.decode(value)?;
    Ok(ConfigMap {
        meta: meta(ctx, raw.metadata, true, false)?,
        data: raw.data.unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawWebhookConfiguration {
    metadata: Option<RawMeta>,
    webhooks: Option<Vec<RawWebhook>>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawWebhook {
    name: Option<String>,
    namespace_selector: Option<RawSelector>,
    object_selector: Option<RawSelector>,
    client_config: Option<RawClientConfig>,
    failure_policy: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawClientConfig {
    url: Option<String>,
    service: Option<RawService>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawService {
    namespace: Option<String>,
    name: Option<String>,
    path: Option<String>,
}

fn webhook_configuration(ctx: &Ctx, value: impl Source) -> Result<MutatingWebhookConfiguration> {
    let raw: RawWebhookConfiguration = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, false, false)?;
    let webhooks = raw
        .webhooks
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let at = format!("webhooks[{i}]");
            let client = w.client_config.unwrap_or_default();
            let service = client
                .service
                .map(|s| {
                    Ok(ServiceReference {
                        namespace: ctx.required(
                            s.namespace,
                            &format!("{at}.clientConfig.service.namespace"),
                        )?,
                        name: ctx.required(s.name, &format!("{at}.clientConfig.service.name"))?,
                        path: s.path,
                    })
                })
                .transpose()?;
            Ok(MutatingWebhook {
                name: ctx.required(w.name, &format!("{at}.name"))?,
                namespace_selector: w
                    .namespace_selector
                    .map(|s| selector(ctx, &format!("{at}.namespaceSelector"), s))
                    .transpose()?,
                object_selector: w
                    .object_selector
                    .map(|s| selector(ctx, &format!("{at}.objectSelector"), s))
                    .transpose()?,
                service,
                url: client.url,
                failure_policy: match w.failure_policy.as_deref() {
                    None | Some("Fail") => FailurePolicy::Fail,
                    Some("Ignore") => FailurePolicy::Ignore,
                    Some(other) => {
                        return Err(ctx.invalid(
                            format!("{at}.failurePolicy"),
                            format!("{other:?}: expected Fail or Ignore"),
                        ));
                    }
                },
            })
        })
        .collect::<Result<_>>()?;
    Ok(MutatingWebhookConfiguration { meta, webhooks })
}

// ------------------------------------------------------------------ Maistra

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawCr<S> {
    metadata: Option<RawMeta>,
    spec: Option<S>,
    status: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmcpSpec {
    version: Option<String>,
    mode: Option<String>,
    mesh_config: Option<RawSmcpMeshConfig>,
    proxy: Option<RawSmcpProxy>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmcpMeshConfig {
    discovery_selectors: Option<Vec<RawSelector>>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawSmcpProxy {
    injection: Option<RawSmcpInjection>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmcpInjection {
    auto_inject: Option<bool>,
}

fn control_plane(ctx: &Ctx, value: impl Source) -> Result<ServiceMeshControlPlane> {
    let raw: RawCr<RawSmcpSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = raw.spec.unwrap_or_default();
    let mode = match spec.mode.as_deref() {
        None | Some("") | Some("MultiTenant") => ControlPlaneMode::MultiTenant,
        Some("ClusterWide") => ControlPlaneMode::ClusterWide,
        Some(other) => {
            return Err(ctx.invalid(
                "spec.mode",
                format!("{other:?}: expected MultiTenant or ClusterWide"),
            ));
        }
    };
    Ok(ServiceMeshControlPlane {
        meta,
        version: spec.version,
        mode,
        discovery_selectors: selectors(
            ctx,
            "spec.meshConfig.discoverySelectors",
            spec.mesh_config.and_then(|m| m.discovery_selectors),
        )?,
        auto_inject: spec
            .proxy
            .and_then(|p| p.injection)
            .and_then(|i| i.auto_inject),
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmmrSpec {
    members: Option<Vec<String>>,
    member_selectors: Option<Vec<RawSelector>>,
}

fn member_roll(ctx: &Ctx, value: impl Source) -> Result<ServiceMeshMemberRoll> {
    let raw: RawCr<RawSmmrSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = raw.spec.unwrap_or_default();
    Ok(ServiceMeshMemberRoll {
        meta,
        members: spec.members.unwrap_or_default(),
        member_selectors: selectors(ctx, "spec.memberSelectors", spec.member_selectors)?,
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmmSpec {
    control_plane_ref: Option<RawNameNamespace>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawNameNamespace {
    name: Option<String>,
    namespace: Option<String>,
}

fn member(ctx: &Ctx, value: impl Source) -> Result<ServiceMeshMember> {
    let raw: RawCr<RawSmmSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = ctx.required(raw.spec, "spec")?;
    let cp = ctx.required(spec.control_plane_ref, "spec.controlPlaneRef")?;
    Ok(ServiceMeshMember {
        meta,
        control_plane_name: ctx.required(cp.name, "spec.controlPlaneRef.name")?,
        control_plane_namespace: ctx.required(cp.namespace, "spec.controlPlaneRef.namespace")?,
    })
}

// --------------------------------------------------------------------- Sail

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawIstioSpec {
    version: Option<String>,
    namespace: Option<String>,
    update_strategy: Option<RawUpdateStrategy>,
    values: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawUpdateStrategy {
    #[serde(rename = "type")]
    kind: Option<String>,
    inactive_revision_deletion_grace_period_seconds: Option<i64>,
}

/// `spec.namespace` of an Istio or IstioRevision: defaulted, then checked.
fn control_plane_namespace(ctx: &Ctx, ns: Option<String>) -> Result<String> {
    let ns = ns.unwrap_or_else(|| "istio-system".to_owned());
    labels::check_dns1123_label(&ns)
        .map_err(|e| ctx.invalid("spec.namespace", format!("{ns:?}: {e}")))?;
    Ok(ns)
}

fn status_str(status: &Option<Value>, key: &str) -> Option<String> {
    status.as_ref()?.get(key)?.as_str().map(str::to_owned)
}

fn istio(ctx: &Ctx, value: impl Source) -> Result<Istio> {
    let raw: RawCr<RawIstioSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, false, false)?;
    let spec = raw.spec.unwrap_or_default();
    let strategy = spec.update_strategy.unwrap_or_default();
    let update_strategy = match strategy.kind.as_deref() {
        None | Some("") | Some("InPlace") => UpdateStrategy::InPlace,
        Some("RevisionBased") => UpdateStrategy::RevisionBased,
        Some(other) => {
            return Err(ctx.invalid(
                "spec.updateStrategy.type",
                format!("{other:?}: expected InPlace or RevisionBased"),
            ));
        }
    };
    Ok(Istio {
        meta,
        version: spec.version,
        namespace: control_plane_namespace(ctx, spec.namespace)?,
        update_strategy,
        inactive_revision_deletion_grace_period_seconds: strategy
            .inactive_revision_deletion_grace_period_seconds
            .unwrap_or(30),
        values: spec.values.unwrap_or(Value::Null),
        active_revision_name: status_str(&raw.status, "activeRevisionName"),
    })
}

fn istio_revision(ctx: &Ctx, value: impl Source) -> Result<IstioRevision> {
    let raw: RawCr<RawIstioSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, false, false)?;
    let spec = raw.spec.unwrap_or_default();
    Ok(IstioRevision {
        meta,
        version: spec.version,
        namespace: control_plane_namespace(ctx, spec.namespace)?,
        values: spec.values.unwrap_or(Value::Null),
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawTagSpec {
    target_ref: Option<RawTargetRef>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawTargetRef {
    kind: Option<String>,
    name: Option<String>,
}

fn istio_revision_tag(ctx: &Ctx, value: impl Source) -> Result<IstioRevisionTag> {
    let raw: RawCr<RawTagSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, false, false)?;
    let spec = ctx.required(raw.spec, "spec")?;
    let target = ctx.required(spec.target_ref, "spec.targetRef")?;
    let kind = ctx.required(target.kind, "spec.targetRef.kind")?;
    let target_kind = match kind.as_str() {
        "Istio" => TagTargetKind::Istio,
        "IstioRevision" => TagTargetKind::IstioRevision,
        other => {
            return Err(ctx.invalid(
                "spec.targetRef.kind",
                format!("{other:?}: expected Istio or IstioRevision"),
            ));
        }
    };
    Ok(IstioRevisionTag {
        meta,
        target_kind,
        target_name: ctx.required(target.name, "spec.targetRef.name")?,
        status_revision: status_str(&raw.status, "istioRevision"),
    })
}

// -------------------------------------------------------------------- Kiali

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawKialiSpec {
    external_services: Option<RawExternalServices>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawExternalServices {
    prometheus: Option<RawService2>,
    tracing: Option<RawService2>,
    grafana: Option<RawService2>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawService2 {
    enabled: Option<bool>,
    url: Option<String>,
    internal_url: Option<String>,
    in_cluster_url: Option<String>,
    provider: Option<String>,
}

impl RawService2 {
    /// The URL Kiali reaches the service at from inside the cluster.
    fn in_cluster(&self) -> Option<String> {
        self.internal_url
            .clone()
            .or_else(|| self.in_cluster_url.clone())
    }
}

fn kiali(ctx: &Ctx, value: impl Source) -> Result<Kiali> {
    let raw: RawCr<RawKialiSpec> = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let ext = raw
        .spec
        .unwrap_or_default()
        .external_services
        .unwrap_or_default();
    let prometheus = ext.prometheus.unwrap_or_default();
    let tracing = ext.tracing.unwrap_or_default();
    let grafana = ext.grafana.unwrap_or_default();
    Ok(Kiali {
        meta,
        prometheus_url: prometheus.url.clone().or_else(|| prometheus.in_cluster()),
        tracing_enabled: tracing.enabled.unwrap_or(true),
        tracing_url: tracing.in_cluster(),
        tracing_provider: tracing.provider,
        grafana_enabled: grafana.enabled.unwrap_or(true),
        grafana_url: grafana.in_cluster(),
    })
}

// --------------------------------------------------------------- CronJobs

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawCronJob {
    metadata: Option<RawMeta>,
    spec: Option<RawCronJobSpec>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawCronJobSpec {
    job_template: Option<RawCronJobTemplate>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawCronJobTemplate {
    spec: Option<RawWorkloadSpec>,
}

/// A CronJob: a workload whose pod template is one level deeper, in
/// `spec.jobTemplate.spec.template` (what its next Job's pods look like).
fn cron_job(ctx: &Ctx, value: impl Source) -> Result<Workload> {
    let raw: RawCronJob = ctx.decode(value)?;
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = ctx.required(raw.spec, "spec")?;
    let job = ctx.required(spec.job_template, "spec.jobTemplate")?;
    let job_spec = ctx.required(job.spec, "spec.jobTemplate.spec")?;
    let template = ctx.required(job_spec.template, "spec.jobTemplate.spec.template")?;
    let tmeta = template.metadata.unwrap_or_default();
    let labels = tmeta.labels.unwrap_or_default();
    let field = "spec.jobTemplate.spec.template.metadata";
    check_labels(ctx, &format!("{field}.labels"), &labels, true)?;
    let annotations = tmeta.annotations.unwrap_or_default();
    check_labels(ctx, &format!("{field}.annotations"), &annotations, false)?;
    Ok(Workload {
        kind: WorkloadKind::CronJob,
        meta,
        replicas: None,
        template: PodTemplate {
            labels,
            annotations,
            host_network: template.spec.and_then(|s| s.host_network).unwrap_or(false),
        },
    })
}
