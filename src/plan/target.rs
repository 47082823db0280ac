//! Where a plan goes and from where: the target revision, the source revisions,
//! the strategy, and the refusals that come before any step is planned.

use std::collections::BTreeSet;

use super::error::PlanError;
use super::request::Request;
use super::strategy::Strategy;
use super::{SourceRevision, Target};
use crate::labels::{self, Labels};
use crate::mesh::{Family, Mesh, Revision, Via};
use crate::resolve::Resolution;
use crate::snapshot::ObjectRef;
use crate::snapshot::{ControlPlaneMode, Istio, UpdateStrategy};
use crate::status::{is_live, running_name};

/// The decisions taken before any step: target, sources, strategy.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub target: Target,
    pub sources: Vec<SourceRevision>,
    pub strategy: Strategy,
    /// The `Istio` behind a Sail target, when there is one.
    pub istio: Option<Istio>,
}

/// Resolves `--to`: a revision, a tag, or (for InPlace) an `Istio` by name.
pub(crate) fn resolve_target(mesh: &Mesh, request: &Request) -> Result<Target, PlanError> {
    let name = request.target.as_str();
    if let Some(r) = mesh.revision(name) {
        return Ok(Target {
            name: name.to_owned(),
            revision: r.name.clone(),
            version: request.version.clone().or_else(|| r.version.clone()),
        });
    }
    if let Some(tag) = mesh.tag(name) {
        return match tag.revision.as_deref().and_then(|r| mesh.revision(r)) {
            Some(r) => Ok(Target {
                name: name.to_owned(),
                revision: r.name.clone(),
                version: r.version.clone(),
            }),
            None => Err(PlanError::TagResolvesNowhere {
                tag: name.to_owned(),
                defined_by: tag.source.clone(),
            }),
        };
    }
    if let Some(istio) = mesh.snapshot().istios().find(|i| i.meta.name == name) {
        let revision = crate::mesh::sail_revision_name(istio);
        if mesh.revision(&revision).is_some() {
            return Ok(Target {
                name: name.to_owned(),
                revision,
                version: request.version.clone().or_else(|| istio.version.clone()),
            });
        }
    }
    Err(PlanError::UnknownTarget {
        name: name.to_owned(),
        revisions: mesh.revisions().map(|r| r.name.clone()).collect(),
        tags: mesh.tags().map(|t| t.name.clone()).collect(),
    })
}

/// Whether a namespace is the Maistra control plane's own namespace (labelled a
/// member by the operator; it holds the control plane, not workloads).
pub(crate) fn is_own_namespace(mesh: &Mesh, revision: &str, namespace: &str) -> bool {
    mesh.revision(revision)
        .is_some_and(|r| r.family == Family::Maistra && r.namespace == namespace)
}

/// Revisions other than the target that inject a namespace or run a live pod.
fn revisions_in_use(mesh: &Mesh, target: &str) -> Vec<String> {
    let s = mesh.snapshot();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for ns in s.namespaces() {
        if let Some(r) = mesh.resolve_namespace(ns.name()).revision()
            && r != target
            && !used.contains(r)
            && !is_own_namespace(mesh, r, ns.name())
        {
            used.insert(r.to_owned());
        }
    }
    for pod in s.pods().filter(|p| is_live(p)) {
        if let Some(r) = running_name(pod)
            && r != target
            && !used.contains(r)
            && mesh.revision(r).is_some()
        {
            used.insert(r.to_owned());
        }
    }
    used.into_iter().collect()
}

fn source(r: &Revision) -> SourceRevision {
    SourceRevision {
        name: r.name.clone(),
        control_plane: r.control_plane.clone(),
        version: r.version.clone(),
    }
}

/// Target, sources and strategy, with the refusals that need no step.
pub(crate) fn route(mesh: &Mesh, request: &Request) -> Result<Route, PlanError> {
    if request.batch == Some(0) {
        return Err(PlanError::ZeroBatch);
    }
    for ns in request
        .namespaces
        .iter()
        .flatten()
        .chain(request.canary.as_ref())
    {
        if mesh.snapshot().namespace(ns).is_none() {
            return Err(PlanError::UnknownNamespace {
                namespace: ns.clone(),
            });
        }
    }
    let target = resolve_target(mesh, request)?;
    let target_rev =
        mesh.revision(&target.revision)
            .cloned()
            .ok_or_else(|| PlanError::UnknownTarget {
                name: target.name.clone(),
                revisions: mesh.revisions().map(|r| r.name.clone()).collect(),
                tags: mesh.tags().map(|t| t.name.clone()).collect(),
            })?;
    let istio = sail_istio(mesh, &target_rev);
    // After a Sail InPlace `spec.version` change the revision keeps its name, but
    // its pods run the old proxy until restarted (sail-operator
    // docs/update-strategy/update-strategy.adoc): `--to <that revision>` with no
    // version is then the restart half of the in-place upgrade, at the version
    // the Istio already has.
    // Read at most once (a scan of every pod), by whichever question needs it first.
    let in_use = std::cell::OnceCell::new();
    let in_use = || in_use.get_or_init(|| revisions_in_use(mesh, &target_rev.name));
    let caught_up;
    let request = match istio.as_ref() {
        Some(i)
            if request.strategy.is_none()
                && request.version.is_none()
                && i.update_strategy == UpdateStrategy::InPlace
                && i.version.is_some()
                && runs_outdated_proxies(mesh, &target_rev.name, in_use()) =>
        {
            caught_up = Request {
                version: i.version.clone(),
                ..request.clone()
            };
            &caught_up
        }
        _ => request,
    };
    let in_place = request.strategy == Some(Strategy::InPlace)
        || (request.strategy.is_none() && request.version.is_some());
    let source_names: Vec<String> = if !request.from.is_empty() {
        for name in &request.from {
            if mesh.revision(name).is_none() {
                return Err(PlanError::UnknownSource {
                    name: name.clone(),
                    revisions: mesh.revisions().map(|r| r.name.clone()).collect(),
                });
            }
        }
        request.from.clone()
    } else if in_place {
        vec![target_rev.name.clone()]
    } else {
        in_use().clone()
    };
    let sources: Vec<SourceRevision> = source_names
        .iter()
        .filter_map(|n| mesh.revision(n))
        .map(source)
        .collect();
    let strategy = match request.strategy {
        Some(s) => s,
        None => choose(
            mesh,
            request,
            &target,
            &target_rev,
            istio.as_ref(),
            &sources,
        ),
    };
    let route = Route {
        target,
        sources,
        strategy,
        istio,
    };
    preflight(mesh, request, &route, &target_rev)?;
    Ok(route)
}

/// Whether live pods injected by `revision` run an older proxy than its version
/// (and no other revision is left to move from: `in_use`, the revisions other
/// than `revision` that inject or run something).
fn runs_outdated_proxies(mesh: &Mesh, revision: &str, in_use: &[String]) -> bool {
    in_use.is_empty()
        && crate::status::Status::of(mesh)
            .namespaces
            .iter()
            .flat_map(|n| &n.workloads)
            .any(|w| w.outdated_proxy.is_some() && w.injector.as_deref() == Some(revision))
}

/// The Sail `Istio` that owns a revision.
fn sail_istio(mesh: &Mesh, revision: &Revision) -> Option<Istio> {
    if revision.family != Family::Sail {
        return None;
    }
    mesh.snapshot()
        .istios()
        .find(|i| {
            crate::mesh::sail_revision_name(i) == revision.name
                || i.active_revision_name.as_deref() == Some(&revision.name)
                || (i.update_strategy == UpdateStrategy::RevisionBased
                    && revision.name.starts_with(&format!("{}-", i.meta.name)))
        })
        .cloned()
}

/// The strategy the mesh and the target call for.
fn choose(
    mesh: &Mesh,
    request: &Request,
    target: &Target,
    target_rev: &Revision,
    istio: Option<&Istio>,
    sources: &[SourceRevision],
) -> Strategy {
    let maistra_source = sources.iter().find_map(|s| {
        mesh.revision(&s.name)
            .filter(|r| r.family == Family::Maistra)
    });
    if let Some(smcp) = maistra_source {
        return match smcp.mode {
            Some(ControlPlaneMode::ClusterWide) if target_rev.name == "default" => {
                Strategy::OssmSimple
            }
            Some(ControlPlaneMode::ClusterWide) => Strategy::OssmClusterWide,
            _ => Strategy::OssmMultiTenant,
        };
    }
    if request.version.is_some() {
        return Strategy::InPlace;
    }
    if let Some(istio) = istio
        && istio.update_strategy == UpdateStrategy::RevisionBased
        && sources.iter().all(|s| {
            mesh.revision(&s.name)
                .is_some_and(|r| r.family == Family::Sail)
        })
    {
        return Strategy::RevisionBased;
    }
    // Upstream: a tag move when every namespace that reaches a source does so
    // through a tag and the caller named a revision.
    let via_tag_only = target.name == target.revision && {
        let mut any = false;
        let all = mesh
            .snapshot()
            .namespaces()
            .all(|ns| match mesh.resolve_namespace(ns.name()) {
                Resolution::Injected { revision, via, .. }
                    if sources.iter().any(|s| s.name == revision) =>
                {
                    any = true;
                    matches!(via, Via::Tag(_) | Via::DefaultRevision)
                }
                _ => true,
            });
        any && all
    };
    if via_tag_only {
        Strategy::TagMove
    } else {
        Strategy::CanaryRelabel
    }
}

/// `(major, minor)` of `v1.24.3`, `1.24`, `v2.6`.
pub(crate) fn minor_version(version: &str) -> Option<(u64, u64)> {
    let v = version.trim_start_matches('v');
    let mut parts = v.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn check_skew(
    strategy: Strategy,
    from: &SourceRevision,
    to: &str,
    to_version: Option<&str>,
    allowed: u64,
) -> Result<(), PlanError> {
    let (Some(fv), Some(tv)) = (from.version.as_deref(), to_version) else {
        return Ok(());
    };
    let (Some((fmaj, fmin)), Some((tmaj, tmin))) = (minor_version(fv), minor_version(tv)) else {
        return Ok(());
    };
    if fmaj != tmaj {
        return Ok(());
    }
    let minors = tmin.abs_diff(fmin);
    if minors > allowed {
        return Err(PlanError::VersionSkew {
            from: from.name.clone(),
            from_version: fv.to_owned(),
            to: to.to_owned(),
            to_version: tv.to_owned(),
            minors,
            allowed,
            strategy,
        });
    }
    Ok(())
}

/// Refusals that depend only on the route, not on steps.
fn preflight(
    mesh: &Mesh,
    request: &Request,
    route: &Route,
    target_rev: &Revision,
) -> Result<(), PlanError> {
    let strategy = route.strategy;
    let not_applicable = |why: String| PlanError::StrategyNotApplicable { strategy, why };
    match strategy {
        Strategy::CanaryRelabel | Strategy::TagMove => {
            for s in &route.sources {
                check_skew(
                    strategy,
                    s,
                    &target_rev.name,
                    target_rev.version.as_deref(),
                    2,
                )?;
            }
            if strategy == Strategy::TagMove
                && mesh.tags().all(|t| {
                    !route
                        .sources
                        .iter()
                        .any(|s| t.revision.as_deref() == Some(&s.name))
                })
            {
                return Err(not_applicable(format!(
                    "no tag leads to {}; use canary-relabel",
                    names(&route.sources)
                )));
            }
        }
        Strategy::InPlace => {
            let Some(istio) = &route.istio else {
                return Err(not_applicable(format!(
                    "revision {} is not made by a Sail Istio",
                    target_rev.name
                )));
            };
            if istio.update_strategy != UpdateStrategy::InPlace {
                return Err(not_applicable(format!(
                    "Istio {} uses updateStrategy RevisionBased; use revision-based",
                    istio.meta.name
                )));
            }
            let Some(version) = &request.version else {
                return Err(PlanError::MissingVersion {
                    istio: istio.meta.name.clone(),
                });
            };
            for s in &route.sources {
                check_skew(strategy, s, &istio.meta.name, Some(version), 1)?;
            }
        }
        Strategy::RevisionBased => {
            if route.istio.as_ref().map(|i| i.update_strategy)
                != Some(UpdateStrategy::RevisionBased)
            {
                return Err(not_applicable(format!(
                    "revision {} does not belong to a RevisionBased Istio",
                    target_rev.name
                )));
            }
            for s in &route.sources {
                check_skew(
                    strategy,
                    s,
                    &target_rev.name,
                    target_rev.version.as_deref(),
                    2,
                )?;
            }
        }
        Strategy::OssmClusterWide
        | Strategy::OssmDefaultTag
        | Strategy::OssmSimple
        | Strategy::OssmMultiTenant => ossm_preflight(mesh, route, target_rev)?,
    }
    Ok(())
}

fn names(sources: &[SourceRevision]) -> String {
    sources
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The prerequisites of the OSSM 2.6 -> 3.0 migration guide.
fn ossm_preflight(mesh: &Mesh, route: &Route, target_rev: &Revision) -> Result<(), PlanError> {
    let strategy = route.strategy;
    let not_applicable = |why: String| PlanError::StrategyNotApplicable { strategy, why };
    if target_rev.family != Family::Sail {
        return Err(not_applicable(format!(
            "the target {} is not an OSSM 3 (Sail) revision",
            target_rev.name
        )));
    }
    let smcps: Vec<&Revision> = route
        .sources
        .iter()
        .filter_map(|s| mesh.revision(&s.name))
        .filter(|r| r.family == Family::Maistra)
        .collect();
    let Some(smcp) = smcps.first() else {
        return Err(not_applicable(
            "no ServiceMeshControlPlane is among the sources".to_owned(),
        ));
    };
    let version = smcp.version.as_deref().unwrap_or("an unknown version");
    if minor_version(version).is_none_or(|v| v < (2, 6)) {
        return Err(PlanError::SmcpTooOld {
            smcp: smcp.control_plane.clone(),
            version: version.to_owned(),
        });
    }
    if target_rev.namespace != smcp.namespace {
        return Err(PlanError::IstioNamespaceMismatch {
            istio: route
                .istio
                .as_ref()
                .map_or_else(|| target_rev.name.clone(), |i| i.meta.name.clone()),
            namespace: target_rev.namespace.clone(),
            smcp: smcp.control_plane.clone(),
            smcp_namespace: smcp.namespace.clone(),
        });
    }
    let mode = smcp.mode.unwrap_or_default();
    let istio_name = route
        .istio
        .as_ref()
        .map_or(target_rev.name.as_str(), |i| i.meta.name.as_str());
    match strategy {
        Strategy::OssmMultiTenant if mode != ControlPlaneMode::MultiTenant => {
            return Err(not_applicable(format!(
                "{} is ClusterWide; use ossm-cluster-wide",
                smcp.control_plane
            )));
        }
        Strategy::OssmClusterWide | Strategy::OssmDefaultTag | Strategy::OssmSimple
            if mode != ControlPlaneMode::ClusterWide =>
        {
            return Err(not_applicable(format!(
                "{} is MultiTenant; use ossm-multi-tenant",
                smcp.control_plane
            )));
        }
        Strategy::OssmClusterWide | Strategy::OssmDefaultTag if target_rev.name == "default" => {
            return Err(PlanError::DefaultIstioForbidden {
                istio: istio_name.to_owned(),
                strategy,
            });
        }
        Strategy::OssmSimple if target_rev.name != "default" => {
            return Err(not_applicable(format!(
                "the simple variant needs an InPlace Istio named default; the target is {}",
                target_rev.name
            )));
        }
        _ => {}
    }
    // What 3.0 does not take over must be disabled in the SMCP first (the
    // migration guide's prerequisites); only what the SMCP states is known.
    if let Some(object) = mesh.snapshot().control_planes().find(|c| {
        c.meta.name == smcp.control_plane.name
            && c.meta.namespace.as_deref() == smcp.control_plane.namespace.as_deref()
    }) && !object.enabled_features.is_empty()
    {
        return Err(PlanError::SmcpFeaturesEnabled {
            smcp: smcp.control_plane.clone(),
            features: object.enabled_features.clone(),
        });
    }
    // Gateways the SMCP deploys itself must be disabled first.
    let owner_ns = smcp.namespace.as_str();
    if let Some(gw) = mesh.snapshot().workloads().find(|w| {
        w.meta.labels.get("maistra.io/owner").map(String::as_str) == Some(owner_ns)
            && w.meta
                .labels
                .get("istio")
                .is_some_and(|v| v.contains("gateway"))
    }) {
        return Err(PlanError::SmcpManagedGateway {
            smcp: smcp.control_plane.clone(),
            workload: crate::snapshot::WorkloadId::new(
                gw.namespace(),
                gw.kind,
                gw.meta.name.clone(),
            ),
        });
    }
    Ok(())
}

/// The labels a namespace needs to fall inside the target's `discoverySelectors`:
/// the `matchLabels` of its first selector that has only `matchLabels` (the
/// tenant label of the multi-tenancy guide). `None` when no selector is that
/// simple.
pub(crate) fn discovery_labels(target_rev: &Revision) -> Option<Labels> {
    target_rev
        .discovery_selectors
        .iter()
        .find(|s| s.match_expressions().is_empty() && !s.match_labels().is_empty())
        .map(|s| s.match_labels().clone())
}

/// Whether a namespace's labels (plus `extra`) fall inside a revision's discovery.
pub(crate) fn discovered_with(mesh: &Mesh, r: &Revision, namespace: &str, extra: &Labels) -> bool {
    let mut l = mesh.namespace_labels(namespace);
    l.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    r.discovers(&l)
}

/// `kubectl -l` text of a revision's discovery selectors.
pub(crate) fn selectors_text(r: &Revision) -> String {
    r.discovery_selectors
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The object a Sail revision is made from.
pub(crate) fn revision_object(name: &str) -> ObjectRef {
    ObjectRef::new("IstioRevision", None, name)
}

/// `maistra.io/ignore-namespace`, `istio-injection`, `istio.io/rev`: here so the
/// recipes read like the guide.
pub(crate) const IGNORE: &str = labels::MAISTRA_IGNORE_NAMESPACE;
