//! Edits: the changes a migration makes to a cluster, applied to a snapshot the way
//! the API server (and the operators that react to it) would apply them.
//!
//! The planner simulates a plan with these and the executor's simulated cluster
//! performs actions with them, so there is one statement of "what Kubernetes does"
//! in the crate. An edit is plain serde data, so plans and journals can hold it,
//! and every edit is idempotent: applying it twice leaves the snapshot as applying
//! it once did.
//!
//! ```
//! use meshrev::{Edit, Snapshot};
//!
//! let mut snapshot = Snapshot::from_yaml(
//!     "apiVersion: v1\nkind: Namespace\nmetadata: {name: mercury, labels: {istio-injection: enabled}}\n",
//! )?;
//! let before = snapshot.clone(); // cheap: the maps are shared until written
//! // kubectl label namespace mercury istio-injection- istio.io/rev=ossm3
//! snapshot.apply(&Edit::label_namespace("mercury", [("istio.io/rev", "ossm3")], ["istio-injection"]))?;
//! assert_eq!(snapshot.namespace("mercury").unwrap().meta.labels["istio.io/rev"], "ossm3");
//! assert!(before.namespace("mercury").unwrap().meta.labels.contains_key("istio-injection"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::store::{self, PerNamespace};
use super::{NamespacedName, Pod, Snapshot, TagTargetKind, WorkloadId, WorkloadKind};
use crate::labels::{self, Labels};
use crate::snapshot::ObjectRef;

/// One change to a snapshot, as the API server and the operators would apply it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum Edit {
    /// `kubectl label namespace NS k=v ... k-`: sets (overwriting), then removes.
    LabelNamespace {
        /// The namespace.
        namespace: String,
        /// Labels to set.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: Labels,
        /// Label keys to remove (absent keys are fine, as with `kubectl label`).
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        remove: BTreeSet<String>,
    },
    /// Labels of a workload's pod template (`spec.template.metadata.labels`).
    LabelTemplate {
        /// The workload.
        workload: WorkloadId,
        /// Labels to set.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: Labels,
        /// Label keys to remove.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        remove: BTreeSet<String>,
    },
    /// Annotations of a workload's pod template (`kubectl rollout restart` sets
    /// `kubectl.kubernetes.io/restartedAt` here). Annotations a snapshot does
    /// not keep ([`is_kept_annotation`](crate::labels::is_kept_annotation)) are
    /// checked, then left out, as when the edited object is read.
    AnnotateTemplate {
        /// The workload.
        workload: WorkloadId,
        /// Annotations to set.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: Labels,
        /// Annotation keys to remove.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        remove: BTreeSet<String>,
    },
    /// A finished rollout: every pod the workload owns is replaced by `pods`
    /// (see `Mesh::restart`, which builds them as the injector would).
    ReplacePods {
        /// The workload.
        workload: WorkloadId,
        /// Its new pods, all in its namespace. Of their annotations, only those
        /// [`is_kept_annotation`](crate::labels::is_kept_annotation) are kept,
        /// as when a snapshot is read.
        pods: Vec<Pod>,
    },
    /// An OpenShift DeploymentConfig's `instantiate` (`oc rollout latest
    /// dc/NAME`), as the API server takes it: its `status.latestVersion` goes up
    /// by one, in the same update that records the request (openshift-apiserver
    /// `pkg/apps/apiserver/registry/instantiate/rest.go`, `REST.Create`); the
    /// rollout that follows is [`Edit::ReplacePods`]. A `latestVersion` the
    /// snapshot does not show stays unknown. Refused for other kinds.
    Instantiate {
        /// The DeploymentConfig.
        workload: WorkloadId,
    },
    /// `istioctl tag set TAG --revision REV --overwrite`: the tag's webhook
    /// configurations (labelled `istio.io/tag=TAG`) get `istio.io/rev=REV`, and
    /// their webhooks call `istiod-REV` (`istiod` for `default`) in the same
    /// service namespace.
    RetargetTag {
        /// The tag.
        tag: String,
        /// The revision it will lead to.
        revision: String,
    },
    /// A Sail `IstioRevisionTag`'s `spec.targetRef` (the tag is created when
    /// absent, as `kubectl apply` would); the operator then records the revision
    /// it resolved in `status.istioRevision`.
    RetargetSailTag {
        /// The tag (the `IstioRevisionTag`'s name).
        tag: String,
        /// `Istio` (follow its active revision) or `IstioRevision` (pinned).
        kind: TagTargetKind,
        /// The target's name.
        name: String,
    },
    /// A Sail `Istio`'s `spec.version`. InPlace: its revision keeps its name and
    /// gets the new version. RevisionBased: the operator creates the revision
    /// `<name>-<version with dots as dashes>` beside the old one and makes it active.
    SetIstioVersion {
        /// The `Istio`'s name.
        istio: String,
        /// The new `spec.version`, e.g. `v1.25.1`.
        version: String,
    },
    /// Deletes an object and, as the garbage collector and operators would, what
    /// it owns: objects whose `ownerReferences` name it, a namespace's contents,
    /// and a control plane's webhook configurations, istiod Deployment and
    /// injector config maps. Deleting what is not there is not an error
    /// (`kubectl delete --ignore-not-found`).
    Delete {
        /// The object.
        object: ObjectRef,
    },
}

impl Edit {
    /// [`Edit::LabelNamespace`] from pairs to set and keys to remove.
    pub fn label_namespace<'a>(
        namespace: impl Into<String>,
        set: impl IntoIterator<Item = (&'a str, &'a str)>,
        remove: impl IntoIterator<Item = &'a str>,
    ) -> Edit {
        Edit::LabelNamespace {
            namespace: namespace.into(),
            set: set
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            remove: remove.into_iter().map(str::to_owned).collect(),
        }
    }

    /// The object the edit changes.
    pub fn target(&self) -> ObjectRef {
        match self {
            Edit::LabelNamespace { namespace, .. } => {
                ObjectRef::new("Namespace", None, namespace.clone())
            }
            Edit::LabelTemplate { workload, .. }
            | Edit::AnnotateTemplate { workload, .. }
            | Edit::ReplacePods { workload, .. }
            | Edit::Instantiate { workload } => workload.object_ref(),
            Edit::RetargetTag { tag, .. } => ObjectRef::new(
                "MutatingWebhookConfiguration",
                None,
                format!("istio-revision-tag-{tag}"),
            ),
            Edit::RetargetSailTag { tag, .. } => {
                ObjectRef::new("IstioRevisionTag", None, tag.clone())
            }
            Edit::SetIstioVersion { istio, .. } => ObjectRef::new("Istio", None, istio.clone()),
            Edit::Delete { object } => object.clone(),
        }
    }

    /// Whether the edit can change what the mesh discovers (control planes, tags,
    /// webhooks, injector configuration), as opposed to only namespaces and pods.
    pub fn touches_control_planes(&self) -> bool {
        match self {
            Edit::LabelNamespace { .. } | Edit::ReplacePods { .. } | Edit::Instantiate { .. } => {
                false
            }
            // An istiod Deployment's template says nothing discovery reads.
            Edit::LabelTemplate { .. } | Edit::AnnotateTemplate { .. } => false,
            Edit::Delete { object } => !matches!(object.kind.as_str(), "Pod" | "ReplicaSet"),
            _ => true,
        }
    }
}

/// Why an edit could not be applied. Nothing was changed when this is returned.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The object the edit changes is not in the snapshot.
    #[error("{object}: not in the snapshot")]
    NotFound {
        /// The missing object.
        object: ObjectRef,
    },
    /// A label or annotation key or value, or a name, is not valid Kubernetes syntax.
    #[error("{object}: {field} {value:?}: {message}")]
    Invalid {
        /// The object being edited.
        object: ObjectRef,
        /// What the bad text is (`label key`, `label value`, `pod name`, ...).
        field: String,
        /// The bad text.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// The edit contradicts itself or the snapshot (a key both set and removed, a
    /// pod placed in another namespace, a pod name taken by another owner).
    #[error("{object}: {message}")]
    Conflict {
        /// The object being edited.
        object: ObjectRef,
        /// What contradicts what.
        message: String,
    },
}

impl Snapshot {
    /// Applies an edit. It is validated first, as ingest validates (label syntax,
    /// names), so on error the snapshot is unchanged.
    pub fn apply(&mut self, edit: &Edit) -> Result<(), EditError> {
        let target = edit.target();
        match edit {
            Edit::LabelNamespace {
                namespace,
                set,
                remove,
            } => {
                check_label_change(&target, set, remove, "label")?;
                let ns = self
                    .namespaces
                    .get(namespace)
                    .ok_or(EditError::NotFound { object: target })?;
                if !changes(&ns.meta.labels, set, remove) {
                    return Ok(());
                }
                let ns = Arc::make_mut(&mut self.namespaces)
                    .get_mut(namespace)
                    .map(Arc::make_mut);
                if let Some(ns) = ns {
                    change(&mut ns.meta.labels, set, remove);
                }
                Ok(())
            }
            Edit::LabelTemplate {
                workload,
                set,
                remove,
            } => {
                check_label_change(&target, set, remove, "label")?;
                self.edit_template(workload, target, |t| change(&mut t.labels, set, remove))
            }
            Edit::AnnotateTemplate {
                workload,
                set,
                remove,
            } => {
                check_annotation_change(&target, set, remove)?;
                // Only what ingest keeps, so an edit equals reading its result.
                let kept: Labels = set
                    .iter()
                    .filter(|(k, _)| crate::labels::is_kept_annotation(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                self.edit_template(workload, target, |t| {
                    change(&mut t.annotations, &kept, remove)
                })
            }
            Edit::ReplacePods { workload, pods } => {
                self.replace_pods(workload, Cow::Borrowed(pods), target)
            }
            Edit::Instantiate { workload } => {
                if workload.kind != super::WorkloadKind::DeploymentConfig {
                    return Err(EditError::Conflict {
                        object: target,
                        message: "only a DeploymentConfig is instantiated (`oc rollout latest`); \
                                  other kinds roll out when their template changes"
                            .to_owned(),
                    });
                }
                let w = self.workload_mut(workload, target)?;
                w.latest_version = w.latest_version.map(|v| v.saturating_add(1));
                Ok(())
            }
            Edit::RetargetTag { tag, revision } => self.retarget_tag(tag, revision, target),
            Edit::RetargetSailTag { tag, kind, name } => {
                check_name(&target, "targetRef.name", name)?;
                let status = match kind {
                    TagTargetKind::IstioRevision => Some(name.clone()),
                    TagTargetKind::Istio => self.istios.get(name).map(|i| i.active_revision()),
                };
                check_name(&target, "metadata.name", tag)?;
                // Created when absent, as `kubectl apply` of the tag would (the
                // OSSM default-tag migration creates the `default` tag).
                let t = Arc::make_mut(&mut self.istio_revision_tags)
                    .entry(tag.clone())
                    .or_insert_with(|| super::IstioRevisionTag {
                        meta: super::ObjectMeta::cluster(tag.clone()),
                        target_kind: *kind,
                        target_name: name.clone(),
                        status_revision: None,
                    });
                t.target_kind = *kind;
                t.target_name = name.clone();
                t.status_revision = status.clone();
                // The operator renders the tag's webhook configuration anew.
                if let Some(revision) = status {
                    self.retarget_tag_configurations(tag, &revision);
                }
                Ok(())
            }
            Edit::SetIstioVersion { istio, version } => {
                self.set_istio_version(istio, version, target)
            }
            Edit::Delete { object } => {
                self.delete(object);
                Ok(())
            }
        }
    }

    fn edit_template(
        &mut self,
        id: &WorkloadId,
        target: ObjectRef,
        f: impl FnOnce(&mut super::PodTemplate),
    ) -> Result<(), EditError> {
        f(&mut self.workload_mut(id, target)?.template);
        Ok(())
    }

    /// A workload for writing: its namespace's map and the workload itself are
    /// copied first if shared.
    fn workload_mut(
        &mut self,
        id: &WorkloadId,
        target: ObjectRef,
    ) -> Result<&mut super::Workload, EditError> {
        store::shard_mut(&mut self.workloads, &id.namespace)
            .and_then(|shard| {
                shard.get_mut(&(id.kind, id.name.as_str()) as &dyn store::WorkloadKey)
            })
            .map(Arc::make_mut)
            .ok_or(EditError::NotFound { object: target })
    }

    /// [`Edit::ReplacePods`] with the new pods owned: they are moved into the
    /// snapshot rather than copied (the planner's simulation builds them only
    /// to apply them).
    pub(crate) fn replace_pods_owned(
        &mut self,
        id: &WorkloadId,
        pods: Vec<Pod>,
    ) -> Result<(), EditError> {
        self.replace_pods(id, Cow::Owned(pods), id.object_ref())
    }

    fn replace_pods(
        &mut self,
        id: &WorkloadId,
        pods: Cow<'_, [Pod]>,
        target: ObjectRef,
    ) -> Result<(), EditError> {
        if self.workload(&id.namespace, id.kind, &id.name).is_none() {
            return Err(EditError::NotFound { object: target });
        }
        // A sorted vector, searched, without a set's nodes (the namespace's
        // pods are kept by name, so it comes sorted and the sort only checks).
        let mut owned: Vec<&str> = self
            .pods_owned_by(&id.namespace, id.kind, &id.name)
            .map(|p| p.meta.name.as_str())
            .collect();
        owned.sort_unstable();
        let mut names = BTreeSet::new();
        let existing = self.pods.get(&id.namespace);
        // Pods of one rollout carry the template's labels: a set equal to the
        // previous pod's was checked already.
        let mut checked: Option<&Labels> = None;
        for pod in pods.iter() {
            let at = || ObjectRef::new("Pod", Some(&id.namespace), pod.meta.name.clone());
            if let Err(message) = labels::check_dns1123_subdomain(&pod.meta.name) {
                return Err(EditError::Invalid {
                    object: at(),
                    field: "metadata.name".to_owned(),
                    value: pod.meta.name.clone(),
                    message,
                });
            }
            if pod.meta.namespace.as_deref() != Some(id.namespace.as_str()) {
                return Err(EditError::Conflict {
                    object: at(),
                    message: format!("a pod of {target} must be in namespace {}", id.namespace),
                });
            }
            if checked != Some(&pod.meta.labels) {
                check_labels(&at(), &pod.meta.labels, "label")?;
                checked = Some(&pod.meta.labels);
            }
            if !names.insert(pod.meta.name.as_str()) {
                return Err(EditError::Conflict {
                    object: at(),
                    message: "named twice in one rollout".into(),
                });
            }
            if existing.is_some_and(|shard| shard.contains_key(&pod.meta.name))
                && owned.binary_search(&pod.meta.name.as_str()).is_err()
            {
                return Err(EditError::Conflict {
                    object: at(),
                    message: format!("the name is taken by a pod {target} does not own"),
                });
            }
        }
        // The replaced pods, held by pointer so that their names can key the
        // removal once the map is borrowed for writing.
        let owned: Vec<Arc<Pod>> = match existing {
            Some(shard) => owned
                .iter()
                .filter_map(|name| shard.get(*name).cloned())
                .collect(),
            None => Vec::new(),
        };
        // Copies the namespace's map of pointers on its first edit, not the pods.
        let shard = Arc::make_mut(&mut self.pods)
            .entry(id.namespace.clone())
            .or_default();
        let shard = Arc::make_mut(shard);
        for pod in &owned {
            shard.remove(&pod.meta.name);
        }
        // A rollout's pods share one annotation map: read once, not once a pod.
        let mut kept: Option<Labels> = None;
        for mut pod in pods.into_owned() {
            // The model ingest keeps, whichever way the pod came in (written
            // only when something goes: the map may be shared).
            let seen = kept
                .as_ref()
                .is_some_and(|k| k.is_shared_with(&pod.meta.annotations));
            if !seen
                && !pod
                    .meta
                    .annotations
                    .keys()
                    .all(|k| crate::labels::is_kept_annotation(k))
            {
                pod.meta
                    .annotations
                    .retain(|k, _| crate::labels::is_kept_annotation(k));
            }
            kept = Some(pod.meta.annotations.clone());
            shard.insert(pod.meta.name.clone(), Arc::new(pod));
        }
        store::prune(&mut self.pods, &id.namespace);
        Ok(())
    }

    fn retarget_tag(
        &mut self,
        tag: &str,
        revision: &str,
        target: ObjectRef,
    ) -> Result<(), EditError> {
        check_label_value(&target, labels::REV, revision)?;
        if self.retarget_tag_configurations(tag, revision) {
            Ok(())
        } else {
            Err(EditError::NotFound { object: target })
        }
    }

    /// Points the webhook configurations of a tag at a revision; `false` when the
    /// tag has none.
    fn retarget_tag_configurations(&mut self, tag: &str, revision: &str) -> bool {
        let names: Vec<String> = self
            .webhook_configurations
            .values()
            .filter(|c| c.meta.labels.get(labels::TAG).map(String::as_str) == Some(tag))
            .map(|c| c.meta.name.clone())
            .collect();
        if names.is_empty() {
            return false;
        }
        let service = if revision == "default" {
            "istiod".to_owned()
        } else {
            format!("istiod-{revision}")
        };
        let configs = Arc::make_mut(&mut self.webhook_configurations);
        for name in names {
            let Some(c) = configs.get_mut(&name) else {
                continue;
            };
            c.meta
                .labels
                .insert(labels::REV.to_owned(), revision.to_owned());
            for w in &mut c.webhooks {
                if let Some(s) = &mut w.service {
                    s.name.clone_from(&service);
                }
            }
        }
        true
    }

    fn set_istio_version(
        &mut self,
        istio: &str,
        version: &str,
        target: ObjectRef,
    ) -> Result<(), EditError> {
        check_label_value(&target, "spec.version", version)?;
        let i = Arc::make_mut(&mut self.istios)
            .get_mut(istio)
            .ok_or(EditError::NotFound { object: target })?;
        i.version = Some(version.to_owned());
        let revision = i.revision_name();
        i.active_revision_name = Some(revision.clone());
        let (namespace, values) = (i.namespace.clone(), i.values.clone());
        let mut following = Vec::new();
        for t in Arc::make_mut(&mut self.istio_revision_tags).values_mut() {
            if t.target_kind == TagTargetKind::Istio && t.target_name == istio {
                t.status_revision = Some(revision.clone());
                following.push(t.meta.name.clone());
            }
        }
        for tag in following {
            self.retarget_tag_configurations(&tag, &revision);
        }
        let revisions = Arc::make_mut(&mut self.istio_revisions);
        let listed = !revisions.is_empty();
        match revisions.get_mut(&revision) {
            Some(r) => r.version = Some(version.to_owned()),
            // Only a snapshot that lists IstioRevisions gets the new one: the
            // operator's object would be there, and a snapshot without any keeps
            // deriving revisions from the Istio as before.
            None if listed => {
                let mut meta = super::ObjectMeta::cluster(revision.clone());
                meta.owner_references = Arc::new([super::OwnerReference {
                    kind: "Istio".into(),
                    name: istio.to_owned(),
                    uid: None,
                    controller: true,
                }]);
                revisions.insert(
                    revision,
                    super::IstioRevision {
                        meta,
                        version: Some(version.to_owned()),
                        namespace,
                        values,
                    },
                );
            }
            None => {}
        }
        Ok(())
    }

    /// Removes an object and everything it owns, depth first.
    fn delete(&mut self, object: &ObjectRef) {
        let mut queue = vec![object.clone()];
        let mut done = BTreeSet::new();
        while let Some(o) = queue.pop() {
            if !done.insert(o.clone()) {
                continue;
            }
            queue.extend(self.owned_by(&o));
            self.remove(&o);
        }
    }

    /// What the garbage collector and the operators delete with an object.
    fn owned_by(&self, o: &ObjectRef) -> Vec<ObjectRef> {
        let mut out = Vec::new();
        let ns = o.namespace.as_deref();
        let owner_named = |refs: &[super::OwnerReference]| {
            refs.iter().any(|r| r.kind == o.kind && r.name == o.name)
        };
        if o.kind == "Namespace" {
            let n = o.name.as_str();
            out.extend(self.pods_in(n).map(|p| p.meta.object_ref("Pod")));
            out.extend(
                self.workloads_in(n)
                    .map(|w| w.meta.object_ref(w.kind.as_str())),
            );
            for (kind, keys) in [
                ("ConfigMap", self.config_maps.keys().collect::<Vec<_>>()),
                (
                    "ServiceMeshControlPlane",
                    self.control_planes.keys().collect(),
                ),
                ("ServiceMeshMemberRoll", self.member_rolls.keys().collect()),
                ("ServiceMeshMember", self.members.keys().collect()),
                ("Kiali", self.kialis.keys().collect()),
            ] {
                out.extend(
                    keys.into_iter()
                        .filter(|(kns, _)| kns == n)
                        .map(|(kns, name)| ObjectRef::new(kind, Some(kns), name.clone())),
                );
            }
            return out;
        }
        if let Some(ns) = ns {
            out.extend(
                self.pods_in(ns)
                    .filter(|p| owner_named(&p.meta.owner_references))
                    .map(|p| p.meta.object_ref("Pod")),
            );
            out.extend(
                self.workloads_in(ns)
                    .filter(|w| owner_named(&w.meta.owner_references))
                    .map(|w| w.meta.object_ref(w.kind.as_str())),
            );
            // The ClusterWide member roll the Maistra operator made carries a
            // controller reference to its SMCP (maistra/istio-operator
            // `versionStrategyV2_5.createMemberRoll`), so it goes with it.
            out.extend(
                self.member_rolls
                    .values()
                    .filter(|m| {
                        m.meta.namespace.as_deref() == Some(ns)
                            && owner_named(&m.meta.owner_references)
                    })
                    .map(|m| m.meta.object_ref("ServiceMeshMemberRoll")),
            );
        }
        // Cluster-scoped Sail objects own their revisions.
        out.extend(
            self.istio_revisions
                .values()
                .filter(|r| owner_named(&r.meta.owner_references))
                .map(|r| r.meta.object_ref("IstioRevision")),
        );
        let installed = |revision: &str, namespace: &str, out: &mut Vec<ObjectRef>| {
            // What the charts install for a revision (domain.md sections 2 and 5).
            for c in self.webhook_configurations.values() {
                if c.meta.labels.get(labels::REV).map(String::as_str) == Some(revision)
                    && !c.meta.labels.contains_key(labels::TAG)
                {
                    out.push(c.meta.object_ref("MutatingWebhookConfiguration"));
                }
            }
            for w in self.workloads_in(namespace) {
                if w.kind == WorkloadKind::Deployment
                    && w.meta.labels.get("app").map(String::as_str) == Some("istiod")
                    && w.meta
                        .labels
                        .get(labels::REV)
                        .map(String::as_str)
                        .unwrap_or("default")
                        == revision
                {
                    out.push(w.meta.object_ref("Deployment"));
                }
            }
            for (cns, name) in self.config_maps.keys() {
                let suffix = if revision == "default" {
                    String::new()
                } else {
                    format!("-{revision}")
                };
                if cns == namespace
                    && (*name == format!("istio{suffix}")
                        || *name == format!("istio-sidecar-injector{suffix}"))
                {
                    out.push(ObjectRef::new("ConfigMap", Some(cns), name.clone()));
                }
            }
        };
        match o.kind.as_str() {
            "ServiceMeshControlPlane" => {
                let namespace = ns.unwrap_or_default();
                installed(&o.name, namespace, &mut out);
                // Maistra's configuration is named after the SMCP even for `default`.
                for name in [
                    format!("istio-{}", o.name),
                    format!("istio-sidecar-injector-{}", o.name),
                ] {
                    if self
                        .config_maps
                        .contains_key(&(namespace.to_owned(), name.clone()))
                    {
                        out.push(ObjectRef::new("ConfigMap", Some(namespace), name));
                    }
                }
                if let Some(c) = self
                    .webhook_configurations
                    .get(&format!("istiod-{}-{namespace}", o.name))
                {
                    out.push(c.meta.object_ref("MutatingWebhookConfiguration"));
                }
            }
            "IstioRevision" => {
                if let Some(r) = self.istio_revisions.get(&o.name) {
                    installed(&o.name, &r.namespace, &mut out);
                }
            }
            "Istio" => {
                if let Some(i) = self.istios.get(&o.name) {
                    let revision = i.active_revision();
                    if !self.istio_revisions.contains_key(&revision) {
                        installed(&revision, &i.namespace, &mut out);
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn remove(&mut self, o: &ObjectRef) {
        let ns = o.namespace.clone().unwrap_or_default();
        let nn: NamespacedName = (ns.clone(), o.name.clone());
        fn drop_key<K: Ord + Clone, V: Clone>(map: &mut Arc<BTreeMap<K, V>>, key: &K) {
            if map.contains_key(key) {
                Arc::make_mut(map).remove(key);
            }
        }
        fn drop_in<K: Ord + Clone, V: Clone>(map: &mut PerNamespace<K, V>, ns: &str, key: &K) {
            if let Some(shard) = store::shard_mut(map, ns) {
                shard.remove(key);
            }
            store::prune(map, ns);
        }
        match o.kind.as_str() {
            "Namespace" => drop_key(&mut self.namespaces, &o.name),
            "Pod" => drop_in(&mut self.pods, &ns, &o.name),
            "ConfigMap" => drop_key(&mut self.config_maps, &nn),
            "MutatingWebhookConfiguration" => drop_key(&mut self.webhook_configurations, &o.name),
            "ServiceMeshControlPlane" => drop_key(&mut self.control_planes, &nn),
            "ServiceMeshMemberRoll" => drop_key(&mut self.member_rolls, &nn),
            "ServiceMeshMember" => drop_key(&mut self.members, &nn),
            "Istio" => drop_key(&mut self.istios, &o.name),
            "IstioRevision" => drop_key(&mut self.istio_revisions, &o.name),
            "IstioRevisionTag" => drop_key(&mut self.istio_revision_tags, &o.name),
            "Kiali" => drop_key(&mut self.kialis, &nn),
            kind => {
                if let Some(kind) = WorkloadKind::from_kind(kind) {
                    drop_in(&mut self.workloads, &ns, &(kind, o.name.clone()));
                }
            }
        }
    }
}

/// Whether setting and removing would change `current`.
fn changes(current: &Labels, set: &Labels, remove: &BTreeSet<String>) -> bool {
    set.iter().any(|(k, v)| current.get(k) != Some(v))
        || remove.iter().any(|k| current.contains_key(k))
}

fn change(current: &mut Labels, set: &Labels, remove: &BTreeSet<String>) {
    for (k, v) in set {
        current.insert(k.clone(), v.clone());
    }
    for k in remove {
        current.remove(k);
    }
}

fn check_label_change(
    object: &ObjectRef,
    set: &Labels,
    remove: &BTreeSet<String>,
    what: &str,
) -> Result<(), EditError> {
    check_labels(object, set, what)?;
    check_removals(object, set, remove, what)
}

fn check_annotation_change(
    object: &ObjectRef,
    set: &Labels,
    remove: &BTreeSet<String>,
) -> Result<(), EditError> {
    for k in set.keys() {
        check_key(object, "annotation", k)?;
    }
    check_removals(object, set, remove, "annotation")
}

fn check_removals(
    object: &ObjectRef,
    set: &Labels,
    remove: &BTreeSet<String>,
    what: &str,
) -> Result<(), EditError> {
    for k in remove {
        check_key(object, what, k)?;
        if set.contains_key(k) {
            return Err(EditError::Conflict {
                object: object.clone(),
                message: format!("{what} {k:?} is both set and removed"),
            });
        }
    }
    Ok(())
}

fn check_labels(object: &ObjectRef, set: &Labels, what: &str) -> Result<(), EditError> {
    for (k, v) in set {
        check_key(object, what, k)?;
        check_label_value(object, k, v)?;
    }
    Ok(())
}

fn check_key(object: &ObjectRef, what: &str, key: &str) -> Result<(), EditError> {
    labels::check_label_key(key).map_err(|message| EditError::Invalid {
        object: object.clone(),
        field: format!("{what} key"),
        value: key.to_owned(),
        message,
    })
}

fn check_label_value(object: &ObjectRef, key: &str, value: &str) -> Result<(), EditError> {
    labels::check_label_value(value).map_err(|message| EditError::Invalid {
        object: object.clone(),
        field: format!("value of {key}"),
        value: value.to_owned(),
        message,
    })
}

fn check_name(object: &ObjectRef, field: &str, name: &str) -> Result<(), EditError> {
    labels::check_dns1123_subdomain(name).map_err(|message| EditError::Invalid {
        object: object.clone(),
        field: field.to_owned(),
        value: name.to_owned(),
        message,
    })
}
