//! Rollouts: what a workload's pods look like once `kubectl rollout restart` has
//! finished, given who injects now.
//!
//! A restart recreates every pod from the workload's template; the API server
//! sends each new pod through the injection webhooks, and the revision that
//! resolves at that moment leaves its record on it (domain.md section 3: the
//! `istio.io/rev` annotation, `sidecar.istio.io/status`, an `istio-proxy`
//! container whose image is the revision's version). The planner's simulation and the executor's simulated cluster both
//! restart through [`Mesh::restart`], so there is one statement of this rule.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::labels;
use crate::mesh::{Mesh, Version};
use crate::snapshot::{
    Edit, EditError, ObjectMeta, OwnerReference, Pod, Restart, SidecarStatus, WorkloadId,
    WorkloadKind,
};
use crate::status::{RunningRef, is_live, running_ref};

/// Init containers the injector adds (`istio-validation` with the CNI plugin).
const INJECTED_INIT: [&str; 2] = ["istio-init", "istio-validation"];

impl Mesh {
    /// The [`Edit::ReplacePods`] a finished rollout restart of `workload` amounts
    /// to: as many pods as it runs now (its `replicas` when it runs none), built
    /// from its template, each injected by the revision that resolves for the
    /// template now, or without a sidecar when none does. An injected pod's
    /// `istio-proxy` image is tagged with that revision's version, so the
    /// status reads its proxy as current (and as outdated after a later
    /// version change), see `injected_proxy_image`.
    ///
    /// The pod names are derived from the workload and the injecting revision
    /// (a StatefulSet's keep their ordinals), so restarting twice under the same
    /// labels gives the same pods (the edit is idempotent), and a restart after a
    /// relabel gives new names, as a new ReplicaSet would.
    ///
    /// Every kind's [`Restart`] is modelled by its end: a rollout restart
    /// (Deployment, StatefulSet, DaemonSet), `oc rollout latest` (DeploymentConfig:
    /// the new ReplicationController is stood for by the old one, which owns the
    /// new pods; which one owns them changes nothing about injection), and deleting
    /// a ReplicaSet's or ReplicationController's pods (it re-creates them from its
    /// template). A Job or CronJob has nothing to restart: refused with
    /// [`EditError::Conflict`].
    ///
    /// ```
    /// use meshrev::{Mesh, Snapshot, Status, WorkloadId, snapshot::WorkloadKind};
    ///
    /// let mut mesh = Mesh::new(Snapshot::from_yaml(r#"
    /// apiVersion: sailoperator.io/v1
    /// kind: Istio
    /// metadata: {name: ossm3}
    /// spec: {version: v1.24.3}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: mercury, labels: {istio.io/rev: ossm3}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: mercury}
    /// spec: {replicas: 2, template: {metadata: {labels: {app: web}}}}
    /// "#)?);
    /// let web = WorkloadId::new("mercury", WorkloadKind::Deployment, "web");
    /// let restart = mesh.restart(&web)?;
    /// mesh.apply(&restart)?;
    /// let status = Status::of(&mesh);
    /// assert!(status.pods.iter().all(|p| p.running.revision() == Some("ossm3")));
    /// assert_eq!(status.pods.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restart(&self, workload: &WorkloadId) -> Result<Edit, EditError> {
        let s = self.snapshot();
        let w = s
            .workload(&workload.namespace, workload.kind, &workload.name)
            .ok_or_else(|| EditError::NotFound {
                object: workload.object_ref(),
            })?;
        if w.kind.restart() == Restart::NotRestartable {
            return Err(EditError::Conflict {
                object: workload.object_ref(),
                message: "a Job's pods run to completion and are never replaced: there is no \
                          rollout to restart (its next run is injected by whatever injects then)"
                    .to_owned(),
            });
        }
        let old: Vec<&Pod> = s
            .pods_owned_by(&workload.namespace, w.kind, &w.meta.name)
            .collect();
        let count = if old.is_empty() {
            usize::try_from(w.replicas.unwrap_or(0)).unwrap_or(0)
        } else {
            old.len()
        };
        let ns_labels = self.namespace_labels(&workload.namespace);
        let revision = self
            .injecting_revision(&workload.namespace, &ns_labels, Some((&w.template).into()))
            .map(str::to_owned);

        // The new pods keep the old ones' owner (a ReplicaSet stands for the new
        // one) and application containers; without old pods, the workload owns them.
        let owner = old
            .first()
            .and_then(|p| p.meta.controller().cloned())
            .unwrap_or_else(|| OwnerReference {
                kind: w.kind.as_str().to_owned(),
                name: w.meta.name.clone(),
                uid: w.meta.uid.clone(),
                controller: true,
            });
        let mut containers: Vec<String> = match old.first() {
            Some(p) => p
                .containers
                .iter()
                .filter(|c| *c != labels::PROXY_CONTAINER)
                .cloned()
                .collect(),
            None => vec![w.meta.name.clone()],
        };
        let mut init_containers: Vec<String> = old
            .first()
            .map(|p| {
                p.init_containers
                    .iter()
                    .filter(|c| {
                        !INJECTED_INIT.contains(&c.as_str()) && *c != labels::PROXY_CONTAINER
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let injected_init = old
            .iter()
            .flat_map(|p| p.init_containers.iter())
            .find(|c| INJECTED_INIT.contains(&c.as_str()))
            .map_or(INJECTED_INIT[0], String::as_str);
        if revision.is_some() {
            containers.push(labels::PROXY_CONTAINER.to_owned());
            init_containers.push(injected_init.to_owned());
        }

        let hash = {
            let mut h = Fnv::default();
            h.part(&w.meta.name);
            h.part(revision.as_deref().unwrap_or("-"));
            // The template's debug form, hashed as written (no string built).
            let _ = write!(h, "{:?}", w.template);
            h.end_part();
            h.short()
        };
        // One record for every new pod (they are injected alike), and one
        // proxy; the new pods share their containers, owner, phase and
        // annotations.
        let record = revision.as_deref().map(record_of);
        let proxy_image: Option<Arc<str>> = revision
            .as_deref()
            .and_then(|r| self.injected_proxy_image(r, &workload.namespace, &old))
            .map(Arc::from);
        let containers: Arc<[String]> = containers.into();
        let init_containers: Arc<[String]> = init_containers.into();
        let owners: Arc<[OwnerReference]> = Arc::new([owner]);
        let running: Arc<str> = Arc::from("Running");
        let mut annotations = w.template.annotations.clone();
        if let Some(r) = &revision {
            annotations.insert(labels::REV.to_owned(), r.clone());
        }
        let pods = (0..count)
            .map(|i| {
                // A StatefulSet's pods keep their ordinal names across restarts.
                let name = match w.kind {
                    WorkloadKind::StatefulSet => format!("{}-{i}", w.meta.name),
                    _ => format!("{}-{hash}-{i}", w.meta.name),
                };
                let mut meta = ObjectMeta::namespaced(workload.namespace.clone(), name);
                meta.labels = w.template.labels.clone();
                meta.annotations = annotations.clone();
                meta.owner_references = Arc::clone(&owners);
                // The record is there exactly when a revision injects.
                let sidecar_status = record.clone();
                Pod {
                    meta,
                    host_network: w.template.host_network,
                    containers: Arc::clone(&containers),
                    init_containers: Arc::clone(&init_containers),
                    phase: Some(Arc::clone(&running)),
                    proxy_image: sidecar_status.as_ref().and(proxy_image.clone()),
                    sidecar_status,
                }
            })
            .collect();
        Ok(Edit::ReplacePods {
            workload: workload.clone(),
            pods,
        })
    }
}

/// What the model keeps of the `sidecar.istio.io/status` record istio's webhook
/// writes on a pod it injects (`pkg/kube/inject/webhook.go`): the revision. Built
/// directly rather than by writing the record's JSON and parsing it back, once a
/// restart; the test below holds it to the parse of the full record.
fn record_of(revision: &str) -> SidecarStatus {
    SidecarStatus::Recorded {
        revision: Some(revision.to_owned()).filter(|r| !r.is_empty()),
    }
}

impl Mesh {
    /// The `istio-proxy` image `revision` injects now, as far as the model
    /// knows it: the revision's version as the tag (what the status reads a
    /// proxy's version from, [`Version::from_image`]), on the repository its
    /// pods in `namespace` already run, else the one the workload's old pods
    /// ran, else the charts' image name `proxyv2` (istio
    /// `manifests/charts/istio-control/istio-discovery/values.yaml`,
    /// `global.proxy.image`; the hub is not known). `None` when the
    /// revision's version is unknown or unreadable: the proxy's version is
    /// then unknown too, rather than guessed.
    fn injected_proxy_image(
        &self,
        revision: &str,
        namespace: &str,
        old: &[&Pod],
    ) -> Option<String> {
        let version = Version::parse(self.revision(revision)?.version.as_deref()?)?;
        let s = self.snapshot();
        let own = s
            .pods_in(namespace)
            .filter(|p| is_live(p) && running_ref(p) == RunningRef::Revision(revision));
        let repository = own
            .chain(old.iter().copied())
            .find_map(|p| p.proxy_image.as_deref().map(image_repository))
            .unwrap_or("proxyv2");
        Some(format!("{repository}:{version}"))
    }
}

/// An image reference without its tag or digest (`docker.io/istio/proxyv2`
/// of `docker.io/istio/proxyv2:1.24.3`; a registry's port is kept).
fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(i) => &image[..name_start + i],
        None => image,
    }
}

/// FNV-1a over parts each ended by a zero byte; ten lower-case hex digits of it
/// are a stable stand-in for a pod-template hash. A part can be written through
/// [`std::fmt::Write`] (then ended with [`Fnv::end_part`]), so that a formatted
/// part costs no string.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn part(&mut self, part: &str) {
        self.bytes(part.as_bytes());
        self.end_part();
    }

    fn end_part(&mut self) {
        self.bytes(&[0]);
    }

    fn short(&self) -> String {
        format!("{:010x}", self.0 & 0xff_ffff_ffff)
    }
}

impl std::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `sidecar.istio.io/status` record istio's webhook writes
    /// (`pkg/kube/inject/webhook.go`), with the fields it has for a sidecar.
    fn injection_status(revision: &str, init: &str) -> String {
        serde_json::json!({
            "initContainers": [init],
            "containers": [labels::PROXY_CONTAINER],
            "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy",
                        "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"],
            "imagePullSecrets": null,
            "revision": revision,
        })
        .to_string()
    }

    #[test]
    fn a_restarted_pod_s_record_is_istio_s_annotation_as_parsed_at_ingest() {
        for revision in ["ossm3", "default", "1-24-0", "default-v1-25-1", ""] {
            for init in INJECTED_INIT {
                assert_eq!(
                    record_of(revision),
                    SidecarStatus::parse(&injection_status(revision, init)),
                    "{revision:?} {init}"
                );
            }
        }
    }

    #[test]
    fn the_template_hash_written_through_fmt_is_fnv_1a_of_the_parts() {
        // FNV-1a's published vectors: the offset basis, and "a".
        assert_eq!(Fnv::default().short(), "e484222325");
        let mut a = Fnv::default();
        a.write_str("a").unwrap();
        assert_eq!(a.0, 0xaf63_dc4c_8601_ec8c);
        // A part formatted into the hash is the part's text hashed.
        let template = crate::snapshot::PodTemplate::default();
        let mut written = Fnv::default();
        written.part("web");
        write!(written, "{template:?}").unwrap();
        written.end_part();
        let mut whole = Fnv::default();
        whole.part("web");
        whole.part(&format!("{template:?}"));
        assert_eq!(written.short(), whole.short());
    }

    #[test]
    fn an_image_repository_keeps_its_registry_port_and_drops_tag_and_digest() {
        assert_eq!(
            image_repository("docker.io/istio/proxyv2:1.24.3"),
            "docker.io/istio/proxyv2"
        );
        assert_eq!(
            image_repository("localhost:5000/istio/proxyv2:1.24.3@sha256:00"),
            "localhost:5000/istio/proxyv2"
        );
        assert_eq!(
            image_repository("localhost:5000/istio/proxyv2"),
            "localhost:5000/istio/proxyv2"
        );
        assert_eq!(image_repository("proxyv2@sha256:00"), "proxyv2");
        assert_eq!(image_repository("proxyv2"), "proxyv2");
    }
}
