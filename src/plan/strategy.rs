//! The upgrade paths a plan can follow (domain.md sections 2, 4 and 6).

use serde::{Deserialize, Serialize};

/// How namespaces are moved from the source revision(s) to the target.
///
/// Chosen by the planner from the mesh and the target, or forced by the caller
/// (`--strategy`). The names are those of the documented procedures.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Upstream canary upgrade: per namespace `istio.io/rev=<target>` and
    /// `istio-injection-`, then restart.
    CanaryRelabel,
    /// Upstream tag move (`istioctl tag set T --revision R --overwrite`): retarget the
    /// tag the namespaces follow, then restart them; no relabel.
    TagMove,
    /// Sail InPlace: patch `Istio.spec.version` (one minor version per step), then
    /// restart every workload on that revision.
    InPlace,
    /// Sail RevisionBased: namespaces pinned to the old revision name are relabelled;
    /// namespaces following a tag that targets the `Istio` only restart; the old
    /// revision is pruned by the operator once unused.
    RevisionBased,
    /// OSSM 2.6 -> 3.0, ClusterWide, `istio.io/rev` variant: per namespace
    /// `maistra.io/ignore-namespace="true" istio-injection- istio.io/rev=<rev>`,
    /// restart, then delete the SMCP.
    OssmClusterWide,
    /// OSSM 2.6 -> 3.0, ClusterWide, default-tag variant: as [`Self::OssmClusterWide`],
    /// then IstioRevisionTag `default` -> the 3.0 revision, then per namespace
    /// `istio-injection=enabled istio.io/rev-` and restart.
    OssmDefaultTag,
    /// OSSM 2.6 -> 3.0, ClusterWide, "simple" variant (an `Istio` named `default`,
    /// InPlace; not for production): per namespace only
    /// `maistra.io/ignore-namespace="true"`, then restart.
    OssmSimple,
    /// OSSM 2.6 -> 3.0, MultiTenant: the tenant label the 3.0 `discoverySelectors`
    /// select, `istio.io/rev=<rev>` and `maistra.io/ignore-namespace="true"` per member
    /// namespace, restart, then delete the SMCP.
    OssmMultiTenant,
}

impl Strategy {
    /// Every strategy, in the order `--help` lists them.
    pub const ALL: [Strategy; 8] = [
        Strategy::CanaryRelabel,
        Strategy::TagMove,
        Strategy::InPlace,
        Strategy::RevisionBased,
        Strategy::OssmClusterWide,
        Strategy::OssmDefaultTag,
        Strategy::OssmSimple,
        Strategy::OssmMultiTenant,
    ];

    /// The name used on the command line and in JSON (`canary-relabel`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::CanaryRelabel => "canary-relabel",
            Strategy::TagMove => "tag-move",
            Strategy::InPlace => "in-place",
            Strategy::RevisionBased => "revision-based",
            Strategy::OssmClusterWide => "ossm-cluster-wide",
            Strategy::OssmDefaultTag => "ossm-default-tag",
            Strategy::OssmSimple => "ossm-simple",
            Strategy::OssmMultiTenant => "ossm-multi-tenant",
        }
    }

    /// One line saying what the strategy does, for `--help` and runbooks.
    pub fn summary(self) -> &'static str {
        match self {
            Strategy::CanaryRelabel => {
                "upstream canary: label each namespace istio.io/rev=<target>, then restart"
            }
            Strategy::TagMove => "move the tag the namespaces follow, then restart them",
            Strategy::InPlace => "Sail InPlace: patch the Istio's version, then restart",
            Strategy::RevisionBased => {
                "Sail RevisionBased: relabel namespaces pinned to the old revision, restart"
            }
            Strategy::OssmClusterWide => {
                "OSSM 2.6 -> 3.0 ClusterWide: ignore-namespace + istio.io/rev per namespace, restart, delete the SMCP"
            }
            Strategy::OssmDefaultTag => {
                "OSSM 2.6 -> 3.0 ClusterWide via the default tag: istio.io/rev first, then the default tag and istio-injection=enabled"
            }
            Strategy::OssmSimple => {
                "OSSM 2.6 -> 3.0 ClusterWide, simple (Istio named default): ignore-namespace per namespace, restart"
            }
            Strategy::OssmMultiTenant => {
                "OSSM 2.6 -> 3.0 MultiTenant: tenant label + istio.io/rev + ignore-namespace per member, restart"
            }
        }
    }

    /// Whether this is one of the OSSM 2.6 -> 3.0 migration paths (it ends by
    /// deleting the SMCP).
    pub fn is_ossm_migration(self) -> bool {
        matches!(
            self,
            Strategy::OssmClusterWide
                | Strategy::OssmDefaultTag
                | Strategy::OssmSimple
                | Strategy::OssmMultiTenant
        )
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Strategy::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Strategy::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown strategy {s:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for s in Strategy::ALL {
            assert_eq!(s.as_str().parse::<Strategy>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Strategy>(&json).unwrap(), s);
        }
        let err = "canary".parse::<Strategy>().unwrap_err();
        assert!(err.contains("canary-relabel"), "{err}");
    }
}
