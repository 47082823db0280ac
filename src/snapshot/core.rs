//! Core Kubernetes kinds: namespaces, pods, workloads, config maps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use crate::labels::{self, Labels};

/// A `v1/Namespace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Namespace {
    /// Its metadata; the labels are what injection webhooks select on.
    pub meta: ObjectMeta,
}

impl Namespace {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The labels a webhook `namespaceSelector` sees. The API server sets
    /// `kubernetes.io/metadata.name` on every namespace (Kubernetes 1.21+), so it
    /// is added here when the snapshot omits it.
    pub fn selector_labels(&self) -> Labels {
        let mut labels = self.meta.labels.clone();
        labels
            .entry(labels::METADATA_NAME.to_owned())
            .or_insert_with(|| self.meta.name.clone());
        labels
    }
}

/// A `v1/Pod`, slim: what injection and its record need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Pod {
    /// Labels, annotations (the injector's record) and owner references.
    pub meta: ObjectMeta,
    /// `spec.hostNetwork`: istiod never injects such a pod.
    pub host_network: bool,
    /// Names of `spec.containers`.
    pub containers: Vec<String>,
    /// Names of `spec.initContainers` (native sidecars put `istio-proxy` here).
    pub init_containers: Vec<String>,
    /// `status.phase`, e.g. `Running`, `Succeeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

impl Pod {
    /// The pod's namespace (always present for an ingested pod).
    pub fn namespace(&self) -> &str {
        self.meta.namespace.as_deref().unwrap_or_default()
    }

    /// Whether a container (or native-sidecar init container) named `istio-proxy` exists.
    pub fn has_proxy(&self) -> bool {
        self.containers
            .iter()
            .chain(&self.init_containers)
            .any(|c| c == labels::PROXY_CONTAINER)
    }
}

/// The kinds of workload that own pods through a pod template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// `apps/v1 Deployment` (owns pods through ReplicaSets).
    Deployment,
    /// `apps/v1 StatefulSet`.
    StatefulSet,
    /// `apps/v1 DaemonSet`.
    DaemonSet,
    /// `apps/v1 ReplicaSet`.
    ReplicaSet,
}

impl WorkloadKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
        }
    }

    /// The kind for a Kubernetes kind name.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            _ => return None,
        })
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Deployment, StatefulSet, DaemonSet or ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// Which kind.
    pub kind: WorkloadKind,
    /// Its metadata (a ReplicaSet's controller is its Deployment).
    pub meta: ObjectMeta,
    /// `spec.replicas` (absent for DaemonSets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// `spec.template`: what a new pod would look like.
    pub template: PodTemplate,
}

impl Workload {
    /// The workload's namespace (always present for an ingested workload).
    pub fn namespace(&self) -> &str {
        self.meta.namespace.as_deref().unwrap_or_default()
    }

    /// The workload's identity.
    pub fn id(&self) -> WorkloadId {
        WorkloadId {
            namespace: self.namespace().to_owned(),
            kind: self.kind,
            name: self.meta.name.clone(),
        }
    }
}

/// A workload's identity (a pod owner: Deployment, StatefulSet, DaemonSet,
/// ReplicaSet): what plans and edits name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkloadId {
    /// Its namespace.
    pub namespace: String,
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its name.
    pub name: String,
}

impl WorkloadId {
    /// A workload identity.
    pub fn new(namespace: impl Into<String>, kind: WorkloadKind, name: impl Into<String>) -> Self {
        WorkloadId {
            namespace: namespace.into(),
            kind,
            name: name.into(),
        }
    }

    /// The same identity as an [`ObjectRef`](crate::ObjectRef).
    pub fn object_ref(&self) -> crate::ObjectRef {
        crate::ObjectRef::new(self.kind.as_str(), Some(&self.namespace), self.name.clone())
    }
}

impl std::fmt::Display for WorkloadId {
    /// `Deployment mercury/web`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// The slice of `spec.template` that injection reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PodTemplate {
    /// `spec.template.metadata.labels`.
    pub labels: Labels,
    /// `spec.template.metadata.annotations`.
    pub annotations: Labels,
    /// `spec.template.spec.hostNetwork`.
    pub host_network: bool,
}

/// A `v1/ConfigMap` holding injector (`istio-sidecar-injector*`) or mesh
/// (`istio*`) configuration; other config maps are skipped at ingest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigMap {
    /// Its metadata.
    pub meta: ObjectMeta,
    /// `data`.
    pub data: BTreeMap<String, String>,
}

impl ConfigMap {
    /// Whether a config map of this name is one the model reads.
    pub fn is_mesh_config(name: &str) -> bool {
        name.starts_with("istio")
    }
}
