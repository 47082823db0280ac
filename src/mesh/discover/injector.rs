//! Injector rules and discovery selectors, read from the injector config map, the
//! mesh config map, or a CR's helm values.

use serde::Deserialize;
use serde_json::Value;

use super::warning::{MeshWarning, WarningKind};
use crate::labels::LabelSelector;
use crate::mesh::revision::{InjectorConfig, Policy};
use crate::snapshot::ObjectRef;
use crate::snapshot::Snapshot;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawInjectorConfig {
    policy: Option<String>,
    never_inject_selector: Option<Vec<LabelSelector>>,
    always_inject_selector: Option<Vec<LabelSelector>>,
}

/// The injector config map name of an upstream or Sail revision: the istio chart
/// renders `istio-sidecar-injector` for the empty helm revision (`default`).
pub(super) fn istio_injector_config_map(revision: &str) -> String {
    if revision == "default" {
        "istio-sidecar-injector".to_owned()
    } else {
        format!("istio-sidecar-injector-{revision}")
    }
}

/// The injector config map name of a Maistra control plane: the operator sets the
/// helm revision to the SMCP name, and the maistra chart
/// (`istiod-injector-configmap.yaml`) always suffixes it, `default` included.
pub(super) fn maistra_injector_config_map(revision: &str) -> String {
    format!("istio-sidecar-injector-{revision}")
}

/// An injector config map, parsed; `None` when absent or unreadable (then a warning).
pub(super) fn injector_from_config_map(
    s: &Snapshot,
    namespace: &str,
    name: &str,
    warnings: &mut Vec<MeshWarning>,
) -> Option<InjectorConfig> {
    let cm = s.config_map(namespace, name)?;
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
            warnings.push(MeshWarning::new(
                WarningKind::UnreadableInjectorConfig,
                cm.meta.object_ref("ConfigMap"),
                format!("cannot read injector config: {message}"),
            ));
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

/// A list of selectors under `pointer` in helm values; absent is empty, unreadable
/// is empty with a warning of `kind` naming `field`.
fn selectors_in_values(
    values: &Value,
    pointer: &str,
    field: &str,
    kind: WarningKind,
    object: &ObjectRef,
    warnings: &mut Vec<MeshWarning>,
) -> Vec<LabelSelector> {
    let Some(v) = values.pointer(pointer) else {
        return Vec::new();
    };
    match serde_json::from_value::<Vec<LabelSelector>>(v.clone()).map_err(|e| e.to_string()) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(MeshWarning::new(
                kind,
                object.clone(),
                format!("{field}: {e}"),
            ));
            Vec::new()
        }
    }
}

/// Injector rules from helm values (Sail CRs): `global.proxy.autoInject`,
/// `sidecarInjectorWebhook.{never,always}InjectSelector`, `enableNamespacesByDefault`.
pub(super) fn injector_from_values(
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
    let mut list = |key: &str| {
        selectors_in_values(
            values,
            &format!("/sidecarInjectorWebhook/{key}"),
            &format!("spec.values.sidecarInjectorWebhook.{key}"),
            WarningKind::InvalidInjectorSelectors,
            object,
            warnings,
        )
    };
    let never = list("neverInjectSelector");
    let always = list("alwaysInjectSelector");
    let mut config = InjectorConfig::new(policy, source).with_selectors(never, always);
    config.enable_namespaces_by_default = enable_namespaces_by_default(values);
    config
}

/// `meshConfig.discoverySelectors` from helm values (Sail CRs).
pub(super) fn discovery_selectors_from_values(
    values: &Value,
    object: &ObjectRef,
    warnings: &mut Vec<MeshWarning>,
) -> Vec<LabelSelector> {
    selectors_in_values(
        values,
        "/meshConfig/discoverySelectors",
        "spec.values.meshConfig.discoverySelectors",
        WarningKind::InvalidDiscoverySelectors,
        object,
        warnings,
    )
}

/// `discoverySelectors` from an upstream mesh config map `istio[-R]` key `mesh`.
pub(super) fn discovery_selectors_from_mesh_config(
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
            warnings.push(MeshWarning::new(
                WarningKind::InvalidDiscoverySelectors,
                cm.meta.object_ref("ConfigMap"),
                format!("data.mesh: {e}"),
            ));
            Vec::new()
        }
    }
}
