//! Snapshot: what `kubectl get ... -o yaml` (or `-o json`) printed, as typed,
//! validated objects, and nothing derived from them.
//!
//! A snapshot is read from text (multi-document YAML, a `kind: List`, JSON, or any
//! mix across documents) or built from `k8s-openapi` values a client returned.
//! Only the kinds and fields the mesh model needs are kept; every other kind is
//! skipped and counted, so a caller can see what was ignored.
//!
//! ```
//! use meshrev::Snapshot;
//!
//! let snapshot = Snapshot::from_yaml(r#"
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: mercury
//!   labels: {istio.io/rev: ossm3}
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata: {name: web, namespace: mercury}
//! "#)?;
//! assert_eq!(snapshot.namespace("mercury").unwrap().meta.labels["istio.io/rev"], "ossm3");
//! assert_eq!(snapshot.skipped()["Service (v1)"], 1);
//! # Ok::<(), meshrev::Error>(())
//! ```

mod builder;
mod core;
mod decode;
mod edit;
mod injection;
mod input;
#[cfg(feature = "k8s-openapi")]
mod k8s;
mod kiali;
mod maistra;
mod meta;
mod object_ref;
mod parse;
mod sail;
mod shared;
mod store;
mod target;
mod webhook;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

pub use self::builder::SnapshotBuilder;
pub use self::core::{
    ConfigMap, Namespace, Pod, PodTemplate, Restart, Workload, WorkloadId, WorkloadKind,
};
pub use self::edit::{Edit, EditError};
pub use self::injection::SidecarStatus;
pub use self::kiali::Kiali;
pub use self::maistra::{
    ControlPlaneMode, ServiceMeshControlPlane, ServiceMeshMember, ServiceMeshMemberRoll,
};
pub use self::meta::{ObjectMeta, OwnerReference};
pub use self::object_ref::ObjectRef;
pub use self::sail::{Istio, IstioRevision, IstioRevisionTag, TagTargetKind, UpdateStrategy};
use self::store::{PerNamespace, Shared};
pub use self::target::Target;
pub use self::webhook::{
    FailurePolicy, MutatingWebhook, MutatingWebhookConfiguration, ServiceReference,
};
use crate::error::Result;

/// Who controls a pod ([`Snapshot::controller_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodController<'a> {
    /// Its workload, in the snapshot.
    Workload(&'a Workload),
    /// The pod (or its ReplicaSet, ReplicationController or Job) names a
    /// controller that the snapshot lacks: the workload exists in the cluster but
    /// was not collected (or is of a kind meshrev does not read). Never a bare pod.
    Missing {
        /// The controller's kind, as the owner reference gives it.
        kind: String,
        /// The controller's name (in the pod's namespace).
        name: String,
    },
    /// No controller: a bare pod, not recreated if deleted.
    Bare,
}

/// [`PodController`], borrowed from the snapshot (`'s`) and the pod (`'m`):
/// crate-internal, for status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ControllerRef<'s, 'm> {
    Workload(&'s Workload),
    Missing { kind: &'m str, name: &'m str },
    Bare,
}

/// `(namespace, name)`: the key of a namespaced object.
pub type NamespacedName = (String, String);

/// The cluster objects the mesh model reads, keyed and sorted by identity.
///
/// Cloning is cheap (a few reference counts): the maps are shared between clones
/// and copied on the first write, per namespace for pods and workloads, so a
/// planner can try an [`Edit`] on a copy of a large cluster without copying it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub(crate) namespaces: Shared<String, Arc<Namespace>>,
    /// Each pod behind its own `Arc`: the first edit of a namespace's pods
    /// (a rollout) copies pointers, not pods.
    pub(crate) pods: PerNamespace<String, Arc<Pod>>,
    pub(crate) workloads: PerNamespace<(WorkloadKind, String), Arc<Workload>>,
    pub(crate) config_maps: Shared<NamespacedName, ConfigMap>,
    pub(crate) webhook_configurations: Shared<String, MutatingWebhookConfiguration>,
    pub(crate) control_planes: Shared<NamespacedName, ServiceMeshControlPlane>,
    pub(crate) member_rolls: Shared<NamespacedName, ServiceMeshMemberRoll>,
    pub(crate) members: Shared<NamespacedName, ServiceMeshMember>,
    pub(crate) istios: Shared<String, Istio>,
    pub(crate) istio_revisions: Shared<String, IstioRevision>,
    pub(crate) istio_revision_tags: Shared<String, IstioRevisionTag>,
    pub(crate) kialis: Shared<NamespacedName, Kiali>,
    pub(crate) skipped: Shared<String, usize>,
}

impl Snapshot {
    /// Reads YAML or JSON text (detected from its first character).
    pub fn from_yaml(text: &str) -> Result<Snapshot> {
        let mut b = SnapshotBuilder::new();
        b.add_str("<input>", text)?;
        Ok(b.build())
    }

    /// Reads a file of YAML or JSON; errors name the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Snapshot> {
        let mut b = SnapshotBuilder::new();
        b.add_path(path)?;
        Ok(b.build())
    }

    /// Reads YAML or JSON from a reader; `source` names it in errors.
    pub fn from_reader(source: &str, reader: impl std::io::Read) -> Result<Snapshot> {
        let mut b = SnapshotBuilder::new();
        b.add_reader(source, reader)?;
        Ok(b.build())
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(name).map(|n| &**n)
    }

    /// All namespaces, by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.values().map(|n| &**n)
    }

    /// A pod by namespace and name.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Pod> {
        self.pods.get(namespace)?.get(name).map(|p| &**p)
    }

    /// All pods, by namespace then name.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        store::values(&self.pods).map(|p| &**p)
    }

    /// The pods of one namespace, by name.
    pub fn pods_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Pod> + 'a {
        store::values_in(&self.pods, namespace).map(|p| &**p)
    }

    /// A workload by namespace, kind and name.
    pub fn workload(&self, namespace: &str, kind: WorkloadKind, name: &str) -> Option<&Workload> {
        // Looked up by a borrowed key: status follows every pod to its workload.
        self.workloads
            .get(namespace)?
            .get(&(kind, name) as &dyn store::WorkloadKey)
            .map(|w| &**w)
    }

    /// All workloads (ReplicaSets included), by namespace, kind, name.
    pub fn workloads(&self) -> impl Iterator<Item = &Workload> {
        store::values(&self.workloads).map(|w| &**w)
    }

    /// The workloads of one namespace (ReplicaSets included), by kind then name.
    pub fn workloads_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Workload> + 'a {
        store::values_in(&self.workloads, namespace).map(|w| &**w)
    }

    /// Namespaces that hold pods or workloads, whether or not the snapshot has the
    /// namespace object itself, and every namespace object: by name.
    pub fn namespace_names(&self) -> BTreeSet<&str> {
        self.namespaces
            .keys()
            .chain(self.pods.keys())
            .chain(self.workloads.keys())
            .map(String::as_str)
            .collect()
    }

    /// A mesh config map (`istio*`) by namespace and name.
    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMap> {
        self.config_maps
            .get(&(namespace.to_owned(), name.to_owned()))
    }

    /// All mesh config maps.
    pub fn config_maps(&self) -> impl Iterator<Item = &ConfigMap> {
        self.config_maps.values()
    }

    /// All mutating webhook configurations, by name.
    pub fn webhook_configurations(&self) -> impl Iterator<Item = &MutatingWebhookConfiguration> {
        self.webhook_configurations.values()
    }

    /// A mutating webhook configuration by name.
    pub fn webhook_configuration(&self, name: &str) -> Option<&MutatingWebhookConfiguration> {
        self.webhook_configurations.get(name)
    }

    /// Maistra control planes (`ServiceMeshControlPlane`).
    pub fn control_planes(&self) -> impl Iterator<Item = &ServiceMeshControlPlane> {
        self.control_planes.values()
    }

    /// Maistra member rolls.
    pub fn member_rolls(&self) -> impl Iterator<Item = &ServiceMeshMemberRoll> {
        self.member_rolls.values()
    }

    /// Maistra members.
    pub fn members(&self) -> impl Iterator<Item = &ServiceMeshMember> {
        self.members.values()
    }

    /// Sail `Istio` objects.
    pub fn istios(&self) -> impl Iterator<Item = &Istio> {
        self.istios.values()
    }

    /// Sail `IstioRevision` objects.
    pub fn istio_revisions(&self) -> impl Iterator<Item = &IstioRevision> {
        self.istio_revisions.values()
    }

    /// Sail `IstioRevisionTag` objects.
    pub fn istio_revision_tags(&self) -> impl Iterator<Item = &IstioRevisionTag> {
        self.istio_revision_tags.values()
    }

    /// `Kiali` objects.
    pub fn kialis(&self) -> impl Iterator<Item = &Kiali> {
        self.kialis.values()
    }

    /// Kinds that were read but not kept, as `Kind (apiVersion)` -> count.
    /// Config maps other than `istio*` count here as `ConfigMap (v1)`.
    pub fn skipped(&self) -> &BTreeMap<String, usize> {
        &self.skipped
    }

    /// Namespaces that pods or workloads live in but that the snapshot lacks
    /// (allowed: a `kubectl get pods -A` without namespaces is still useful).
    pub fn absent_namespaces(&self) -> BTreeSet<&str> {
        self.pods
            .keys()
            .chain(self.workloads.keys())
            .map(String::as_str)
            .filter(|ns| !self.namespaces.contains_key(*ns))
            .collect()
    }

    /// The workload that controls a pod, following pod -> ReplicaSet -> Deployment
    /// (and ReplicationController -> DeploymentConfig, Job -> CronJob). `None` for
    /// a bare pod, and for a pod whose controller is missing from the snapshot
    /// ([`Snapshot::controller_of`] tells the two apart).
    pub fn owner_of(&self, pod: &Pod) -> Option<&Workload> {
        match self.controller_of(pod) {
            PodController::Workload(w) => Some(w),
            _ => None,
        }
    }

    /// The pods of a namespace whose owner ([`Snapshot::owner_of`]) is the
    /// workload `kind`/`name` of that namespace, live or not, by name; none when
    /// the snapshot lacks the workload.
    ///
    /// The same answer as filtering [`Snapshot::pods_in`] by `owner_of`, at a
    /// fraction of the cost: the controllers that lead to the workload (itself,
    /// and the ReplicaSets, ReplicationControllers or Jobs it controls) are found
    /// once among the namespace's workloads, and each pod is then matched by its
    /// controller reference alone, with no lookup a pod. The planner reads a
    /// workload's pods before and after every restart.
    ///
    /// ```
    /// use meshrev::Snapshot;
    /// use meshrev::snapshot::WorkloadKind;
    ///
    /// let s = Snapshot::from_path("fixtures/ossm-2.6-to-3.0/01-before.yaml")?;
    /// for w in s.workloads().filter(|w| s.is_pod_owner(w)) {
    ///     let fast: Vec<&str> = s
    ///         .pods_owned_by(w.namespace(), w.kind, &w.meta.name)
    ///         .map(|p| p.meta.name.as_str())
    ///         .collect();
    ///     let slow: Vec<&str> = s
    ///         .pods_in(w.namespace())
    ///         .filter(|p| s.owner_of(p).is_some_and(|o| o.kind == w.kind && o.meta.name == w.meta.name))
    ///         .map(|p| p.meta.name.as_str())
    ///         .collect();
    ///     assert_eq!(fast, slow);
    /// }
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn pods_owned_by<'a>(
        &'a self,
        namespace: &str,
        kind: WorkloadKind,
        name: &str,
    ) -> impl Iterator<Item = &'a Pod> + 'a {
        // The direct controllers whose chain ends at the workload, as
        // `controller_ref` follows it: the workload itself unless it names a
        // parent of its parent kind (then its pods belong to that parent, or to
        // a missing controller), and each workload of the child kind whose
        // controller is this workload.
        let mut heads: Vec<(&'a str, &'a str)> = Vec::new();
        let shard = self.workloads.get(namespace);
        if let Some(shard) = shard
            && let Some(w) = shard.get(&(kind, name) as &dyn store::WorkloadKey)
        {
            let redirected = matches!(
                (w.kind.parent(), w.meta.controller()),
                (Some(parent), Some(p)) if p.kind == parent.as_str()
            );
            if !redirected {
                heads.push((w.kind.as_str(), w.meta.name.as_str()));
            }
            for child in shard.values() {
                if child.kind.parent() == Some(kind)
                    && child
                        .meta
                        .controller()
                        .is_some_and(|p| p.kind == kind.as_str() && p.name == name)
                {
                    heads.push((child.kind.as_str(), child.meta.name.as_str()));
                }
            }
        }
        let pods = if heads.is_empty() {
            None
        } else {
            self.pods.get(namespace)
        };
        pods.into_iter()
            .flat_map(|shard| shard.values())
            .map(|p| &**p)
            .filter(move |pod| {
                pod.meta
                    .controller()
                    .is_some_and(|o| heads.iter().any(|(k, n)| o.kind == *k && o.name == *n))
            })
    }

    /// Who controls a pod, as far as the snapshot tells: its workload (the top
    /// of the chain: a Deployment rather than its ReplicaSet), a controller the
    /// pod's `ownerReferences` name but the snapshot lacks, or nobody (a bare pod).
    ///
    /// ```
    /// use meshrev::Snapshot;
    /// use meshrev::snapshot::PodController;
    ///
    /// let s = Snapshot::from_yaml(r#"
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: redis-0
    ///   namespace: cache
    ///   ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: redis, controller: true}]
    /// spec: {containers: [{name: redis}]}
    /// "#)?;
    /// let pod = s.pod("cache", "redis-0").unwrap();
    /// assert_eq!(
    ///     s.controller_of(pod),
    ///     PodController::Missing { kind: "StatefulSet".into(), name: "redis".into() }
    /// );
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn controller_of(&self, pod: &Pod) -> PodController<'_> {
        match self.controller_ref(pod) {
            ControllerRef::Workload(w) => PodController::Workload(w),
            ControllerRef::Missing { kind, name } => PodController::Missing {
                kind: kind.to_owned(),
                name: name.to_owned(),
            },
            ControllerRef::Bare => PodController::Bare,
        }
    }

    /// [`Snapshot::controller_of`] without allocating: a missing controller's
    /// kind and name are borrowed from the pod (or its ReplicaSet).
    pub(crate) fn controller_ref<'s: 'm, 'm>(&'s self, pod: &'m Pod) -> ControllerRef<'s, 'm> {
        let Some(owner) = pod.meta.controller() else {
            return ControllerRef::Bare;
        };
        let ns = pod.namespace();
        let Some(workload) = WorkloadKind::from_kind(&owner.kind)
            .and_then(|kind| self.workload(ns, kind, &owner.name))
        else {
            return ControllerRef::Missing {
                kind: &owner.kind,
                name: &owner.name,
            };
        };
        match (workload.kind.parent(), workload.meta.controller()) {
            (Some(parent), Some(p)) if p.kind == parent.as_str() => {
                match self.workload(ns, parent, &p.name) {
                    Some(top) => ControllerRef::Workload(top),
                    None => ControllerRef::Missing {
                        kind: parent.as_str(),
                        name: &p.name,
                    },
                }
            }
            _ => ControllerRef::Workload(workload),
        }
    }

    /// Whether a workload is the one that owns its pods as far as users see it:
    /// not a ReplicaSet under a Deployment (nor a ReplicationController under a
    /// DeploymentConfig, nor a Job under a CronJob). Under one that the snapshot
    /// lacks, its pods belong to that missing workload ([`PodController::Missing`]).
    pub fn is_pod_owner(&self, w: &Workload) -> bool {
        !w.kind.parent().is_some_and(|parent| {
            w.meta
                .controller()
                .is_some_and(|o| o.kind == parent.as_str())
        })
    }

    /// Object counts per kind, for a summary (`inspect`).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        let mut put = |k: &'static str, n: usize| {
            if n > 0 {
                *counts.entry(k).or_insert(0) += n;
            }
        };
        put("Namespace", self.namespaces.len());
        put("Pod", self.pods().count());
        for w in self.workloads() {
            put(w.kind.as_str(), 1);
        }
        put("ConfigMap", self.config_maps.len());
        put(
            "MutatingWebhookConfiguration",
            self.webhook_configurations.len(),
        );
        put("ServiceMeshControlPlane", self.control_planes.len());
        put("ServiceMeshMemberRoll", self.member_rolls.len());
        put("ServiceMeshMember", self.members.len());
        put("Istio", self.istios.len());
        put("IstioRevision", self.istio_revisions.len());
        put("IstioRevisionTag", self.istio_revision_tags.len());
        put("Kiali", self.kialis.len());
        counts
    }
}
