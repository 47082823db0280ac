//! Pre- and postconditions of steps: statements about the cluster that can be
//! evaluated on any [`Mesh`], the planner's simulated one or one built from what
//! an executor observed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::labels;
use crate::mesh::{Family, Mesh};
use crate::snapshot::ObjectRef;
use crate::snapshot::{Snapshot, WorkloadId, WorkloadKind};
use crate::status::{OutdatedProxy, RunningRef, is_live, running_name, running_ref};

/// One statement about the cluster that must hold before or after a step.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// The namespace's labels: each key has this value, or is absent (`null`).
    /// Keys not listed are not looked at.
    NamespaceLabels {
        /// The namespace.
        namespace: String,
        /// Key -> expected value (`None`: the key is absent).
        labels: BTreeMap<String, Option<String>>,
    },
    /// The revision whose webhook receives a label-less pod created in the
    /// namespace (`None`: no injector).
    NamespaceInjector {
        /// The namespace.
        namespace: String,
        /// The expected revision.
        revision: Option<String>,
    },
    /// The workload's pod-template labels: each key has this value, or is absent.
    TemplateLabels {
        /// The workload.
        workload: WorkloadId,
        /// Key -> expected value (`None`: the key is absent).
        labels: BTreeMap<String, Option<String>>,
    },
    /// The revision a pod created now from the workload's template would get,
    /// istiod's policy applied (`None`: no sidecar).
    WorkloadInjector {
        /// The workload.
        workload: WorkloadId,
        /// The expected revision.
        revision: Option<String>,
    },
    /// Every live pod of the workload runs this revision's sidecar (`None`: no
    /// sidecar). What `kubectl rollout status` plus a look at the pods' `istio.io/rev`
    /// annotations tells.
    WorkloadRunning {
        /// The workload.
        workload: WorkloadId,
        /// The expected revision.
        revision: Option<String>,
    },
    /// No live pod of the workload that runs this revision's sidecar has a
    /// proxy older than the revision's version (as its `istio-proxy` image tag
    /// tells, [`OutdatedProxy`](crate::status::OutdatedProxy); an image without
    /// a readable version counts as current). What an InPlace upgrade's
    /// restart is for: the pods run the revision before it as after, only
    /// their proxy changes (sail-operator
    /// `docs/update-strategy/update-strategy.adoc`).
    ProxyCurrent {
        /// The workload.
        workload: WorkloadId,
        /// The revision whose version the proxies must have.
        revision: String,
    },
    /// The tag leads to this revision.
    TagTarget {
        /// The tag.
        tag: String,
        /// The expected revision (`None`: the tag resolves nowhere or is absent).
        revision: Option<String>,
    },
    /// The Sail `Istio`'s `spec.version`.
    IstioVersion {
        /// The Istio name.
        istio: String,
        /// The expected version.
        version: Option<String>,
    },
    /// The revision exists (its control plane is installed).
    RevisionExists {
        /// The revision.
        revision: String,
    },
    /// The object is in the cluster.
    ObjectPresent {
        /// The object.
        object: ObjectRef,
    },
    /// The object is not in the cluster.
    ObjectAbsent {
        /// The object.
        object: ObjectRef,
    },
    /// The revision injects no namespace (its own control-plane namespace aside)
    /// and no live pod runs its sidecar: it can be removed without breaking anyone.
    RevisionIdle {
        /// The revision.
        revision: String,
    },
}

/// A check that does not hold, with what was found instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{check}: found {found}")]
pub struct CheckFailure {
    /// The check.
    pub check: Check,
    /// What the cluster shows instead, as a short phrase.
    pub found: String,
}

fn or_none(r: Option<&str>) -> String {
    r.map_or_else(|| "none".to_owned(), str::to_owned)
}

impl Check {
    /// Evaluates the check on a mesh.
    pub fn evaluate(&self, mesh: &Mesh) -> Result<(), CheckFailure> {
        let fail = |found: String| {
            Err(CheckFailure {
                check: self.clone(),
                found,
            })
        };
        let snapshot = mesh.snapshot();
        match self {
            Check::NamespaceLabels { namespace, labels } => {
                let Some(ns) = snapshot.namespace(namespace) else {
                    return fail("no such namespace".to_owned());
                };
                let wrong: Vec<String> = labels
                    .iter()
                    .filter(|(k, v)| ns.meta.labels.get(*k) != v.as_ref())
                    .map(|(k, _)| match ns.meta.labels.get(k) {
                        Some(v) => format!("{k}={v}"),
                        None => format!("no {k}"),
                    })
                    .collect();
                if wrong.is_empty() {
                    Ok(())
                } else {
                    fail(wrong.join(", "))
                }
            }
            Check::TemplateLabels { workload, labels } => {
                let Some(w) = snapshot.workload(&workload.namespace, workload.kind, &workload.name)
                else {
                    return fail("no such workload".to_owned());
                };
                let wrong: Vec<String> = labels
                    .iter()
                    .filter(|(k, v)| w.template.labels.get(*k) != v.as_ref())
                    .map(|(k, _)| match w.template.labels.get(k) {
                        Some(v) => format!("{k}={v}"),
                        None => format!("no {k}"),
                    })
                    .collect();
                if wrong.is_empty() {
                    Ok(())
                } else {
                    fail(wrong.join(", "))
                }
            }
            Check::NamespaceInjector {
                namespace,
                revision,
            } => {
                let found = mesh.resolve_namespace(namespace);
                if found.revision() == revision.as_deref() {
                    Ok(())
                } else {
                    fail(found.to_string())
                }
            }
            Check::WorkloadInjector { workload, revision } => {
                let Some(w) = snapshot.workload(&workload.namespace, workload.kind, &workload.name)
                else {
                    return fail("no such workload".to_owned());
                };
                let found = mesh.resolve_workload(w);
                if found.revision() == revision.as_deref() {
                    Ok(())
                } else {
                    fail(found.to_string())
                }
            }
            Check::WorkloadRunning { workload, revision } => {
                let wrong: Vec<String> = pods_of(snapshot, workload)
                    .filter_map(|pod| {
                        let running = running_ref(pod);
                        let ok = match (running, revision) {
                            (RunningRef::Revision(r), Some(want)) => r == want,
                            (RunningRef::None, None) => true,
                            _ => false,
                        };
                        (!ok).then(|| {
                            let runs = match running {
                                RunningRef::Revision(r) => r,
                                RunningRef::None => "none",
                                RunningRef::Unknown => "an unrecorded sidecar",
                            };
                            format!("pod {} runs {runs}", pod.meta.name)
                        })
                    })
                    .collect();
                if wrong.is_empty() {
                    Ok(())
                } else {
                    fail(wrong.join(", "))
                }
            }
            Check::ProxyCurrent { workload, revision } => {
                let old: Vec<String> = pods_of(snapshot, workload)
                    .filter(|pod| running_ref(pod) == RunningRef::Revision(revision))
                    .filter_map(|pod| {
                        OutdatedProxy::of(mesh, pod, revision).map(|o| {
                            format!(
                                "pod {} runs proxy {}, not {}",
                                pod.meta.name, o.proxy, o.revision
                            )
                        })
                    })
                    .collect();
                if old.is_empty() {
                    Ok(())
                } else {
                    fail(old.join(", "))
                }
            }
            Check::TagTarget { tag, revision } => {
                let found = mesh.tag(tag).and_then(|t| t.revision.as_deref());
                if found == revision.as_deref() {
                    Ok(())
                } else {
                    fail(format!("the tag leads to {}", or_none(found)))
                }
            }
            Check::IstioVersion { istio, version } => {
                let Some(i) = snapshot.istios().find(|i| &i.meta.name == istio) else {
                    return fail("no such Istio".to_owned());
                };
                if &i.version == version {
                    Ok(())
                } else {
                    fail(format!("spec.version {}", or_none(i.version.as_deref())))
                }
            }
            Check::RevisionExists { revision } => {
                if mesh.revision(revision).is_some() {
                    Ok(())
                } else {
                    fail("no such revision".to_owned())
                }
            }
            Check::ObjectPresent { object } => match object_exists(snapshot, object) {
                Some(true) => Ok(()),
                Some(false) => fail("it is absent".to_owned()),
                None => fail(format!("meshrev does not track kind {}", object.kind)),
            },
            Check::ObjectAbsent { object } => match object_exists(snapshot, object) {
                Some(false) => Ok(()),
                Some(true) => fail("it is still there".to_owned()),
                None => fail(format!("meshrev does not track kind {}", object.kind)),
            },
            Check::RevisionIdle { revision } => {
                let users = revision_users(mesh, revision);
                if users.is_empty() {
                    Ok(())
                } else {
                    fail(users.join(", "))
                }
            }
        }
    }
}

/// The live pods a workload owns.
pub(crate) fn pods_of<'a>(
    snapshot: &'a Snapshot,
    workload: &'a WorkloadId,
) -> impl Iterator<Item = &'a crate::snapshot::Pod> + 'a {
    snapshot
        .pods_owned_by(&workload.namespace, workload.kind, &workload.name)
        .filter(|pod| is_live(pod))
}

/// What still uses a revision: namespaces it injects (a Maistra control plane's
/// own namespace aside, which holds the control plane rather than workloads) and
/// live pods running its sidecar.
pub(crate) fn revision_users(mesh: &Mesh, revision: &str) -> Vec<String> {
    let own_namespace = mesh
        .revision(revision)
        .filter(|r| r.family == Family::Maistra)
        .map(|r| r.namespace.clone());
    let snapshot = mesh.snapshot();
    let mut users: Vec<String> = snapshot
        .namespaces()
        .map(|n| n.name())
        .filter(|n| Some(*n) != own_namespace.as_deref())
        .filter(|n| mesh.resolve_namespace(n).revision() == Some(revision))
        .map(|n| format!("namespace {n} is injected by it"))
        .collect();
    let pods = snapshot
        .pods()
        .filter(|p| is_live(p) && running_name(p) == Some(revision))
        .count();
    if pods > 0 {
        users.push(format!("{pods} live pod(s) run its sidecar"));
    }
    users
}

/// Whether the snapshot holds an object; `None` for a kind it does not track.
pub(crate) fn object_exists(snapshot: &Snapshot, object: &ObjectRef) -> Option<bool> {
    let ns = object.namespace.as_deref().unwrap_or_default();
    let name = object.name.as_str();
    Some(match object.kind.as_str() {
        "Namespace" => snapshot.namespace(name).is_some(),
        "ServiceMeshControlPlane" => snapshot
            .control_planes()
            .any(|c| c.meta.namespace.as_deref() == Some(ns) && c.meta.name == name),
        "ServiceMeshMemberRoll" => snapshot
            .member_rolls()
            .any(|c| c.meta.namespace.as_deref() == Some(ns) && c.meta.name == name),
        "ServiceMeshMember" => snapshot
            .members()
            .any(|c| c.meta.namespace.as_deref() == Some(ns) && c.meta.name == name),
        "Istio" => snapshot.istios().any(|i| i.meta.name == name),
        "IstioRevision" => snapshot.istio_revisions().any(|i| i.meta.name == name),
        "IstioRevisionTag" => snapshot.istio_revision_tags().any(|i| i.meta.name == name),
        "MutatingWebhookConfiguration" => snapshot.webhook_configuration(name).is_some(),
        kind => match WorkloadKind::from_kind(kind) {
            Some(k) => snapshot.workload(ns, k, name).is_some(),
            None => return None,
        },
    })
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::NamespaceLabels { namespace, labels } => {
                let parts: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => format!("no {k}"),
                    })
                    .collect();
                write!(f, "namespace {namespace} has {}", parts.join(", "))
            }
            Check::TemplateLabels { workload, labels } => {
                let parts: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => format!("no {k}"),
                    })
                    .collect();
                write!(f, "the pod template of {workload} has {}", parts.join(", "))
            }
            Check::NamespaceInjector {
                namespace,
                revision,
            } => write!(
                f,
                "namespace {namespace} is injected by {}",
                or_none(revision.as_deref())
            ),
            Check::WorkloadInjector { workload, revision } => write!(
                f,
                "a new pod of {workload} gets {}",
                or_none(revision.as_deref())
            ),
            Check::WorkloadRunning { workload, revision } => write!(
                f,
                "every pod of {workload} runs {}",
                or_none(revision.as_deref())
            ),
            Check::ProxyCurrent { workload, revision } => write!(
                f,
                "every pod of {workload} on {revision} runs its current proxy"
            ),
            Check::TagTarget { tag, revision } => {
                write!(f, "tag {tag} leads to {}", or_none(revision.as_deref()))
            }
            Check::IstioVersion { istio, version } => write!(
                f,
                "Istio {istio} has spec.version {}",
                or_none(version.as_deref())
            ),
            Check::RevisionExists { revision } => write!(f, "revision {revision} exists"),
            Check::ObjectPresent { object } => write!(f, "{object} exists"),
            Check::ObjectAbsent { object } => write!(f, "{object} is gone"),
            Check::RevisionIdle { revision } => {
                write!(
                    f,
                    "revision {revision} injects no namespace and runs no pod"
                )
            }
        }
    }
}

/// The injection keys a plan may change on a namespace (besides a label the
/// target's `discoverySelectors` need).
pub const INJECTION_KEYS: [&str; 3] = [
    labels::INJECTION,
    labels::REV,
    labels::MAISTRA_IGNORE_NAMESPACE,
];
