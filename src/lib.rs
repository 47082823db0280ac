//! meshrev: service-mesh control-plane revisions as data.
//!
//! Canary upgrades of Istio, and the migration from OpenShift Service Mesh 2
//! (Maistra) to 3 (the Sail operator), run two control-plane *revisions* side by
//! side. Labels on namespaces and pods decide which revision's webhook injects the
//! sidecar into a new pod; a restart moves a running workload over. meshrev answers,
//! exactly as the API server and istiod would:
//!
//! - which revision injects each namespace, workload template and pod, and why
//!   ([`Mesh::resolve_namespace`], [`Resolution`]);
//! - which revision injected each running pod, so what needs a restart, which
//!   revisions are still in use, and how far a migration has come ([`Status`]);
//! - what a change would do before anyone makes it: an [`Edit`] (relabel a
//!   namespace, restart a workload, move a tag, delete a control plane) applied to
//!   a cheap copy of the model ([`Mesh::apply`], [`Mesh::restart`]), re-checked for
//!   just the namespaces it touched ([`Status::of_namespaces`]).
//!
//! # What it does not do
//!
//! It does no I/O towards a cluster and reads no clock. You bring objects in, as the
//! text `kubectl get ... -o yaml` (or `-o json`) printed, or as `k8s-openapi` values
//! your own client returned ([`SnapshotBuilder::add_serialized`]); you take plain
//! values out.
//!
//! # Features
//!
//! - `k8s-openapi` (off by default): `TryFrom<&k8s_openapi::...>` conversions and
//!   `SnapshotBuilder::add` for typed objects. k8s-openapi builds only with a
//!   Kubernetes version feature, which your binary picks
//!   (`k8s-openapi = { version = "0.29", features = ["latest"] }`). Without the
//!   feature nothing pulls k8s-openapi in, and objects of any k8s-openapi version
//!   (or kube-rs `DynamicObject`s) go through
//!   [`SnapshotBuilder::add_serialized`], their JSON read like text.
//!
//! # Collecting a snapshot
//!
//! The core kinds meshrev reads, then the mesh's own kinds (list only those your
//! cluster has: `kubectl` refuses unknown resource types), one file each in a
//! folder (appending the second to the first would glue two documents into one
//! with every key twice):
//!
//! ```text
//! mkdir cluster
//! kubectl get namespaces,pods,deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,mutatingwebhookconfigurations,configmaps -A -o yaml > cluster/core.yaml
//! kubectl get smcp,smmr,smm,istio,istiorevision,istiorevisiontag,kiali,deploymentconfigs -A -o yaml > cluster/mesh.yaml
//! ```
//!
//! Read the folder with [`Snapshot::from_path`] (which also takes a file, or an
//! `oc adm must-gather` tree), or several sources with [`SnapshotBuilder`].
//!
//! # Data flow
//!
//! ```text
//! YAML / JSON / k8s-openapi objects
//!     -> Snapshot   typed, validated objects; unknown kinds counted and skipped;
//!                   cheap to clone, changed by Edits as the cluster would change
//!     -> Mesh       revisions, tags, default revision, compiled injection webhooks
//!     -> Resolution which revision injects a namespace / template / pod, and why
//!     -> Status     desired vs running revision per workload; in use; progress
//!     -> Findings   stable-coded problems: conflicting labels, double injection, ...
//!     -> Topology   revisions, data planes, namespaces, workloads as a graph;
//!                   DOT, Mermaid and Kiali-style JSON
//!     -> Plan       waves of steps moving namespaces to a target revision, each
//!                   proven on a copy of the model; kubectl script, runbook, rollback
//! ```
//!
//! # Example: mid-migration from OSSM 2.6 to 3.0
//!
//! Namespace `mercury` was relabelled from the 2.6 control plane `basic` to the 3.0
//! revision `ossm3`, but its pods were not restarted yet:
//!
//! ```
//! use meshrev::{Mesh, Snapshot, Status};
//!
//! let snapshot = Snapshot::from_yaml(r#"
//! apiVersion: maistra.io/v2
//! kind: ServiceMeshControlPlane
//! metadata: {name: basic, namespace: istio-system}
//! spec: {version: v2.6, mode: ClusterWide}
//! ---
//! apiVersion: sailoperator.io/v1
//! kind: Istio
//! metadata: {name: ossm3}
//! spec: {version: v1.24.3, namespace: istio-system}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: mercury
//!   labels: {maistra.io/ignore-namespace: "true", istio.io/rev: ossm3}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: venus
//!   labels: {istio-injection: enabled, maistra.io/member-of: istio-system}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata:
//!   name: web-5d9c-abcde
//!   namespace: mercury
//!   labels: {app: web}
//!   annotations: {istio.io/rev: basic, sidecar.istio.io/inject: "true"}
//! spec:
//!   containers: [{name: web}, {name: istio-proxy}]
//! "#)?;
//! let mesh = Mesh::new(snapshot);
//!
//! // Who injects each namespace now, and why.
//! assert_eq!(mesh.resolve_namespace("mercury").revision(), Some("ossm3"));
//! assert_eq!(mesh.resolve_namespace("venus").revision(), Some("basic"));
//! println!("{}", mesh.resolve_namespace("venus"));
//!
//! // The pod still runs the sidecar `basic` injected: it needs a restart.
//! let status = Status::of(&mesh);
//! let pod = &status.pods[0];
//! assert_eq!((pod.injector.as_deref(), pod.running.revision()), (Some("ossm3"), Some("basic")));
//! assert!(status.needs_restart().count() == 1);
//! # Ok::<(), meshrev::Error>(())
//! ```
//!
//! # Modules
//!
//! - [`domain`]: the mesh facts meshrev models (webhooks, istiod's decision, Sail,
//!   Maistra, the migration), each with its upstream source; code, tests and
//!   fixtures cite its sections (`docs/domain.md`).
//! - [`snapshot`]: reading and validating cluster objects.
//! - [`labels`]: well-known keys, name and label syntax, label selectors.
//! - [`mesh`]: control-plane discovery for upstream Istio, Sail and Maistra.
//! - [`resolve`]: webhook evaluation and istiod's `injectRequired`.
//! - [`status`]: running revisions, drift, in-use verdicts, progress.
//! - [`analyze`](mod@analyze): findings with stable codes, each explained with its upstream source.
//! - [`topology`]: the mesh as a petgraph graph, its queries, diffs and exports.
//! - [`plan`]: migration plans as data: waves of steps with pre- and postconditions.
//! - [`exec`]: carrying a plan out with any client: a sans-IO run, its journal,
//!   and a simulated cluster with fault injection.

#![warn(missing_docs)]
// `pub` means part of the API; everything else says `pub(crate)`.
#![warn(unreachable_pub)]
// Errors carry the location, object and field they name; they are built only on
// the failure path, so their size costs nothing where it matters.
#![allow(clippy::result_large_err)]

pub mod analyze;
#[doc = include_str!("../docs/domain.md")]
pub mod domain {}
mod error;
pub mod exec;
#[doc(hidden)]
pub mod internal;
pub mod labels;
pub mod mesh;
pub mod plan;
pub mod resolve;
mod rollout;
pub mod snapshot;
pub mod status;
pub mod topology;

/// Re-exported: [`Topology::graph`] is a petgraph graph.
pub use petgraph;
/// Re-exported: [`SnapshotBuilder::add_value`] takes a `serde_json::Value`, and
/// Sail `values` are one.
pub use serde_json;

pub use analyze::{Code, Finding, Severity, analyze, analyze_with_status};
pub use error::{Error, Location, Result};
pub use mesh::Mesh;
pub use plan::{Plan, PlanError};
pub use resolve::Resolution;
pub use snapshot::{Edit, EditError, ObjectRef, Snapshot, SnapshotBuilder, WorkloadId};
pub use status::Status;
pub use topology::Topology;
