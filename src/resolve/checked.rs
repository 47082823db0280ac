//! Resolution of names a caller typed: a namespace or pod the snapshot does not
//! hold is an error that says so, never a confident "not injected".

use super::Resolution;
use crate::error::ObjectRef;
use crate::mesh::Mesh;

/// What [`Mesh::try_resolve_namespace`] and [`Mesh::try_resolve_pod`] could not
/// find in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object} is not in the snapshot{}", if *.holds_objects { " (only objects in it are: its labels are unknown)" } else { "" })]
pub struct NotInSnapshot {
    /// The missing object (a `Namespace`, or a `Pod`).
    pub object: ObjectRef,
    /// For a namespace: pods or workloads in it are in the snapshot, the
    /// Namespace object itself is not (a `kubectl get pods -A` without
    /// `namespaces`).
    pub holds_objects: bool,
}

impl Mesh {
    /// [`Mesh::resolve_namespace`] for a namespace the snapshot must hold: one it
    /// lacks is an error (its labels, which decide injection, are unknown; a typo
    /// would otherwise read as "not injected").
    ///
    /// ```
    /// use meshrev::{Mesh, Snapshot};
    ///
    /// let mesh = Mesh::new(Snapshot::from_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: mercury}\n")?);
    /// assert!(mesh.try_resolve_namespace("mercury").is_ok());
    /// let err = mesh.try_resolve_namespace("mercuri").unwrap_err();
    /// assert_eq!(err.to_string(), "Namespace mercuri is not in the snapshot");
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn try_resolve_namespace(&self, namespace: &str) -> Result<Resolution, NotInSnapshot> {
        let s = self.snapshot();
        if s.namespace(namespace).is_none() {
            return Err(NotInSnapshot {
                object: ObjectRef::new("Namespace", None, namespace),
                holds_objects: s.absent_namespaces().contains(namespace),
            });
        }
        Ok(self.resolve_namespace(namespace))
    }

    /// [`Mesh::resolve_pod`] by name: the pod, and its namespace, must be in the
    /// snapshot.
    pub fn try_resolve_pod(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Resolution, NotInSnapshot> {
        let s = self.snapshot();
        let pod = s.pod(namespace, name).ok_or_else(|| NotInSnapshot {
            object: ObjectRef::new("Pod", Some(namespace), name),
            holds_objects: false,
        })?;
        self.try_resolve_namespace(namespace)?;
        Ok(self.resolve_pod(pod))
    }
}
