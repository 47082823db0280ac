//! The simulated end state of a plan: what status would report once every step
//! ran, for the namespaces in scope, so a reviewer sees the destination.

use serde::{Deserialize, Serialize};

use crate::labels::Labels;
use crate::mesh::Mesh;
use crate::status::{Kind, Running, Status};

/// The cluster after the plan, as the simulation left it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndState {
    /// Each namespace in scope, by name.
    pub namespaces: Vec<NamespaceEnd>,
    /// Each revision that still exists, with the namespaces in scope it injects.
    pub revisions: Vec<RevisionEnd>,
}

/// One namespace after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceEnd {
    /// The namespace.
    pub name: String,
    /// All its labels (only injection keys differ from before).
    pub labels: Labels,
    /// Its injector.
    pub injector: Option<String>,
    /// Its workloads.
    pub workloads: Vec<WorkloadEnd>,
}

/// One workload after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadEnd {
    /// Its kind (JSON: `Deployment`, ..., or `Pod` for a bare pod).
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// The revision a new pod would get.
    pub injector: Option<String>,
    /// What its live pods run (JSON: revision names, `unknown` for an unrecorded sidecar).
    pub running: Vec<Running>,
    /// Whether some pod still runs another revision than its injector.
    pub needs_restart: bool,
}

/// One revision after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionEnd {
    /// The revision.
    pub name: String,
    /// Namespaces in scope it injects.
    pub namespaces: Vec<String>,
}

impl EndState {
    /// Reads the end state of these namespaces off a (simulated) mesh: the
    /// status of those namespaces alone ([`Status::of_namespaces`]), so the cost
    /// grows with the namespaces in scope, not with the cluster.
    pub fn of<'a>(mesh: &Mesh, namespaces: impl IntoIterator<Item = &'a str>) -> EndState {
        let snapshot = mesh.snapshot();
        // Only namespaces the cluster still holds anything of, as `Status::of` has them.
        let names: Vec<&str> = namespaces
            .into_iter()
            .filter(|n| {
                snapshot.namespace(n).is_some()
                    || snapshot.pods_in(n).next().is_some()
                    || snapshot.workloads_in(n).next().is_some()
            })
            .collect();
        let status = Status::namespaces_only(mesh, names);
        // The status rows are moved, not copied: a plan over 5,000 namespaces
        // has 20,000 workloads in them.
        let namespaces: Vec<NamespaceEnd> = status
            .namespaces
            .into_iter()
            .map(|n| NamespaceEnd {
                labels: snapshot
                    .namespace(&n.name)
                    .map(|ns| ns.meta.labels.clone())
                    .unwrap_or_default(),
                name: n.name,
                injector: n.injector,
                workloads: n
                    .workloads
                    .into_iter()
                    .map(|w| WorkloadEnd {
                        kind: w.kind,
                        name: w.name,
                        injector: w.injector,
                        running: w.running,
                        needs_restart: w.needs_restart,
                    })
                    .collect(),
            })
            .collect();
        let revisions = mesh
            .revisions()
            .map(|r| RevisionEnd {
                name: r.name.clone(),
                namespaces: namespaces
                    .iter()
                    .filter(|n| n.injector.as_deref() == Some(r.name.as_str()))
                    .map(|n| n.name.clone())
                    .collect(),
            })
            .collect();
        EndState {
            namespaces,
            revisions,
        }
    }
}
