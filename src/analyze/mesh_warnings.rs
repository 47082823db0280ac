//! What model discovery found odd: each [`MeshWarning`] becomes a finding
//! (MR0018 to MR0024).

use super::{Analyzer, Code};
use crate::mesh::{MeshWarning, WarningKind};

impl Analyzer<'_> {
    pub(super) fn mesh_warnings(&mut self) {
        for w in self.mesh.warnings() {
            let code = classify(w);
            self.push(code, w.object.clone(), w.message.clone());
        }
    }
}

/// Which code a discovery warning is.
fn classify(w: &MeshWarning) -> Code {
    match w.kind {
        WarningKind::UnreadableInjectorConfig => Code::UnreadableInjectorConfig,
        WarningKind::InvalidInjectorSelectors => Code::InvalidInjectorSelectors,
        WarningKind::InvalidDiscoverySelectors => Code::InvalidDiscoverySelectors,
        WarningKind::RevisionNameClash => Code::RevisionNameClash,
        WarningKind::TagTargetMismatch => Code::TagTargetMismatch,
        WarningKind::WebhookWithoutTarget => Code::WebhookWithoutTarget,
        WarningKind::WebhookToUnknownRevision => Code::WebhookToUnknownRevision,
        WarningKind::TagTargetNotFound => Code::TagTargetNotFound,
    }
}
