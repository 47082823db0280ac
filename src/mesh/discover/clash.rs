//! A Sail `IstioRevisionTag` and a Sail revision with the same name: the operator
//! installs only the older object and refuses the newer (sail-operator
//! `controllers/istiorevisiontag/istiorevisiontag_controller.go` `validate` ->
//! NameAlreadyExists, `controllers/istiorevision/istiorevision_controller.go`
//! `validateNoTagConflict`, `pkg/validation/validation.go`
//! `ResourceTakesPrecedence`: creation timestamp, then name). The snapshot's
//! webhook configurations, when they show which one exists, decide instead.

use super::Discovered;
use super::warning::{MeshWarning, WarningKind};
use crate::labels;
use crate::mesh::revision::Family;
use crate::snapshot::Snapshot;

/// Which of the two the cluster has.
enum Winner {
    Tag,
    Revision,
}

pub(super) fn discover(s: &Snapshot, d: &mut Discovered) {
    for t in s.istio_revision_tags() {
        let name = &t.meta.name;
        let Some(rev) = d.revisions.get(name).filter(|r| r.family == Family::Sail) else {
            continue;
        };
        // Only a tag that Sail itself would render (no tag configuration read from
        // the cluster under another owner).
        if d.tags
            .get(name)
            .is_none_or(|tag| tag.source.kind != "IstioRevisionTag")
        {
            continue;
        }
        let mwc_for = |tagged: bool| {
            s.webhook_configurations().any(|m| {
                m.meta.labels.get(labels::TAG).map(String::as_str)
                    == tagged.then_some(name.as_str())
                    && (tagged || m.meta.labels.get(labels::REV) == Some(name))
            })
        };
        let revision_time = s
            .istio_revisions()
            .find(|r| &r.meta.name == name)
            .map(|r| &r.meta)
            .or_else(|| {
                s.istios()
                    .find(|i| {
                        rev.control_plane.kind == "Istio" && i.meta.name == rev.control_plane.name
                    })
                    .map(|i| &i.meta)
            })
            .and_then(|m| m.creation_timestamp.clone());
        let winner = match (mwc_for(true), mwc_for(false)) {
            (true, false) => Winner::Tag,
            (false, true) => Winner::Revision,
            // RFC 3339 UTC timestamps sort as text; equal or unknown: the revision,
            // which names its own istiod.
            _ => match (&t.meta.creation_timestamp, &revision_time) {
                (Some(tag), Some(rev)) if tag < rev => Winner::Tag,
                _ => Winner::Revision,
            },
        };
        let (loser, message) = match winner {
            Winner::Revision => (
                t.meta.object_ref("IstioRevisionTag"),
                format!(
                    "has the name of revision {name} ({}), which is older: the Sail operator \
                     refuses the tag (NameAlreadyExists) and installs nothing for it",
                    rev.control_plane
                ),
            ),
            Winner::Tag => (
                rev.control_plane.clone(),
                format!(
                    "has the name of IstioRevisionTag {name}, which is older: the Sail operator \
                     refuses the revision (validateNoTagConflict) and installs no istiod or \
                     webhook for it"
                ),
            ),
        };
        d.warnings.push(MeshWarning::new(
            WarningKind::RevisionNameClash,
            loser,
            message,
        ));
        match winner {
            Winner::Revision => {
                d.tags.remove(name);
            }
            Winner::Tag => {
                d.revisions.remove(name);
            }
        }
    }
}
