//! Revision tags: upstream tag webhook configurations (`istio.io/tag`), then Sail
//! `IstioRevisionTag`s. The webhook configuration wins when both exist, since the
//! API server acts on it.

use super::Discovered;
use super::sail::active_revision;
use super::warning::{MeshWarning, WarningKind};
use crate::labels;
use crate::mesh::revision::{Family, Tag};
use crate::snapshot::{Snapshot, TagTargetKind};

pub(super) fn discover(s: &Snapshot, d: &mut Discovered) {
    for mwc in s.webhook_configurations() {
        let Some(tag) = mwc.meta.labels.get(labels::TAG) else {
            continue;
        };
        d.tags.insert(
            tag.clone(),
            Tag {
                name: tag.clone(),
                revision: mwc.meta.labels.get(labels::REV).cloned(),
                source: mwc.meta.object_ref("MutatingWebhookConfiguration"),
            },
        );
    }
    for t in s.istio_revision_tags() {
        let revision = match t.target_kind {
            TagTargetKind::IstioRevision => Some(t.target_name.clone()),
            TagTargetKind::Istio => t.status_revision.clone().or_else(|| {
                s.istios()
                    .find(|i| i.meta.name == t.target_name)
                    .map(active_revision)
            }),
        };
        let object = t.meta.object_ref("IstioRevisionTag");
        // The operator refuses a tag whose target does not exist (sail-operator
        // `controllers/istiorevisiontag/istiorevisiontag_controller.go` `validate`
        // -> ReferenceNotFound) and installs nothing for it.
        let found = match t.target_kind {
            TagTargetKind::IstioRevision => d
                .revisions
                .get(&t.target_name)
                .is_some_and(|r| r.family == Family::Sail),
            TagTargetKind::Istio => s.istios().any(|i| i.meta.name == t.target_name),
        };
        let revision = if found || d.tags.contains_key(&t.meta.name) {
            revision
        } else {
            d.warnings.push(MeshWarning::new(
                WarningKind::TagTargetNotFound,
                object.clone(),
                format!(
                    "targets {:?} {}, which is not in the snapshot: the Sail operator refuses \
                     the tag (ReferenceNotFound) and installs no webhook for it",
                    t.target_kind, t.target_name
                ),
            ));
            None
        };
        match d.tags.get_mut(&t.meta.name) {
            Some(existing) => {
                if existing.revision != revision {
                    let message = format!(
                        "tag targets {} but its webhook configuration {} sends to {}",
                        revision.as_deref().unwrap_or("nothing"),
                        existing.source.name,
                        existing.revision.as_deref().unwrap_or("nothing")
                    );
                    d.warnings.push(MeshWarning::new(
                        WarningKind::TagTargetMismatch,
                        object,
                        message,
                    ));
                }
            }
            None => {
                d.tags.insert(
                    t.meta.name.clone(),
                    Tag {
                        name: t.meta.name.clone(),
                        revision,
                        source: object,
                    },
                );
            }
        }
    }
}
