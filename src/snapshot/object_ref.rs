//! Object identity: the kind, namespace and name every error, finding, edit and
//! plan step uses to name a Kubernetes object.

use std::fmt;

/// The identity of an object: kind, namespace (when namespaced) and name.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ObjectRef {
    /// The Kubernetes kind, e.g. `Pod`.
    pub kind: String,
    /// The namespace, for namespaced kinds.
    pub namespace: Option<String>,
    /// The name (may be empty while it is the missing field being reported).
    pub name: String,
}

impl ObjectRef {
    /// An object reference; pass `None` for cluster-scoped kinds.
    pub fn new(kind: impl Into<String>, namespace: Option<&str>, name: impl Into<String>) -> Self {
        ObjectRef {
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
        }
    }
}

impl ObjectRef {
    /// `Kind/namespace/name` (or `Kind/name`): the form used in JSON output.
    pub fn path(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

impl fmt::Display for ObjectRef {
    /// `Pod mercury/web-1`, `Namespace mercury`, `Pod <unnamed>` when the name is missing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        };
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, name),
            None => write!(f, "{} {}", self.kind, name),
        }
    }
}
