//! Revisions, tags and the injector configuration of each revision.

use serde::{Deserialize, Serialize};

use crate::labels::LabelSelector;
use crate::snapshot::ControlPlaneMode;
use crate::snapshot::ObjectRef;

/// Which kind of installation a control plane comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Family {
    /// Upstream Istio installed by helm or istioctl (found through its webhooks,
    /// istiod Deployments and injector config maps).
    Istio,
    /// Sail operator / OpenShift Service Mesh 3 (`Istio`, `IstioRevision`).
    Sail,
    /// Maistra / OpenShift Service Mesh 2 (`ServiceMeshControlPlane`).
    Maistra,
}

/// istiod's injection policy (injector config `policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Policy {
    /// Inject unless the pod opts out (the upstream chart default).
    Enabled,
    /// Inject only pods that opt in (Maistra's default profile).
    Disabled,
    /// Any other value: istiod never injects (`inject.go` logs "Illegal value").
    Other(String),
}

impl Policy {
    /// The policy for a config value (`enabled`, `disabled`, anything else).
    pub fn parse(value: &str) -> Policy {
        match value {
            "enabled" => Policy::Enabled,
            "disabled" => Policy::Disabled,
            other => Policy::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Policy::Enabled => f.write_str("enabled"),
            Policy::Disabled => f.write_str("disabled"),
            Policy::Other(v) => write!(f, "{v:?}"),
        }
    }
}

/// What istiod of one revision applies after its webhook received a pod.
///
/// The selectors are [`LabelSelector`]s, each carrying its compiled form, so a
/// selector set here is the one resolution evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InjectorConfig {
    /// `policy`.
    pub policy: Policy,
    /// `neverInjectSelector`: the first match refuses a pod that did not opt in or out.
    pub never_inject: Vec<LabelSelector>,
    /// `alwaysInjectSelector`: then the first match injects such a pod.
    pub always_inject: Vec<LabelSelector>,
    /// `sidecarInjectorWebhook.enableNamespacesByDefault` (adds the `auto.` webhook
    /// to the default revision).
    pub enable_namespaces_by_default: bool,
    /// Where this came from: a config map, CR values, or the family's default.
    pub source: String,
    /// How this istiod reads `sidecar.istio.io/inject` values, by its version.
    #[serde(default)]
    pub values: InjectValues,
}

/// How an istiod reads a pod's `sidecar.istio.io/inject` value, which depends on
/// its version (istio `pkg/kube/inject/inject.go` `injectRequired`; the change is
/// commit 331d32e30a3, first released in 1.27.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InjectValues {
    /// Istio 1.26 and earlier, and every Maistra 2.x istiod (maistra/istio
    /// `maistra-2.6` `inject.go`): the value is lowercased; `y`, `yes`, `true`,
    /// `on` opt in, empty defers to the default, anything else opts out.
    Lenient {
        /// The version that decided (`1.26.3`, `Maistra v2.6`).
        istiod: String,
    },
    /// Istio 1.27 and later: only exact `true` and `false` count; any other value
    /// falls back to the default decision (istiod logs "Invalid value").
    Strict {
        /// The version that decided.
        istiod: String,
    },
    /// The version is unknown or unreadable: the newer (strict) rule is assumed.
    UnknownVersion {
        /// What the snapshot said, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
}

impl Default for InjectValues {
    fn default() -> Self {
        InjectValues::UnknownVersion { version: None }
    }
}

impl InjectValues {
    /// The rule of an istiod of this family and version (Maistra: always
    /// lenient, every 2.x release is based on Istio 1.20 or older).
    ///
    /// ```
    /// use meshrev::mesh::{Family, InjectValues};
    /// assert!(!InjectValues::for_revision(Family::Sail, Some("v1.26.3")).is_strict());
    /// assert!(InjectValues::for_revision(Family::Sail, Some("v1.27.0")).is_strict());
    /// assert!(InjectValues::for_revision(Family::Istio, None).is_strict());
    /// assert!(!InjectValues::for_revision(Family::Maistra, Some("v2.6")).is_strict());
    /// ```
    pub fn for_revision(family: Family, version: Option<&str>) -> InjectValues {
        if family == Family::Maistra {
            return InjectValues::Lenient {
                istiod: match version {
                    Some(v) => format!("Maistra {v}"),
                    None => "Maistra 2.x".to_owned(),
                },
            };
        }
        match version.and_then(super::Version::parse) {
            Some(v) if v.major == 1 && v.minor <= 26 => InjectValues::Lenient {
                istiod: v.to_string(),
            },
            Some(v) if v.major >= 1 => InjectValues::Strict {
                istiod: v.to_string(),
            },
            _ => InjectValues::UnknownVersion {
                version: version.map(str::to_owned),
            },
        }
    }

    /// Whether only exact `true`/`false` count.
    pub fn is_strict(&self) -> bool {
        !matches!(self, InjectValues::Lenient { .. })
    }

    /// What a value means to this istiod: `Some(true)` opts in, `Some(false)`
    /// opts out, `None` defers to the default (empty, or unaccepted when strict).
    pub fn read(&self, value: &str) -> Option<bool> {
        if self.is_strict() {
            match value {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }
        } else {
            match value.to_lowercase().as_str() {
                "y" | "yes" | "true" | "on" => Some(true),
                "" => None,
                _ => Some(false),
            }
        }
    }
}

impl std::fmt::Display for InjectValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InjectValues::Lenient { istiod } => write!(
                f,
                "istiod {istiod} lowercases the value: y, yes, true or on opt in, any other opts out"
            ),
            InjectValues::Strict { istiod } => write!(
                f,
                "istiod {istiod} (1.27 or later) accepts only exact \"true\" or \"false\"; any other value falls back to the default"
            ),
            InjectValues::UnknownVersion { version } => {
                match version {
                    Some(v) => write!(f, "istiod version {v:?} is not one meshrev reads")?,
                    None => f.write_str("the istiod version is not in the snapshot")?,
                }
                f.write_str(
                    ", so the 1.27+ rule is assumed: only exact \"true\" or \"false\" count, any other value falls back to the default",
                )
            }
        }
    }
}

impl InjectorConfig {
    /// A config with the given policy and no selectors.
    pub fn new(policy: Policy, source: impl Into<String>) -> Self {
        InjectorConfig {
            policy,
            never_inject: Vec::new(),
            always_inject: Vec::new(),
            enable_namespaces_by_default: false,
            source: source.into(),
            values: InjectValues::default(),
        }
    }

    /// Sets the selectors.
    pub fn with_selectors(mut self, never: Vec<LabelSelector>, always: Vec<LabelSelector>) -> Self {
        self.never_inject = never;
        self.always_inject = always;
        self
    }
}

/// Where a revision's webhooks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookSource {
    /// MutatingWebhookConfigurations in the snapshot.
    Cluster,
    /// None in the snapshot: built from the control plane's CRs by the chart rules.
    Synthesized,
    /// Neither: the revision injects nothing.
    None,
}

/// One control-plane revision: the unit that injects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The revision name (`default` for an empty helm revision). When helm
    /// installed one name in several namespaces, the first keeps it and each
    /// other installation is `<namespace>/<name>` (see [`Revision::label_value`]).
    pub name: String,
    /// The installation family.
    pub family: Family,
    /// The object that defines it (`ServiceMeshControlPlane`, `IstioRevision`,
    /// `Istio`, or for upstream the istiod `Deployment` or webhook configuration).
    pub control_plane: ObjectRef,
    /// The control-plane namespace.
    pub namespace: String,
    /// The version, when the snapshot says (`v2.6`, `v1.24.3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The istiod Deployment / Service name.
    pub istiod: String,
    /// istiod's injection rules.
    pub injector: InjectorConfig,
    /// `meshConfig.discoverySelectors`: the namespaces this istiod watches (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discovery_selectors: Vec<LabelSelector>,
    /// Where its webhooks come from.
    pub webhooks: WebhookSource,
    /// Maistra only: the control plane's mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ControlPlaneMode>,
    /// Sail only: whether it is its Istio's active revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl Revision {
    /// A discovered revision with nothing known beyond its identity and injector:
    /// no version, no discovery selectors, no webhooks yet (discovery fills them in).
    pub(crate) fn new(
        family: Family,
        name: impl Into<String>,
        control_plane: ObjectRef,
        namespace: impl Into<String>,
        istiod: impl Into<String>,
        injector: InjectorConfig,
    ) -> Self {
        Revision {
            name: name.into(),
            family,
            control_plane,
            namespace: namespace.into(),
            version: None,
            istiod: istiod.into(),
            injector,
            discovery_selectors: Vec::new(),
            webhooks: WebhookSource::None,
            mode: None,
            active: None,
        }
    }

    /// The `istio.io/rev` value that selects this revision: its name, without
    /// the `<namespace>/` that tells a second installation of one name apart
    /// (a label value cannot hold `/`).
    pub fn label_value(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// Whether the namespace labels fall inside the discovery selectors (any of
    /// them; no selectors means every namespace).
    pub fn discovers(&self, namespace_labels: &crate::labels::Labels) -> bool {
        self.discovery_selectors.is_empty()
            || self
                .discovery_selectors
                .iter()
                .any(|s| s.matches(namespace_labels))
    }
}

/// A revision tag: an alias namespaces can name in `istio.io/rev`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag name.
    pub name: String,
    /// The revision it leads to, when known.
    pub revision: Option<String>,
    /// The object that defines it (`IstioRevisionTag` or the tag's webhook configuration).
    pub source: ObjectRef,
}

/// How a webhook reaches its revision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tag")]
pub enum Via {
    /// The revision's own `rev.*` webhook (`istio.io/rev=<revision>`).
    Direct,
    /// A tag's `rev.*` webhook (`istio.io/rev=<tag>`).
    Tag(String),
    /// The default revision's `namespace.`, `object.` or `auto.` webhook
    /// (`istio-injection=enabled`, pod `sidecar.istio.io/inject=true`, or none).
    DefaultRevision,
    /// A Maistra control plane's webhook (`maistra.io/member-of`).
    Membership,
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Via::Direct => f.write_str("its own webhook"),
            Via::Tag(t) => write!(f, "tag {t}"),
            Via::DefaultRevision => f.write_str("the default revision's webhook"),
            Via::Membership => f.write_str("mesh membership"),
        }
    }
}
