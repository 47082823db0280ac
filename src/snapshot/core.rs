//! Core Kubernetes kinds: namespaces, pods, workloads, config maps.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::injection::SidecarStatus;
use super::meta::ObjectMeta;
use super::shared;
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
        // As `kubectl get` prints a namespace: shared, not copied.
        if labels.contains_key(labels::METADATA_NAME) {
            return labels;
        }
        labels
            .entry(labels::METADATA_NAME.to_owned())
            .or_insert_with(|| self.meta.name.clone());
        labels
    }
}

/// A `v1/Pod`, slim: what injection and its record need.
///
/// The container names, the phase and the proxy image (and the owner
/// references in [`ObjectMeta`]) are behind [`Arc`]s: the pods of one workload
/// have the same ones, and a snapshot keeps one copy of each distinct value
/// (a 10,000-pod snapshot kept 10,000 copies of `["web", "istio-proxy"]`).
/// They read as a slice or a `&str` (`pod.containers.iter()`,
/// `pod.phase.as_deref()`) and are built from a `Vec` or `String` with
/// `.into()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(from = "PodFields")]
pub struct Pod {
    /// Labels, annotations (the injector's `istio.io/rev`) and owner references.
    /// `sidecar.istio.io/status` is not among the annotations: it is read once
    /// into [`Pod::sidecar_status`].
    pub meta: ObjectMeta,
    /// `spec.hostNetwork`: istiod never injects such a pod.
    pub host_network: bool,
    /// Names of `spec.containers`.
    #[serde(serialize_with = "shared::slice")]
    pub containers: Arc<[String]>,
    /// Names of `spec.initContainers` (native sidecars put `istio-proxy` here).
    #[serde(serialize_with = "shared::slice")]
    pub init_containers: Arc<[String]>,
    /// `status.phase`, e.g. `Running`, `Succeeded`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "shared::opt_str"
    )]
    pub phase: Option<Arc<str>>,
    /// The injector's record (`sidecar.istio.io/status`), parsed when the pod was
    /// read; `None` when the pod has no such annotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sidecar_status: Option<SidecarStatus>,
    /// The image of its `istio-proxy` container (or native-sidecar init
    /// container): its tag is the proxy version the pod runs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "shared::opt_str"
    )]
    pub proxy_image: Option<Arc<str>>,
}

/// A pod as serde reads it: a `sidecar.istio.io/status` annotation (a pod written
/// by hand in an edit or a plan) becomes the record, as at ingest.
#[derive(serde::Deserialize)]
struct PodFields {
    meta: ObjectMeta,
    #[serde(default)]
    host_network: bool,
    #[serde(default, deserialize_with = "shared::slice_de")]
    containers: Arc<[String]>,
    #[serde(default, deserialize_with = "shared::slice_de")]
    init_containers: Arc<[String]>,
    #[serde(default, deserialize_with = "shared::opt_str_de")]
    phase: Option<Arc<str>>,
    #[serde(default)]
    sidecar_status: Option<SidecarStatus>,
    #[serde(default, deserialize_with = "shared::opt_str_de")]
    proxy_image: Option<Arc<str>>,
}

impl From<PodFields> for Pod {
    fn from(mut f: PodFields) -> Pod {
        let from_annotation = SidecarStatus::take(&mut f.meta.annotations);
        Pod {
            meta: f.meta,
            host_network: f.host_network,
            containers: f.containers,
            init_containers: f.init_containers,
            phase: f.phase,
            sidecar_status: f.sidecar_status.or(from_annotation),
            proxy_image: f.proxy_image,
        }
    }
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
            .chain(self.init_containers.iter())
            .any(|c| c == labels::PROXY_CONTAINER)
    }
}

/// The kinds of workload that own pods through a pod template.
///
/// Three of them usually sit under another: a Deployment's pods belong to its
/// ReplicaSets, a DeploymentConfig's (OpenShift) to its ReplicationControllers, a
/// CronJob's to its Jobs ([`WorkloadKind::parent`]).
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
    /// `apps.openshift.io/v1 DeploymentConfig` (OpenShift; owns pods through
    /// ReplicationControllers, one per deployment of it).
    DeploymentConfig,
    /// `v1 ReplicationController`.
    ReplicationController,
    /// `batch/v1 Job`: pods that run to completion.
    Job,
    /// `batch/v1 CronJob` (owns pods through Jobs; its template is
    /// `spec.jobTemplate.spec.template`).
    CronJob,
}

/// What "restart" means for a workload of some kind: how its pods get replaced,
/// so that the webhook injects the new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// `kubectl rollout restart` (Deployment, StatefulSet, DaemonSet): a rolling
    /// replacement from the current template.
    RolloutRestart,
    /// `oc rollout latest dc/NAME` (DeploymentConfig): a new deployment, that is a
    /// new ReplicationController, from the current template.
    RolloutLatest,
    /// A ReplicaSet or ReplicationController with no Deployment(Config) above it:
    /// delete its pods, it recreates them from its template.
    DeletePods,
    /// Job and CronJob pods run to completion and are not replaced: a running one
    /// keeps its sidecar (or lack of one); the next Job gets the current injector.
    NotRestartable,
}

impl WorkloadKind {
    /// Every kind.
    pub const ALL: [WorkloadKind; 8] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::DeploymentConfig,
        WorkloadKind::ReplicationController,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
    ];

    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::DeploymentConfig => "DeploymentConfig",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// The API group the kind is read from (`""` for the core group).
    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Deployment
            | WorkloadKind::StatefulSet
            | WorkloadKind::DaemonSet
            | WorkloadKind::ReplicaSet => "apps",
            WorkloadKind::DeploymentConfig => "apps.openshift.io",
            WorkloadKind::ReplicationController => "",
            WorkloadKind::Job | WorkloadKind::CronJob => "batch",
        }
    }

    /// The resource name `kubectl get` takes (`statefulsets`): what to add to the
    /// collection command when a snapshot lacks a kind.
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
            WorkloadKind::ReplicaSet => "replicasets",
            WorkloadKind::DeploymentConfig => "deploymentconfigs",
            WorkloadKind::ReplicationController => "replicationcontrollers",
            WorkloadKind::Job => "jobs",
            WorkloadKind::CronJob => "cronjobs",
        }
    }

    /// The kind for a Kubernetes kind name.
    pub fn from_kind(kind: &str) -> Option<Self> {
        WorkloadKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The kind for an API group and kind name (`apps`, `StatefulSet`).
    pub fn from_group_kind(group: &str, kind: &str) -> Option<Self> {
        WorkloadKind::from_kind(kind).filter(|k| k.group() == group)
    }

    /// The kind that usually controls this one: ReplicaSet -> Deployment,
    /// ReplicationController -> DeploymentConfig, Job -> CronJob.
    pub fn parent(self) -> Option<WorkloadKind> {
        match self {
            WorkloadKind::ReplicaSet => Some(WorkloadKind::Deployment),
            WorkloadKind::ReplicationController => Some(WorkloadKind::DeploymentConfig),
            WorkloadKind::Job => Some(WorkloadKind::CronJob),
            _ => None,
        }
    }

    /// How pods of a workload of this kind (the top of its chain) are replaced.
    pub fn restart(self) -> Restart {
        match self {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
                Restart::RolloutRestart
            }
            WorkloadKind::DeploymentConfig => Restart::RolloutLatest,
            WorkloadKind::ReplicaSet | WorkloadKind::ReplicationController => Restart::DeletePods,
            WorkloadKind::Job | WorkloadKind::CronJob => Restart::NotRestartable,
        }
    }

    /// The command that replaces the pods of workload `name` in `namespace`, or
    /// `None` when its pods are not restartable (Jobs, CronJobs).
    ///
    /// ```
    /// use meshrev::snapshot::WorkloadKind;
    ///
    /// assert_eq!(
    ///     WorkloadKind::DeploymentConfig.restart_command("ledger", "api").as_deref(),
    ///     Some("oc rollout latest dc/api -n ledger")
    /// );
    /// assert_eq!(WorkloadKind::Job.restart_command("ledger", "backup"), None);
    /// ```
    pub fn restart_command(self, namespace: &str, name: &str) -> Option<String> {
        Some(match self.restart() {
            Restart::RolloutRestart => format!(
                "kubectl rollout restart {}/{name} -n {namespace}",
                self.as_str().to_lowercase()
            ),
            Restart::RolloutLatest => format!("oc rollout latest dc/{name} -n {namespace}"),
            Restart::DeletePods => format!(
                "kubectl delete pods -n {namespace} -l <the selector of {} {name}>",
                self.as_str()
            ),
            Restart::NotRestartable => return None,
        })
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workload: anything of a [`WorkloadKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// Which kind.
    pub kind: WorkloadKind,
    /// Its metadata (a ReplicaSet's controller is its Deployment).
    pub meta: ObjectMeta,
    /// `spec.replicas` (absent for DaemonSets, Jobs and CronJobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// A DeploymentConfig's `status.latestVersion`: the number of its latest
    /// deployment (ReplicationController `<name>-<n>`), which the API server
    /// raises by one with each `instantiate` (`oc rollout latest`), so that an
    /// executor can tell whether a rollout it requested was made. `None` for
    /// other kinds, and when the snapshot does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<i64>,
    /// `spec.template` (a CronJob's `spec.jobTemplate.spec.template`): what a
    /// new pod would look like.
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
    /// `spec.template.spec.containers[].image` by container name (those that
    /// name an image): an istiod's image tag is its version. A string map like
    /// labels, and shared like them: the same images run in many namespaces.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub images: Labels,
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
