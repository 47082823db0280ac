//! From one parsed document (a `serde_json::Value`) to one typed, validated object.
//!
//! Each kind has a lenient serde shape (`Raw*`: every field optional, unknown fields
//! ignored) that is then checked field by field, so a missing or malformed field is
//! reported with its path instead of a generic serde message. Each `Raw*` type says
//! it expects "a mapping", so messages never name these internal types.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer};
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
use super::yaml::{MAX_SCALAR, duplicate_key};
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
pub(crate) enum Known {
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

pub(crate) fn known(api_version: &str, kind: &str) -> Option<Known> {
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

    fn required<T>(&self, value: Option<T>, field: &str) -> Result<T> {
        value.ok_or_else(|| self.missing(field))
    }
}

/// Where a kind's `Raw*` shape is read from on the tree path: a parsed tree,
/// read with the failing field's path (`spec.template.metadata.labels`).
trait Source {
    fn read(self, known: Known, ctx: &Ctx) -> Result<RawObject>;
}

impl Source for Value {
    fn read(self, known: Known, ctx: &Ctx) -> Result<RawObject> {
        let mut track = serde_path_to_error::Track::new();
        let de = serde_path_to_error::Deserializer::new(self, &mut track);
        RawSeed(known).deserialize(de).map_err(|e| {
            let path = track.path().to_string();
            ctx.invalid(path, e.to_string())
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
    let object = finish(&ctx, value.read(known, &ctx)?)?;
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
    #[serde(deserialize_with = "unique")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "kept_annotations")]
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
    let annotations = raw.annotations.unwrap_or_default();
    check_labels(ctx, "metadata.annotations", &annotations, false)?;
    let raw_owners = raw.owner_references.unwrap_or_default();
    // Exact size, as in `container_names`.
    let mut owner_references = Vec::with_capacity(raw_owners.len());
    for (i, o) in raw_owners.into_iter().enumerate() {
        owner_references.push(OwnerReference {
            kind: ctx.required(o.kind, &format!("metadata.ownerReferences[{i}].kind"))?,
            name: ctx.required(o.name, &format!("metadata.ownerReferences[{i}].name"))?,
            uid: o.uid,
            controller: o.controller.unwrap_or(false),
        });
    }
    Ok(ObjectMeta {
        name,
        namespace,
        uid: raw.uid,
        resource_version: raw.resource_version,
        labels: labels.into(),
        annotations: annotations.into(),
        owner_references: owner_references.into(),
        creation_timestamp: raw.creation_timestamp,
    })
}

// ------------------------------------------------------------ label selectors

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSelector {
    #[serde(deserialize_with = "unique")]
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
    LabelSelector::new(match_labels.into(), match_expressions).map_err(|e| ctx.invalid(field, e))
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

fn namespace(ctx: &Ctx, raw: RawNamespace) -> Result<Namespace> {
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
    image: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawPodStatus {
    phase: Option<String>,
}

fn container_names(ctx: &Ctx, field: &str, raw: Option<Vec<RawContainer>>) -> Result<Vec<String>> {
    let raw = raw.unwrap_or_default();
    // A fresh vector of the exact size: `collect` over `into_iter` would reuse
    // the raw containers' buffer (a few hundred bytes a pod, kept for good).
    let mut names = Vec::with_capacity(raw.len());
    for (i, c) in raw.into_iter().enumerate() {
        names.push(ctx.required(c.name, &format!("{field}[{i}].name"))?);
    }
    Ok(names)
}

/// The image of the container named `name` (containers first, then init containers).
fn image_of(name: &str, lists: [Option<&Vec<RawContainer>>; 2]) -> Option<String> {
    lists
        .into_iter()
        .flatten()
        .flatten()
        .find(|c| c.name.as_deref() == Some(name))
        .and_then(|c| c.image.clone())
        .filter(|i| !i.is_empty())
}

/// Container name -> image, for the containers that name one.
fn images(spec: Option<&RawPodSpec>) -> BTreeMap<String, String> {
    spec.and_then(|s| s.containers.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c.name.clone()?, c.image.clone().filter(|i| !i.is_empty())?)))
        .collect()
}

fn pod(ctx: &Ctx, raw: RawPod) -> Result<Pod> {
    let mut meta = meta(ctx, raw.metadata, true, false)?;
    // Read only to order Sail objects (see `ObjectMeta::creation_timestamp`).
    meta.creation_timestamp = None;
    // The injection record is parsed here, once (see `SidecarStatus`).
    let sidecar_status = SidecarStatus::take(&mut meta.annotations);
    let spec = ctx.required(raw.spec, "spec")?;
    let containers = ctx.required(spec.containers, "spec.containers")?;
    let proxy_image = image_of(
        labels::PROXY_CONTAINER,
        [Some(&containers), spec.init_containers.as_ref()],
    );
    Ok(Pod {
        meta,
        sidecar_status,
        proxy_image: proxy_image.map(Arc::from),
        host_network: spec.host_network.unwrap_or(false),
        containers: container_names(ctx, "spec.containers", Some(containers))?.into(),
        init_containers: container_names(ctx, "spec.initContainers", spec.init_containers)?.into(),
        phase: raw.status.and_then(|s| s.phase).map(Arc::from),
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawWorkload {
    metadata: Option<RawMeta>,
    spec: Option<RawWorkloadSpec>,
    status: Option<RawWorkloadStatus>,
}

/// The slice of a workload's `status` meshrev reads: a DeploymentConfig's
/// `latestVersion` (other kinds' status is ignored).
#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawWorkloadStatus {
    latest_version: Option<i64>,
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
    #[serde(deserialize_with = "unique")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "kept_annotations")]
    annotations: Option<BTreeMap<String, String>>,
}

fn workload(ctx: &Ctx, kind: WorkloadKind, raw: RawWorkload) -> Result<Workload> {
    let mut meta = meta(ctx, raw.metadata, true, false)?;
    meta.creation_timestamp = None;
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
    // What each `instantiate` raises (openshift-apiserver
    // `pkg/apps/apiserver/registry/instantiate/rest.go`); a count, never negative.
    let latest_version = match raw.status.and_then(|s| s.latest_version) {
        Some(v) if kind == WorkloadKind::DeploymentConfig => {
            if v < 0 {
                return Err(ctx.invalid(
                    "status.latestVersion",
                    format!("{v} is negative: it counts the DeploymentConfig's deployments"),
                ));
            }
            Some(v)
        }
        _ => None,
    };
    Ok(Workload {
        kind,
        meta,
        replicas: spec.replicas,
        latest_version,
        template: PodTemplate {
            labels: labels.into(),
            annotations: annotations.into(),
            images: images(template.spec.as_ref()).into(),
            host_network: template.spec.and_then(|s| s.host_network).unwrap_or(false),
        },
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default)]
struct RawConfigMap {
    metadata: Option<RawMeta>,
    #[serde(deserialize_with = "unique")]
    data: Option<BTreeMap<String, String>>,
}

fn config_map(ctx: &Ctx, raw: RawConfigMap) -> Result<ConfigMap> {
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

fn webhook_configuration(
    ctx: &Ctx,
    raw: RawWebhookConfiguration,
) -> Result<MutatingWebhookConfiguration> {
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
    tech_preview: Option<Value>,
    gateways: Option<Value>,
    addons: Option<Value>,
    tracing: Option<Value>,
    security: Option<Value>,
}

/// What the SMCP explicitly enables that the OSSM 2.6 -> 3.0 migration guide
/// requires disabled first (gateways, addons, tracing, network-policy
/// management): only `true` or a tracing type other than `None` count, since
/// an absent field's default depends on the SMCP profile, which is not read.
fn smcp_enabled_features(spec: &RawSmcpSpec) -> Vec<String> {
    let on = |v: &Option<Value>, pointer: &str| {
        v.as_ref().and_then(|v| v.pointer(pointer)) == Some(&Value::Bool(true))
    };
    let mut features = Vec::new();
    for (pointer, name) in [
        ("/enabled", "gateways"),
        ("/ingress/enabled", "gateways.ingress"),
        ("/egress/enabled", "gateways.egress"),
    ] {
        if on(&spec.gateways, pointer) {
            features.push(name.to_owned());
        }
    }
    for addon in ["prometheus", "grafana", "kiali", "jaeger"] {
        if on(&spec.addons, &format!("/{addon}/enabled")) {
            features.push(format!("addons.{addon}"));
        }
    }
    if let Some(kind) = spec
        .tracing
        .as_ref()
        .and_then(|t| t.pointer("/type"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && *t != "None")
    {
        features.push(format!("tracing ({kind})"));
    }
    if on(&spec.security, "/manageNetworkPolicy") {
        features.push("security.manageNetworkPolicy".to_owned());
    }
    features
}

/// The gateway and addon settings the migration needs off that the SMCP does
/// not state (as `spec.` paths), so its version's profile decides them: the
/// v2.6 `base` profile enables both gateways and the prometheus, grafana and
/// kiali addons (maistra/istio-operator `resources/smcp-templates/v2.6/base`).
/// `gateways.enabled: false` states both gateways.
fn smcp_unstated_features(spec: &RawSmcpSpec) -> Vec<String> {
    let stated = |v: &Option<Value>, pointer: &str| {
        v.as_ref()
            .and_then(|v| v.pointer(pointer))
            .is_some_and(Value::is_boolean)
    };
    let all_gateways_off =
        spec.gateways.as_ref().and_then(|g| g.pointer("/enabled")) == Some(&Value::Bool(false));
    let mut unstated = Vec::new();
    for gateway in ["ingress", "egress"] {
        if !all_gateways_off && !stated(&spec.gateways, &format!("/{gateway}/enabled")) {
            unstated.push(format!("spec.gateways.{gateway}.enabled"));
        }
    }
    for addon in ["prometheus", "grafana", "kiali"] {
        if !stated(&spec.addons, &format!("/{addon}/enabled")) {
            unstated.push(format!("spec.addons.{addon}.enabled"));
        }
    }
    unstated
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

fn control_plane(ctx: &Ctx, raw: RawCr<RawSmcpSpec>) -> Result<ServiceMeshControlPlane> {
    let meta = meta(ctx, raw.metadata, true, false)?;
    let spec = raw.spec.unwrap_or_default();
    let enabled_features = smcp_enabled_features(&spec);
    let unstated_features = smcp_unstated_features(&spec);
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
        inject_object_selector: match spec
            .tech_preview
            .as_ref()
            .and_then(|t| t.pointer("/sidecarInjectorWebhook/objectSelector/enabled"))
        {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(ctx.invalid(
                    "spec.techPreview.sidecarInjectorWebhook.objectSelector.enabled",
                    format!("{other}: expected true or false"),
                ));
            }
        },
        enabled_features,
        unstated_features,
    })
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
#[serde(default, rename_all = "camelCase")]
struct RawSmmrSpec {
    members: Option<Vec<String>>,
    member_selectors: Option<Vec<RawSelector>>,
}

fn member_roll(ctx: &Ctx, raw: RawCr<RawSmmrSpec>) -> Result<ServiceMeshMemberRoll> {
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

fn member(ctx: &Ctx, raw: RawCr<RawSmmSpec>) -> Result<ServiceMeshMember> {
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

fn istio(ctx: &Ctx, raw: RawCr<RawIstioSpec>) -> Result<Istio> {
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

fn istio_revision(ctx: &Ctx, raw: RawCr<RawIstioSpec>) -> Result<IstioRevision> {
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

fn istio_revision_tag(ctx: &Ctx, raw: RawCr<RawTagSpec>) -> Result<IstioRevisionTag> {
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

fn kiali(ctx: &Ctx, raw: RawCr<RawKialiSpec>) -> Result<Kiali> {
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

// ------------------------------------------------------------ raw objects

/// A known kind's `Raw*` shape, read before it is checked.
enum RawObject {
    Namespace(RawNamespace),
    Pod(RawPod),
    Workload(WorkloadKind, RawWorkload),
    CronJob(RawCronJob),
    ConfigMap(RawConfigMap),
    Webhook(RawWebhookConfiguration),
    ControlPlane(RawCr<RawSmcpSpec>),
    MemberRoll(RawCr<RawSmmrSpec>),
    Member(RawCr<RawSmmSpec>),
    Istio(RawCr<RawIstioSpec>),
    IstioRevision(RawCr<RawIstioSpec>),
    IstioRevisionTag(RawCr<RawTagSpec>),
    Kiali(RawCr<RawKialiSpec>),
}

impl RawObject {
    fn meta(&self) -> Option<&RawMeta> {
        match self {
            RawObject::Namespace(r) => r.metadata.as_ref(),
            RawObject::Pod(r) => r.metadata.as_ref(),
            RawObject::Workload(_, r) => r.metadata.as_ref(),
            RawObject::CronJob(r) => r.metadata.as_ref(),
            RawObject::ConfigMap(r) => r.metadata.as_ref(),
            RawObject::Webhook(r) => r.metadata.as_ref(),
            RawObject::ControlPlane(r) => r.metadata.as_ref(),
            RawObject::MemberRoll(r) => r.metadata.as_ref(),
            RawObject::Member(r) => r.metadata.as_ref(),
            RawObject::Istio(r) | RawObject::IstioRevision(r) => r.metadata.as_ref(),
            RawObject::IstioRevisionTag(r) => r.metadata.as_ref(),
            RawObject::Kiali(r) => r.metadata.as_ref(),
        }
    }
}

/// Reads the `Raw*` shape of a known kind.
struct RawSeed(Known);

impl<'de> DeserializeSeed<'de> for RawSeed {
    type Value = RawObject;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawObject, D::Error> {
        use serde::Deserialize as _;
        Ok(match self.0 {
            Known::Namespace => RawObject::Namespace(RawNamespace::deserialize(d)?),
            Known::Pod => RawObject::Pod(RawPod::deserialize(d)?),
            Known::Workload(WorkloadKind::CronJob) => {
                RawObject::CronJob(RawCronJob::deserialize(d)?)
            }
            Known::Workload(k) => RawObject::Workload(k, RawWorkload::deserialize(d)?),
            Known::ConfigMap => RawObject::ConfigMap(RawConfigMap::deserialize(d)?),
            Known::Webhook => RawObject::Webhook(RawWebhookConfiguration::deserialize(d)?),
            Known::ControlPlane => RawObject::ControlPlane(RawCr::deserialize(d)?),
            Known::MemberRoll => RawObject::MemberRoll(RawCr::deserialize(d)?),
            Known::Member => RawObject::Member(RawCr::deserialize(d)?),
            Known::Istio => RawObject::Istio(RawCr::deserialize(d)?),
            Known::IstioRevision => RawObject::IstioRevision(RawCr::deserialize(d)?),
            Known::IstioRevisionTag => RawObject::IstioRevisionTag(RawCr::deserialize(d)?),
            Known::Kiali => RawObject::Kiali(RawCr::deserialize(d)?),
        })
    }
}

/// Checks a raw object field by field into the model's object.
fn finish(ctx: &Ctx, raw: RawObject) -> Result<Object> {
    Ok(match raw {
        RawObject::Namespace(r) => Object::Namespace(namespace(ctx, r)?),
        RawObject::Pod(r) => Object::Pod(pod(ctx, r)?),
        RawObject::Workload(k, r) => Object::Workload(workload(ctx, k, r)?),
        RawObject::CronJob(r) => Object::Workload(cron_job(ctx, r)?),
        RawObject::ConfigMap(r) => Object::ConfigMap(config_map(ctx, r)?),
        RawObject::Webhook(r) => Object::Webhook(webhook_configuration(ctx, r)?),
        RawObject::ControlPlane(r) => Object::ControlPlane(control_plane(ctx, r)?),
        RawObject::MemberRoll(r) => Object::MemberRoll(member_roll(ctx, r)?),
        RawObject::Member(r) => Object::Member(member(ctx, r)?),
        RawObject::Istio(r) => Object::Istio(istio(ctx, r)?),
        RawObject::IstioRevision(r) => Object::IstioRevision(istio_revision(ctx, r)?),
        RawObject::IstioRevisionTag(r) => Object::IstioRevisionTag(istio_revision_tag(ctx, r)?),
        RawObject::Kiali(r) => Object::Kiali(kiali(ctx, r)?),
    })
}

/// A string-to-string map (labels, annotations, `data`) that refuses a key
/// given twice: serde's maps keep the last value silently, and for JSON this
/// is where a repeated label is caught (YAML refuses every repeated key).
fn unique<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, String>>, D::Error> {
    d.deserialize_option(StringMap { keep: |_| true })
}

/// `metadata.annotations` (of an object or a pod template), keeping only
/// [`labels::is_kept_annotation`] keys: the others are skipped as they are read,
/// without being copied. A kept key given twice is refused, as by [`unique`].
fn kept_annotations<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, String>>, D::Error> {
    d.deserialize_option(StringMap {
        // A key that is not a valid one is kept too, to be refused by
        // `check_labels` with the object and field named.
        keep: |key| labels::is_kept_annotation(key) || labels::check_label_key(key).is_err(),
    })
}

/// The visitor of [`unique`] and [`kept_annotations`]: the entries whose key
/// `keep` accepts; the others are skipped whatever their values hold.
struct StringMap {
    keep: fn(&str) -> bool,
}

/// A key, copied only when it is kept.
struct Key(fn(&str) -> bool);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Key {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> std::result::Result<Self::Value, E> {
        Ok((self.0)(key).then(|| key.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, key: String) -> std::result::Result<Self::Value, E> {
        Ok((self.0)(&key).then_some(key))
    }
}

impl<'de> serde::de::Visitor<'de> for StringMap {
    type Value = Option<BTreeMap<String, String>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map")
    }
    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key_seed(Key(self.keep))? {
            let Some(key) = key else {
                // Not read, so not checked either.
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            let value: String = map.next_value()?;
            if value.len() > MAX_SCALAR {
                return Err(serde::de::Error::custom(format!(
                    "a value of {} bytes; at most {MAX_SCALAR} are accepted \
                     (no Kubernetes object is that large)",
                    value.len()
                )));
            }
            match out.entry(key) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(value);
                }
                std::collections::btree_map::Entry::Occupied(e) => {
                    return Err(serde::de::Error::custom(duplicate_key(e.key())));
                }
            }
        }
        Ok(Some(out))
    }
}

// ---------------------------------------------------------------- streaming

/// Errors of the formats read by streaming: whether the text itself is
/// refused (syntax, a limit, a repeated key) or a value has the wrong type.
pub(crate) trait FormatError: serde::de::Error {
    fn is_syntax(&self) -> bool;
}

impl FormatError for serde_json::Error {
    fn is_syntax(&self) -> bool {
        !matches!(self.classify(), serde_json::error::Category::Data)
    }
}

impl FormatError for super::yaml::YamlError {
    fn is_syntax(&self) -> bool {
        self.syntax
    }
}

/// Where decoded objects go, with their location.
pub(crate) type Sink<'a> = dyn FnMut(Decoded, Location) -> Result<()> + 'a;

/// The state of reading one stream, document by document.
pub(crate) struct Reading<'a> {
    pub(crate) source: &'a str,
    pub(crate) document: usize,
    pub(crate) keep: Keep,
    pub(crate) sink: &'a mut Sink<'a>,
    /// The first error, when it is ours rather than the parser's; `explain`
    /// says the tree path can name the field path of this type error.
    pub(crate) failure: Option<(Error, bool)>,
    /// How many list items were handed over before the list's `kind` was read
    /// (`kubectl` prints keys in alphabetical order: `items` comes before
    /// `kind`). They are not held back: a 100,000-pod dump would be held whole.
    /// A document whose `kind` then turns out not to be a list's is refused.
    early: usize,
    /// Items without `kind` read before the list's `kind`: decoded at its end.
    kindless: Vec<(Value, Location)>,
    /// Whether the items being read belong to a list whose `kind` is unknown.
    pending_list: bool,
}

impl<'a> Reading<'a> {
    pub(crate) fn new(source: &'a str, keep: Keep, sink: &'a mut Sink<'a>) -> Self {
        Reading {
            source,
            document: 0,
            keep,
            sink,
            failure: None,
            early: 0,
            kindless: Vec::new(),
            pending_list: false,
        }
    }

    fn location(&self, item: Option<usize>) -> Location {
        Location {
            source: self.source.to_owned(),
            document: self.document,
            item,
        }
    }

    /// Records our error and returns the format's error that unwinds to the
    /// caller, which then reports ours.
    fn fail<E: serde::de::Error>(&mut self, error: Error, explain: bool) -> E {
        let message = error.to_string();
        self.failure.get_or_insert((error, explain));
        E::custom(message)
    }

    fn put<E: serde::de::Error>(&mut self, decoded: Decoded, location: Location) -> Result<(), E> {
        (self.sink)(decoded, location).map_err(|e| self.fail(e, false))
    }
}

/// Reads one document: an object, a list, or nothing (an empty document).
pub(crate) struct DocumentSeed<'r, 'a>(pub(crate) &'r mut Reading<'a>);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        self.0.early = 0;
        self.0.kindless.clear();
        d.deserialize_any(ObjectVisitor {
            reading: self.0,
            item: None,
            inferred: None,
        })
    }
}

/// One object: a document, or an item of a list (`item` is its 1-based
/// number, `inferred` the kind and apiVersion of a typed list's items).
struct ObjectVisitor<'r, 'a> {
    reading: &'r mut Reading<'a>,
    item: Option<usize>,
    inferred: Option<(&'r str, &'r str)>,
}

/// What a document's list is known to be while its keys are read.
enum ListState {
    /// `kind` not read yet.
    Unknown,
    /// A list of this kind, items typed as `(kind, apiVersion)` when it is a
    /// typed list (`PodList`).
    List(String, Option<(String, String)>),
}

impl ObjectVisitor<'_, '_> {
    fn not_an_object<E: serde::de::Error>(self, found: &str) -> E {
        let location = self.reading.location(self.item);
        self.reading.fail(
            Error::NotAnObject {
                location,
                message: format!("expected a mapping with apiVersion and kind, found {found}"),
            },
            false,
        )
    }

    /// `kind` or `apiVersion`: a non-empty string, as [`decode`] checks it.
    fn header_field<E: serde::de::Error>(
        &mut self,
        name: &str,
        found: Option<Value>,
        inferred: Option<&str>,
    ) -> std::result::Result<String, E> {
        let location = self.reading.location(self.item);
        let message = match found {
            Some(Value::String(s)) if !s.is_empty() => return Ok(s),
            Some(other) if !other.is_null() => {
                format!("`{name}` must be a string, found {}", type_name(&other))
            }
            _ => match inferred.filter(|s| !s.is_empty()) {
                Some(s) => return Ok(s.to_owned()),
                None => format!("no `{name}`"),
            },
        };
        Err(self
            .reading
            .fail(Error::NotAnObject { location, message }, false))
    }
}

impl<'de> serde::de::Visitor<'de> for ObjectVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a mapping with apiVersion and kind")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        if self.item.is_none() {
            return Ok(()); // an empty document, e.g. a trailing `---`
        }
        Err(self.not_an_object("null"))
    }
    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        self.visit_unit()
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Err(self.not_an_object("a boolean"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Err(self.not_an_object("a number"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Err(self.not_an_object("a number"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Err(self.not_an_object("a number"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Err(self.not_an_object("a string"))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.not_an_object("a sequence"))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        let top = self.item.is_none();
        let mut kind: Option<Value> = None;
        let mut api_version: Option<Value> = None;
        let mut buffered: Vec<(String, Value)> = Vec::new();
        let mut list = ListState::Unknown;
        let mut seen: Vec<String> = Vec::new();
        // Header keys first: until `kind` and `apiVersion` are known (or the
        // item's inferred ones are about to be used), other values wait.
        let decided = loop {
            let header_known = kind.is_some() && api_version.is_some();
            if header_known {
                break true;
            }
            let Some(key) = map.next_key::<String>()? else {
                break false;
            };
            if seen.contains(&key) {
                return Err(serde::de::Error::custom(duplicate_key(&key)));
            }
            seen.push(key.clone());
            match key.as_str() {
                "kind" => kind = Some(map.next_value()?),
                "apiVersion" => api_version = Some(map.next_value()?),
                "items" if top => {
                    map.next_value_seed(ItemsSeed {
                        reading: &mut *self.reading,
                        list_kind: None,
                        inferred: None,
                    })?;
                }
                _ if self.inferred.is_some() && kind.is_none() && api_version.is_none() => {
                    // A typed list's item without its own kind: decide now.
                    buffered.push((key, map.next_value()?));
                    break true;
                }
                _ => buffered.push((key, map.next_value()?)),
            }
        };
        if !decided && kind.is_none() && self.inferred.is_none() && !top {
            // An item with no kind, in a list whose kind comes later.
            let value = Value::Object(buffered.into_iter().collect());
            let location = self.reading.location(self.item);
            self.reading.kindless.push((value, location));
            return Ok(());
        }
        let inferred = self.inferred;
        let kind = self.header_field("kind", kind, inferred.map(|i| i.0))?;
        let api_version = match api_version {
            // A list's apiVersion only types its items; absent, `v1`.
            _ if top && kind.ends_with("List") => match api_version {
                Some(Value::String(s)) => s,
                _ => "v1".to_owned(),
            },
            api_version => self.header_field("apiVersion", api_version, inferred.map(|i| i.1))?,
        };
        if top && kind.ends_with("List") {
            let item_kind = kind.strip_suffix("List").unwrap_or_default();
            let typed =
                (!item_kind.is_empty()).then(|| (item_kind.to_owned(), api_version.clone()));
            list = ListState::List(kind.clone(), typed);
        }
        if let ListState::List(list_kind, typed) = &list {
            let typed = typed.as_ref().map(|(k, a)| (k.as_str(), a.as_str()));
            // The rest of the list: items streamed, anything else skipped.
            if decided {
                while let Some(key) = map.next_key::<String>()? {
                    if seen.contains(&key) {
                        return Err(serde::de::Error::custom(duplicate_key(&key)));
                    }
                    seen.push(key.clone());
                    if key == "items" {
                        map.next_value_seed(ItemsSeed {
                            reading: &mut *self.reading,
                            list_kind: Some(list_kind),
                            inferred: typed,
                        })?;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
            // Items without a kind of their own, read before the list's.
            let kindless = std::mem::take(&mut self.reading.kindless);
            for (mut value, location) in kindless {
                if let (Value::Object(m), Some((k, a))) = (&mut value, typed) {
                    m.entry("kind").or_insert_with(|| k.into());
                    m.entry("apiVersion").or_insert_with(|| a.into());
                }
                let decoded = decode(value, &location, self.reading.keep)
                    .map_err(|e| self.reading.fail(e, false))?;
                self.reading.put(decoded, location)?;
            }
            return Ok(());
        }
        // One object. Items read before a `kind` that is not a list's were
        // not items after all.
        if top {
            self.reading.kindless.clear();
        }
        let location = self.reading.location(self.item);
        if top && self.reading.early > 0 {
            let error = Error::NotAnObject {
                location,
                message: format!(
                    "`items` hold Kubernetes objects, but the document's kind is {kind:?}, \
                     not a list's (`List`, `PodList`, ...)"
                ),
            };
            return Err(self.reading.fail(error, false));
        }
        let Some(known) = known(&api_version, &kind) else {
            if decided {
                while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            let skipped = Decoded::Skipped(format!("{kind} ({api_version})"));
            return self.emit(skipped, location);
        };
        let mut field = String::new();
        let resume = Resume {
            buffered: buffered.into_iter(),
            value: None,
            map: decided.then_some(map),
            key: &mut field,
            seen,
        };
        let rest = serde::de::value::MapAccessDeserializer::new(resume);
        if let (Known::ConfigMap, Keep::MeshObjects) = (known, self.reading.keep) {
            // Whether a config map is kept depends on its name, and one that is
            // not kept is not checked at all: read it as a tree first (config
            // maps are few and small).
            let mut value = match Value::deserialize(rest) {
                Ok(value) => value,
                Err(e) => {
                    let message = strip_position(&e.to_string());
                    let error = Error::InvalidField {
                        location,
                        object: ObjectRef::new(kind, None, ""),
                        field,
                        message,
                    };
                    self.reading.failure.get_or_insert((error, true));
                    return Err(e);
                }
            };
            if let Value::Object(m) = &mut value {
                m.insert("kind".into(), kind.into());
                m.insert("apiVersion".into(), api_version.into());
            }
            let decoded = decode(value, &location, self.reading.keep)
                .map_err(|e| self.reading.fail(e, false))?;
            return self.emit(decoded, location);
        }
        let raw = match RawSeed(known).deserialize(rest) {
            Ok(raw) => raw,
            Err(e) => {
                // A type error (to explain), unless the caller finds the
                // format's error is about the text itself.
                let error = Error::InvalidField {
                    location,
                    object: ObjectRef::new(kind, None, ""),
                    field,
                    message: strip_position(&e.to_string()),
                };
                self.reading.failure.get_or_insert((error, true));
                return Err(e);
            }
        };
        let meta = raw.meta();
        let name = meta.and_then(|m| m.name.as_deref());
        let namespace = meta
            .and_then(|m| m.namespace.as_deref())
            .filter(|_| known.namespaced());
        let ctx = Ctx {
            location: &location,
            object: ObjectRef::new(kind.as_str(), namespace, name.unwrap_or_default()),
        };
        if let (Known::ConfigMap, Keep::MeshObjects) = (known, self.reading.keep)
            && !ConfigMap::is_mesh_config(&ctx.object.name)
        {
            let skipped = Decoded::Skipped(format!("{kind} ({api_version})"));
            return self.emit(skipped, location);
        }
        let object = finish(&ctx, raw).map_err(|e| self.reading.fail(e, false))?;
        let decoded = Decoded::Object(Box::new(object), ctx.object);
        self.emit(decoded, location)
    }
}

impl ObjectVisitor<'_, '_> {
    /// Hands over a decoded document or item.
    fn emit<E: serde::de::Error>(
        self,
        decoded: Decoded,
        location: Location,
    ) -> std::result::Result<(), E> {
        if self.item.is_some() && self.reading.pending_list {
            self.reading.early += 1;
        }
        self.reading.put(decoded, location)
    }
}

/// A list's `items`, each read as an object as it comes.
struct ItemsSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
    /// `None` while the list's `kind` is not known.
    list_kind: Option<&'r str>,
    inferred: Option<(&'r str, &'r str)>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Ok(()) // `items: null`
    }
    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Err(self.not_a_sequence("a boolean"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Err(self.not_a_sequence("a number"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Err(self.not_a_sequence("a number"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Err(self.not_a_sequence("a number"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Err(self.not_a_sequence("a string"))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.not_a_sequence("a mapping"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        let pending_before = self.reading.pending_list;
        self.reading.pending_list = self.list_kind.is_none();
        let mut i = 0;
        loop {
            i += 1;
            let seed = ItemSeed {
                reading: &mut *self.reading,
                item: i,
                inferred: self.inferred,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
        }
        self.reading.pending_list = pending_before;
        Ok(())
    }
}

impl ItemsSeed<'_, '_> {
    fn not_a_sequence<E: serde::de::Error>(self, found: &str) -> E {
        let location = self.reading.location(None);
        let list = self.list_kind.unwrap_or("list");
        self.reading.fail(
            Error::NotAnObject {
                location,
                message: format!("`items` of a {list} must be a sequence, found {found}"),
            },
            false,
        )
    }
}

/// One list item.
struct ItemSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
    item: usize,
    inferred: Option<(&'r str, &'r str)>,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(ObjectVisitor {
            reading: self.reading,
            item: Some(self.item),
            inferred: self.inferred,
        })
    }
}

/// The rest of an object's mapping for its `Raw*` shape: first the values
/// read before its `kind`, then the live mapping. Records the top-level key
/// being read, to name it in a type error.
struct Resume<'k, A> {
    buffered: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
    map: Option<A>,
    key: &'k mut String,
    /// Top-level keys so far (a repeated one is refused, also in JSON).
    seen: Vec<String>,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for Resume<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, A::Error> {
        use serde::de::IntoDeserializer;
        if let Some((key, value)) = self.buffered.next() {
            self.key.clone_from(&key);
            self.value = Some(value);
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
        match &mut self.map {
            Some(map) => map.next_key_seed(KeyCapture {
                seed,
                key: &mut *self.key,
                seen: &mut self.seen,
            }),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, A::Error> {
        if let Some(value) = self.value.take() {
            return seed
                .deserialize(value)
                .map_err(<A::Error as serde::de::Error>::custom);
        }
        match &mut self.map {
            Some(map) => map.next_value_seed(seed),
            None => Err(serde::de::Error::custom("no value")),
        }
    }
}

/// A key seed that also keeps the key's text.
struct KeyCapture<'k, K> {
    seed: K,
    key: &'k mut String,
    seen: &'k mut Vec<String>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeyCapture<'_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<K::Value, D::Error> {
        use serde::de::IntoDeserializer;
        let key = String::deserialize(d)?;
        if self.seen.contains(&key) {
            return Err(serde::de::Error::custom(duplicate_key(&key)));
        }
        self.seen.push(key.clone());
        self.key.clone_from(&key);
        self.seed.deserialize(key.into_deserializer())
    }
}

/// Parser messages end with their own "at line X column Y"; errors print the
/// position once, in a fixed place (and a field's message reads the same
/// from YAML and from JSON).
pub(crate) fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
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
fn cron_job(ctx: &Ctx, raw: RawCronJob) -> Result<Workload> {
    let mut meta = meta(ctx, raw.metadata, true, false)?;
    meta.creation_timestamp = None;
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
        latest_version: None,
        template: PodTemplate {
            labels: labels.into(),
            annotations: annotations.into(),
            images: images(template.spec.as_ref()).into(),
            host_network: template.spec.and_then(|s| s.host_network).unwrap_or(false),
        },
    })
}
