//! What discovery found odd: public, reported by the analyzer, never fatal.

use crate::snapshot::ObjectRef;

/// The kinds of [`MeshWarning`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum WarningKind {
    /// An injector config map whose `config` or `values` cannot be read.
    UnreadableInjectorConfig,
    /// `neverInjectSelector` / `alwaysInjectSelector` in CR values that are not selectors.
    InvalidInjectorSelectors,
    /// `discoverySelectors` (CR values or the mesh config map) that cannot be read.
    InvalidDiscoverySelectors,
    /// Two control planes claim one revision name.
    RevisionNameClash,
    /// An IstioRevisionTag and its webhook configuration disagree on the target.
    TagTargetMismatch,
    /// An injection webhook with no revision label and no service.
    WebhookWithoutTarget,
    /// An injection webhook sending to a revision with no control plane.
    WebhookToUnknownRevision,
    /// A Sail `IstioRevisionTag` whose target is not in the snapshot: not installed.
    TagTargetNotFound,
}

/// Something odd found while building the model: reported as a finding, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeshWarning {
    /// What kind of oddity (the analyzer maps each to a finding code).
    pub kind: WarningKind,
    /// The object concerned.
    pub object: ObjectRef,
    /// What is wrong.
    pub message: String,
}

impl MeshWarning {
    pub(crate) fn new(kind: WarningKind, object: ObjectRef, message: impl Into<String>) -> Self {
        MeshWarning {
            kind,
            object,
            message: message.into(),
        }
    }
}
