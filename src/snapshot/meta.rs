//! Object metadata: the part of every object the model reads.

use std::sync::Arc;

use serde::Serialize;

use super::shared;

use crate::labels::Labels;
use crate::snapshot::ObjectRef;

/// The slice of `metadata` meshrev keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// `metadata.uid`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// `metadata.resourceVersion`, when present: with the uid, it tells two copies
    /// of one version (read once) from two versions (refused, or the newer kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// `metadata.labels`.
    #[serde(default)]
    pub labels: Labels,
    /// `metadata.annotations` (without `kubectl.kubernetes.io/last-applied-configuration`,
    /// which can be large and says nothing about injection).
    #[serde(default)]
    pub annotations: Labels,
    /// `metadata.ownerReferences`, shared: the pods of one ReplicaSet (or Job,
    /// StatefulSet, ...) have the same ones, and a snapshot keeps one copy of
    /// each distinct list. Build one from a `Vec` with `.into()`.
    #[serde(
        default,
        skip_serializing_if = "<[_]>::is_empty",
        serialize_with = "shared::slice",
        deserialize_with = "shared::slice_de"
    )]
    pub owner_references: Arc<[OwnerReference]>,
    /// `metadata.creationTimestamp` as printed (RFC 3339, UTC): the Sail operator
    /// lets the older of two objects claiming one name win. Not kept for pods
    /// and workloads, whose age nothing reads (100,000 pods, 100,000 copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
}

impl ObjectMeta {
    /// Metadata for a cluster-scoped object.
    pub fn cluster(name: impl Into<String>) -> Self {
        ObjectMeta {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Metadata for a namespaced object.
    pub fn namespaced(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectMeta {
            name: name.into(),
            namespace: Some(namespace.into()),
            ..Default::default()
        }
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an annotation.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// The owner reference marked `controller: true`, if any.
    pub fn controller(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller)
    }

    /// This object's identity, given its kind.
    pub fn object_ref(&self, kind: &str) -> ObjectRef {
        ObjectRef::new(kind, self.namespace.as_deref(), self.name.clone())
    }
}

/// One `metadata.ownerReferences` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct OwnerReference {
    /// The owner's kind, e.g. `ReplicaSet`.
    pub kind: String,
    /// The owner's name (same namespace as the owned object).
    pub name: String,
    /// The owner's uid, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Whether this owner is the managing controller.
    pub controller: bool,
}
