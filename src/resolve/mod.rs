//! Resolution: which revision injects a namespace, a workload's pod template or a
//! pod, and why.
//!
//! It is webhook evaluation, as the API server does it, then istiod's own check:
//!
//! 1. Every injection webhook whose `namespaceSelector` admits the namespace labels
//!    and whose `objectSelector` admits the pod labels receives the pod. None: not
//!    injected.
//! 2. Each receiving istiod applies its own `injectRequired` (istio
//!    `pkg/kube/inject/inject.go`) and, when it is false, allows the pod unpatched
//!    (`pkg/kube/inject/webhook.go` `inject()`): `hostNetwork` pods and the system
//!    namespaces are refused; the pod's `sidecar.istio.io/inject` label (else
//!    annotation) decides when this istiod accepts the value: before 1.27 (and in
//!    every Maistra 2.x) `y|yes|true|on` in any case inject and anything else
//!    non-empty refuses; from 1.27 only exact `true`/`false` count, other values
//!    defer (the istiod version is read from the snapshot, unknown: 1.27's rule,
//!    [`InjectValues`](crate::mesh::InjectValues)); otherwise `neverInjectSelector`, then
//!    `alwaysInjectSelector`, then the policy (`enabled` injects, `disabled` does
//!    not, any other never does).
//! 3. No istiod injects: not injected. One: that revision. Two or more: a conflict,
//!    double injection (istioctl analyze IST0139).
//!
//! A namespace is resolved with a pod that has no labels, and step 2 skipped: so a
//! Maistra member namespace's injector is its control plane, even though its pods
//! must opt in, and a namespace two revisions' webhooks match is a conflict even
//! when one of the istiods injects only pods that opt in.
//!
//! ```
//! use meshrev::{Mesh, Snapshot};
//!
//! let mesh = Mesh::new(Snapshot::from_yaml(r#"
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: ossm3}
//! spec: {version: v1.24.3, namespace: istio-system}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: mercury
//!   labels: {istio.io/rev: ossm3}
//! "#)?);
//! let r = mesh.resolve_namespace("mercury");
//! assert_eq!(r.revision(), Some("ossm3"));
//! assert!(r.to_string().contains("istio.io/rev=ossm3"));
//! # Ok::<(), meshrev::Error>(())
//! ```

mod checked;
pub(crate) mod decision;
mod matching;
mod no_match;
mod outcome;
mod precedence;
mod prose;

pub use self::checked::NotInSnapshot;
pub use self::decision::{PodDecision, ValueSource};
pub use self::no_match::NoMatch;
pub use self::outcome::{Candidate, NotInjected, Resolution, Verdict, WebhookRef};
use crate::labels::{self, Labels};
use crate::mesh::Mesh;
use crate::snapshot::{Pod, PodTemplate, Workload};

const NO_LABELS: &Labels = &Labels::new();

impl Mesh {
    /// The labels a namespace shows to webhooks (just its name when the snapshot
    /// lacks the namespace).
    pub fn namespace_labels(&self, namespace: &str) -> Labels {
        match self.snapshot().namespace(namespace) {
            Some(ns) => ns.selector_labels(),
            None => Labels::from([(labels::METADATA_NAME.to_owned(), namespace.to_owned())]),
        }
    }

    /// The revision whose webhook receives a label-less pod created in `namespace`.
    /// A namespace the snapshot lacks is resolved with no labels but its name; use
    /// [`Mesh::try_resolve_namespace`] to be told instead.
    pub fn resolve_namespace(&self, namespace: &str) -> Resolution {
        self.resolve_labels(namespace, &self.namespace_labels(namespace), None)
    }

    /// The revision that would inject a pod created now from this template.
    pub fn resolve_template(&self, namespace: &str, template: &PodTemplate) -> Resolution {
        self.resolve_labels(
            namespace,
            &self.namespace_labels(namespace),
            Some(template.into()),
        )
    }

    /// The revision that would inject a new pod of this workload.
    pub fn resolve_workload(&self, workload: &Workload) -> Resolution {
        self.resolve_template(workload.namespace(), &workload.template)
    }

    /// The revision that would inject this pod if it were created now.
    pub fn resolve_pod(&self, pod: &Pod) -> Resolution {
        self.resolve_labels(
            pod.namespace(),
            &self.namespace_labels(pod.namespace()),
            Some(pod.into()),
        )
    }
}
