//! What the caller asks the planner for.

use serde::{Deserialize, Serialize};

use super::strategy::Strategy;

/// A migration request: where to, from where, which namespaces, how.
///
/// ```
/// use meshrev::plan::{Request, Strategy};
///
/// let request = Request::to("ossm3")
///     .namespaces(["mercury", "venus"])
///     .canary("mercury")
///     .batch(2)
///     .strategy(Strategy::OssmClusterWide);
/// assert_eq!(request.target, "ossm3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Request {
    /// The revision or tag to move to (`--to`). For [`Strategy::InPlace`], the
    /// Istio (or its revision) to upgrade.
    pub target: String,
    /// Source revisions (`--from`); empty: every revision other than the target
    /// that injects or runs something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    /// Namespaces to move (`--namespaces`); `None`: the sources' data planes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// A strategy to force (`--strategy`); `None`: chosen from the mesh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// The canary namespace (`--canary`); `None`: the smallest by pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<String>,
    /// Namespaces per wave after the canary (`--batch`); `None`: one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
    /// The version to move to, for [`Strategy::InPlace`] (`--version v1.25.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Request {
    /// A request to move to a revision or tag; everything else chosen by the planner.
    pub fn to(target: impl Into<String>) -> Request {
        Request {
            target: target.into(),
            ..Request::default()
        }
    }

    /// Restricts the source revisions.
    pub fn from<I: IntoIterator<Item = S>, S: Into<String>>(mut self, revisions: I) -> Request {
        self.from = revisions.into_iter().map(Into::into).collect();
        self
    }

    /// Restricts the namespaces.
    pub fn namespaces<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Request {
        self.namespaces = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Forces a strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Request {
        self.strategy = Some(strategy);
        self
    }

    /// Names the canary namespace.
    pub fn canary(mut self, namespace: impl Into<String>) -> Request {
        self.canary = Some(namespace.into());
        self
    }

    /// Sets the batch size of the waves after the canary.
    pub fn batch(mut self, size: usize) -> Request {
        self.batch = Some(size);
        self
    }

    /// Sets the version an InPlace upgrade moves to.
    pub fn version(mut self, version: impl Into<String>) -> Request {
        self.version = Some(version.into());
        self
    }
}
