//! What a user names on a command line: `<namespace>` or
//! `<namespace>/<pod or workload>`, looked up in a snapshot.

use super::{Pod, Snapshot, Workload, WorkloadKind};

/// An object a user asked about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target<'a> {
    /// A namespace, whether or not the snapshot holds it (a missing one is resolved
    /// with no labels but its name).
    Namespace(&'a str),
    /// A pod.
    Pod(&'a Pod),
    /// A workload: a pod owner other than a ReplicaSet is preferred when names clash.
    Workload(&'a Workload),
}

impl Snapshot {
    /// Looks up `<namespace>` or `<namespace>/<name>`; a name is a pod first, then a
    /// workload. `None` when the name is neither (a namespace always resolves).
    ///
    /// ```
    /// use meshrev::Snapshot;
    /// use meshrev::snapshot::Target;
    ///
    /// let s = Snapshot::from_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: web}]}\n")?;
    /// assert!(matches!(s.find_target("shop/web"), Some(Target::Pod(_))));
    /// assert!(matches!(s.find_target("shop"), Some(Target::Namespace("shop"))));
    /// assert!(s.find_target("shop/api").is_none());
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn find_target<'a>(&'a self, target: &'a str) -> Option<Target<'a>> {
        let Some((ns, name)) = target.split_once('/') else {
            return Some(Target::Namespace(target));
        };
        if let Some(pod) = self.pod(ns, name) {
            return Some(Target::Pod(pod));
        }
        let named = |w: &&Workload| w.namespace() == ns && w.meta.name == name;
        self.workloads()
            .filter(named)
            .find(|w| w.kind != WorkloadKind::ReplicaSet)
            .or_else(|| self.workloads().find(named))
            .map(Target::Workload)
    }
}
