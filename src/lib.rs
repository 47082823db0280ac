//! meshrev: service-mesh control-plane revisions as data.
//!
//! It never talks to a cluster. You bring objects in (what `kubectl get -o yaml`
//! printed, or `k8s-openapi` values from your own client) and take answers out.

#![warn(missing_docs)]

mod error;
pub mod labels;
pub mod mesh;
pub mod resolve;
pub mod snapshot;
pub mod status;

pub use error::{Error, Location, ObjectRef, Result};
pub use mesh::Mesh;
pub use resolve::Resolution;
pub use snapshot::{Snapshot, SnapshotBuilder};
pub use status::Status;
