//! Rule functions that are public only so that the upstream-table tests
//! (`tests/upstream_*.rs`) can check them row by row against the tables in
//! Istio, Maistra and the Sail operator. Not part of the API: hidden from the
//! docs and free to change in any release. Use [`Mesh`](crate::Mesh),
//! [`Status`](crate::Status) and [`resolve`](crate::resolve) instead.

pub use crate::mesh::membership::{
    cluster_wide_default_selector, is_excluded_namespace, is_member, roll_includes,
};
pub use crate::resolve::decision::{PodView, inject_required};

/// The Sail operator's "revision in use" verdict for one revision (what
/// [`RevisionStatus::in_use`](crate::status::RevisionStatus::in_use) and
/// `in_use_by` hold), for `tests/upstream_sail_in_use.rs`.
pub fn in_use(
    mesh: &crate::Mesh,
    revision: &crate::mesh::Revision,
) -> (bool, Vec<crate::status::InUse>) {
    crate::status::in_use(mesh, revision)
}

/// The revision a namespace references for the Sail operator's in-use verdict.
pub fn namespace_reference(namespace_labels: &crate::labels::Labels) -> Option<&str> {
    crate::status::namespace_reference(namespace_labels)
}

/// The revision a pod references by label for the Sail operator's in-use verdict.
pub fn pod_reference(pod_labels: &crate::labels::Labels) -> Option<&str> {
    crate::status::pod_reference(pod_labels)
}
