//! Building a snapshot from many sources, checking for duplicates across them.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::Snapshot;
use super::decode::{Decoded, Keep, Object, decode, type_name};
use super::input;
#[cfg(feature = "k8s-openapi")]
use super::k8s::to_value;
use super::meta::OwnerReference;
use super::object_ref::ObjectRef;
use super::parse;
use super::shared::Interner;
use crate::error::{Error, Location, Result};
use crate::labels::Labels;

/// Collects objects from text, files, directories, readers and typed values
/// into a [`Snapshot`]. Every method chains:
///
/// ```
/// use meshrev::SnapshotBuilder;
///
/// let snapshot = SnapshotBuilder::new()
///     .add_str("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: venus}\n")?
///     .add_reader("<stdin>", "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"mars\"}}".as_bytes())?
///     .build();
/// assert_eq!(snapshot.namespaces().count(), 2);
/// # Ok::<(), meshrev::Error>(())
/// ```
///
/// With the `k8s-openapi` feature, typed objects from a client go in as they are:
///
/// ```
/// # #[cfg(feature = "k8s-openapi")] {
/// use k8s_openapi::api::core::v1::{Namespace, Pod};
/// use meshrev::SnapshotBuilder;
///
/// let mut ns = Namespace::default();
/// ns.metadata.name = Some("mercury".into());
/// let mut pod = Pod::default();
/// pod.metadata.name = Some("web-1".into());
/// pod.metadata.namespace = Some("mercury".into());
/// pod.spec = Some(Default::default());
/// let snapshot = SnapshotBuilder::new().add(&ns)?.add(&pod)?.build();
/// assert!(snapshot.pod("mercury", "web-1").is_some());
/// # }
/// # Ok::<(), meshrev::Error>(())
/// ```
///
/// Without it (an app on another k8s-openapi version, or kube-rs'
/// `DynamicObject`), any object that serializes with its `apiVersion` and `kind`
/// goes through [`SnapshotBuilder::add_serialized`], the same checks included.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
    /// Where each object was first read, by a fingerprint of its identity
    /// (whether it was read is the store's answer, and its version the stored
    /// copy's); `collided` holds those whose fingerprint another object had.
    seen: HashMap<u64, SeenAt, BuildHasherDefault<Fingerprint>>,
    collided: HashMap<ObjectRef, SeenAt>,
    /// The sources of [`SeenAt::source`], in the order read.
    sources: Vec<String>,
    values: usize,
    keep_newest: bool,
    files: usize,
    ignored_files: usize,
    /// One copy of each distinct label (or annotation) map of pods and workloads.
    labels: crate::labels::Interner,
    /// One copy of each distinct owner reference list, container name list,
    /// and pod phase or proxy image (see [`super::shared`]).
    owners: Interner<[OwnerReference]>,
    names: Interner<[String]>,
    strings: Interner<str>,
}

/// Where an object was first read, small: a snapshot of 100,000 pods keeps
/// one a pod (the file name is an index into `sources`).
#[derive(Debug, Clone, Copy)]
struct SeenAt {
    source: u32,
    document: usize,
    item: Option<usize>,
}

/// 64 bits of an object's identity (FNV-1a over kind, namespace and name).
/// Only where it was read is found by it: a collision costs an entry in
/// `collided`, never a wrong answer.
fn fingerprint(id: &ObjectRef) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        id.kind.as_bytes(),
        id.namespace.as_deref().unwrap_or_default().as_bytes(),
        id.name.as_bytes(),
    ];
    for part in parts {
        for &b in part {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        // A byte no name holds, so that ("ab", "c") and ("a", "bc") differ.
        h = (h ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The hasher of `seen`: its keys are hashes already.
#[derive(Default)]
struct Fingerprint(u64);

impl std::hash::Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One copy's version: `metadata.uid` and `resourceVersion`.
struct Version<'a> {
    uid: Option<&'a str>,
    resource_version: Option<&'a str>,
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Two versions of one object (same kind, namespace and name, different
    /// `metadata.resourceVersion`, e.g. two must-gather runs read together): keep
    /// the newer instead of refusing the input. Off by default: an old copy read
    /// silently would be a confident answer about a cluster that no longer exists.
    ///
    /// The same version read twice (same `uid` and `resourceVersion`: a must-gather
    /// tree holds each pod in a list and again in a file of its own) is always
    /// read once.
    pub fn keep_newest(&mut self, yes: bool) -> &mut Self {
        self.keep_newest = yes;
        self
    }

    /// Adds every document of a YAML or JSON text; `source` names it in errors.
    pub fn add_str(&mut self, source: &str, text: &str) -> Result<&mut Self> {
        let read = parse::read_str(source, text.as_bytes(), Keep::MeshObjects, &mut |d, l| {
            self.add_decoded(d, l)
        });
        explained(read, source, || Some(text.to_owned()))?;
        Ok(self)
    }

    /// Adds a file of YAML or JSON (gzipped or not), read as a stream (one list
    /// item at a time), or every snapshot file under a directory
    /// ([`Self::add_dir`]).
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let path = path.as_ref();
        if path.is_dir() {
            return self.add_dir(path);
        }
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let source = path.display().to_string();
        let reader = input::stream(&source, file)?;
        self.files += 1;
        let read = parse::read(&source, reader, Keep::MeshObjects, &mut |d, l| {
            self.add_decoded(d, l)
        });
        // A failure is explained from the text, read again (failures only).
        explained(read, &source, || {
            let file = std::fs::File::open(path).ok()?;
            input::read_text(&source, file).ok()
        })?;
        Ok(self)
    }

    /// Adds every `*.yaml`, `*.yml` and `*.json` file (and their `.gz`) under a
    /// directory, recursively and in path order: an `oc adm must-gather` tree, or a
    /// folder of `kubectl get` outputs. Other files are passed over and counted
    /// ([`Self::ignored_files`]).
    pub fn add_dir(&mut self, dir: impl AsRef<Path>) -> Result<&mut Self> {
        let (files, ignored) = input::walk(dir.as_ref())?;
        self.ignored_files += ignored;
        for file in files {
            self.add_path(file)?;
        }
        Ok(self)
    }

    /// Adds YAML or JSON (gzipped or not) read from `reader`, e.g. standard
    /// input, as a stream (one list item at a time); `source` names it in errors.
    ///
    /// YAML of 16 KiB or more is parsed by libyaml on a second thread while
    /// this one decodes what it parsed, when the machine has a second core:
    /// the thread is started for this read and has ended when it returns. The
    /// reader itself is read on the calling thread (it need not be `Send`).
    pub fn add_reader(&mut self, source: &str, reader: impl std::io::Read) -> Result<&mut Self> {
        let reader = input::stream(source, reader)?;
        let read = parse::read(source, reader, Keep::MeshObjects, &mut |d, l| {
            self.add_decoded(d, l)
        });
        explained(read, source, || None)?;
        Ok(self)
    }

    /// The tree path over `text` (see [`parse::documents`]), on a fresh builder:
    /// only used to explain a failure of the streaming path.
    fn add_tree(&mut self, source: &str, text: &str) -> Result<()> {
        parse::documents(source, text, |value, document| {
            let location = Location {
                source: source.to_owned(),
                document,
                item: None,
            };
            self.add_document(value, location)
        })
    }

    /// Files read so far by [`Self::add_path`] and [`Self::add_dir`].
    pub fn files(&self) -> usize {
        self.files
    }

    /// Files under the directories given to [`Self::add_dir`] that were not read
    /// because their names do not end in `.yaml`, `.yml` or `.json` (or those
    /// with `.gz`).
    pub fn ignored_files(&self) -> usize {
        self.ignored_files
    }

    /// Adds one object (or a `kind: List`) as JSON with `apiVersion` and `kind`.
    /// [`serde_json`](crate::serde_json) is re-exported, so callers need no
    /// dependency of their own for the `Value`.
    pub fn add_value(&mut self, value: Value) -> Result<&mut Self> {
        self.values += 1;
        let location = Location {
            source: "<value>".into(),
            document: self.values,
            item: None,
        };
        self.add_document(value, location)?;
        Ok(self)
    }

    /// Adds any object that serializes to Kubernetes JSON with its `apiVersion`
    /// and `kind`: a `k8s-openapi` object of whatever version your app uses (its
    /// `Serialize` writes both), a kube-rs `DynamicObject`, your own CRD struct.
    /// The version-independent path: no `k8s-openapi` feature needed.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Ns { api_version: &'static str, kind: &'static str, metadata: Meta }
    /// #[derive(serde::Serialize)]
    /// struct Meta { name: &'static str }
    ///
    /// let ns = Ns { api_version: "v1", kind: "Namespace", metadata: Meta { name: "venus" } };
    /// let snapshot = meshrev::SnapshotBuilder::new().add_serialized(&ns)?.build();
    /// assert!(snapshot.namespace("venus").is_some());
    /// # Ok::<(), meshrev::Error>(())
    /// ```
    pub fn add_serialized<T: serde::Serialize + ?Sized>(
        &mut self,
        object: &T,
    ) -> Result<&mut Self> {
        let value = serde_json::to_value(object).map_err(|e| Error::NotAnObject {
            location: Location {
                source: "<value>".into(),
                document: self.values + 1,
                item: None,
            },
            message: format!("cannot serialize it: {e}"),
        })?;
        self.add_value(value)
    }

    /// Adds a `k8s-openapi` object (`Namespace`, `Pod`, `Deployment`, ...). It goes
    /// through the same checks as text, so both paths accept the same objects.
    /// Needs the `k8s-openapi` feature.
    #[cfg(feature = "k8s-openapi")]
    pub fn add<K>(&mut self, object: &K) -> Result<&mut Self>
    where
        K: k8s_openapi::Resource + serde::Serialize,
    {
        let location = Location {
            source: "<value>".into(),
            document: self.values + 1,
            item: None,
        };
        let value = to_value(object, &location)?;
        self.add_value(value)
    }

    /// The snapshot read so far; the builder is left empty (so that it can end a
    /// chain of `&mut` calls).
    pub fn build(&mut self) -> Snapshot {
        std::mem::take(self).snapshot
    }

    /// A document is one object or a list (`kind: List`, or `PodList` and the like,
    /// whose items may omit `apiVersion` and `kind`).
    fn add_document(&mut self, value: Value, location: Location) -> Result<()> {
        if value.is_null() {
            return Ok(()); // an empty document, e.g. a trailing `---`
        }
        let list_kind = value
            .get("kind")
            .and_then(Value::as_str)
            .filter(|k| k.ends_with("List"));
        if let Some(list_kind) = list_kind.map(str::to_owned) {
            let api_version = value
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("v1")
                .to_owned();
            let item_kind = list_kind
                .strip_suffix("List")
                .unwrap_or_default()
                .to_owned();
            let items = match value.get("items") {
                None | Some(Value::Null) => return Ok(()),
                Some(Value::Array(_)) => match value {
                    Value::Object(mut map) => match map.remove("items") {
                        Some(Value::Array(items)) => items,
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                },
                Some(other) => {
                    return Err(Error::NotAnObject {
                        location,
                        message: format!(
                            "`items` of a {list_kind} must be a sequence, found {}",
                            type_name(other)
                        ),
                    });
                }
            };
            for (i, mut item) in items.into_iter().enumerate() {
                if let (Value::Object(map), false) = (&mut item, item_kind.is_empty()) {
                    map.entry("kind")
                        .or_insert_with(|| item_kind.clone().into());
                    map.entry("apiVersion")
                        .or_insert_with(|| api_version.clone().into());
                }
                let at = Location {
                    item: Some(i + 1),
                    ..location.clone()
                };
                self.add_object(item, at)?;
            }
            return Ok(());
        }
        self.add_object(value, location)
    }

    fn add_object(&mut self, value: Value, location: Location) -> Result<()> {
        let decoded = decode(value, &location, Keep::MeshObjects)?;
        self.add_decoded(decoded, location)
    }

    fn add_decoded(&mut self, decoded: Decoded, location: Location) -> Result<()> {
        let (object, id) = match decoded {
            Decoded::Skipped(key) => {
                *std::sync::Arc::make_mut(&mut self.snapshot.skipped)
                    .entry(key)
                    .or_insert(0) += 1;
                return Ok(());
            }
            Decoded::Object(object, id) => (object, id),
        };
        let at = self.seen_at(&location);
        let stored = stored_meta(&self.snapshot, &object);
        let replace = match stored {
            None => false,
            Some(stored) => {
                let second = Version::of(object.meta());
                // The stored copy is the one first read, or the newer one kept.
                let first = Version::of(stored);
                if first.is_same_version(&second) {
                    return Ok(());
                } else if self.keep_newest && first.is_older_than(&second) {
                    true
                } else if self.keep_newest && second.is_older_than(&first) {
                    return Ok(());
                } else {
                    let first_at = self.first_seen(&id).unwrap_or(at);
                    let first_location = Location {
                        source: self.sources[first_at.source as usize].clone(),
                        document: first_at.document,
                        item: first_at.item,
                    };
                    return Err(Error::Duplicate {
                        object: id,
                        first: first_location,
                        second: location,
                        first_version: first.resource_version.map(str::to_owned),
                        second_version: second.resource_version.map(str::to_owned),
                    });
                }
            }
        };
        // With `replace`, the newer copy is kept and its place reported from now on.
        self.remember(id, at, replace);
        let mut object = *object;
        let mut intern = |l: &mut Labels| *l = self.labels.intern(std::mem::take(l));
        match &mut object {
            Object::Pod(pod) => {
                intern(&mut pod.meta.labels);
                intern(&mut pod.meta.annotations);
                self.owners.intern(&mut pod.meta.owner_references);
                self.names.intern(&mut pod.containers);
                self.names.intern(&mut pod.init_containers);
                self.strings.intern_opt(&mut pod.phase);
                self.strings.intern_opt(&mut pod.proxy_image);
            }
            Object::Workload(w) => {
                intern(&mut w.meta.labels);
                intern(&mut w.template.labels);
                intern(&mut w.template.annotations);
                intern(&mut w.template.images);
            }
            _ => {}
        }
        insert(&mut self.snapshot, object, replace);
        Ok(())
    }
}

impl SnapshotBuilder {
    /// Where the stored copy of `id` was read.
    fn first_seen(&self, id: &ObjectRef) -> Option<SeenAt> {
        self.collided
            .get(id)
            .or_else(|| self.seen.get(&fingerprint(id)))
            .copied()
    }

    /// Records where the copy of `id` now stored was read (`again`: it
    /// replaced an earlier one).
    fn remember(&mut self, id: ObjectRef, at: SeenAt, again: bool) {
        use std::collections::hash_map::Entry;
        if again {
            match self.collided.get_mut(&id) {
                Some(seen) => *seen = at,
                None => {
                    self.seen.insert(fingerprint(&id), at);
                }
            }
            return;
        }
        match self.seen.entry(fingerprint(&id)) {
            Entry::Vacant(e) => {
                e.insert(at);
            }
            // Another object's fingerprint: this one is kept by name.
            Entry::Occupied(_) => {
                self.collided.insert(id, at);
            }
        }
    }

    /// `location`, small: its source is looked up among those read (the
    /// last one, nearly always).
    fn seen_at(&mut self, location: &Location) -> SeenAt {
        let source = match self.sources.iter().rposition(|s| *s == location.source) {
            Some(i) => i,
            None => {
                self.sources.push(location.source.clone());
                self.sources.len() - 1
            }
        };
        SeenAt {
            source: u32::try_from(source).unwrap_or(u32::MAX),
            document: location.document,
            item: location.item,
        }
    }
}

impl<'a> Version<'a> {
    fn of(meta: &'a super::ObjectMeta) -> Self {
        Version {
            uid: meta.uid.as_deref(),
            resource_version: meta.resource_version.as_deref(),
        }
    }

    /// One version of one object: the same uid and resourceVersion, both present.
    fn is_same_version(&self, other: &Version) -> bool {
        self.uid.is_some()
            && self.resource_version.is_some()
            && (self.uid, self.resource_version) == (other.uid, other.resource_version)
    }

    /// Whether `other` is a later version. Kubernetes calls resourceVersion opaque,
    /// but every API server in use sets it from etcd's revision, a number that only
    /// grows; anything else cannot be ordered and stays a duplicate.
    fn is_older_than(&self, other: &Version) -> bool {
        let number = |s: &Version| s.resource_version?.parse::<u64>().ok();
        matches!((number(self), number(other)), (Some(a), Some(b)) if a < b)
    }
}

/// The streaming path's result; a type error it cannot name the field path of
/// is explained by the tree path when the text can be had again, if the tree
/// path fails at the same place (it reads YAML 1.1 scalars less kindly, so it
/// may fail earlier: then the streaming path's error stands).
fn explained(
    read: std::result::Result<(), parse::Failure>,
    source: &str,
    text: impl FnOnce() -> Option<String>,
) -> Result<()> {
    let Err(failure) = read else {
        return Ok(());
    };
    if !failure.explain {
        return Err(failure.error);
    }
    let Some(text) = text() else {
        return Err(failure.error);
    };
    match SnapshotBuilder::new().add_tree(source, &text) {
        Err(e) if location(&e) == location(&failure.error) => Err(e),
        _ => Err(failure.error),
    }
}

fn location(e: &Error) -> Option<&Location> {
    match e {
        Error::Syntax { location, .. }
        | Error::NotAnObject { location, .. }
        | Error::MissingField { location, .. }
        | Error::InvalidField { location, .. } => Some(location),
        Error::Duplicate { second, .. } => Some(second),
        _ => None,
    }
}

fn nn(meta: &super::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone(),
    )
}

/// The metadata of the stored object with `object`'s identity, if any: the
/// same keys as [`insert`].
fn stored_meta<'s>(s: &'s Snapshot, object: &Object) -> Option<&'s super::ObjectMeta> {
    let name = &object.meta().name;
    let ns = object.meta().namespace.as_deref().unwrap_or_default();
    let nn = || (ns.to_owned(), name.clone());
    match object {
        Object::Namespace(_) => s.namespaces.get(name).map(|o| &o.meta),
        Object::Pod(_) => s.pods.get(ns)?.get(name).map(|o| &o.meta),
        Object::Workload(o) => s
            .workloads
            .get(ns)?
            .get(&(o.kind, name.as_str()) as &dyn super::store::WorkloadKey)
            .map(|o| &o.meta),
        Object::ConfigMap(_) => s.config_maps.get(&nn()).map(|o| &o.meta),
        Object::Webhook(_) => s.webhook_configurations.get(name).map(|o| &o.meta),
        Object::ControlPlane(_) => s.control_planes.get(&nn()).map(|o| &o.meta),
        Object::MemberRoll(_) => s.member_rolls.get(&nn()).map(|o| &o.meta),
        Object::Member(_) => s.members.get(&nn()).map(|o| &o.meta),
        Object::Istio(_) => s.istios.get(name).map(|o| &o.meta),
        Object::IstioRevision(_) => s.istio_revisions.get(name).map(|o| &o.meta),
        Object::IstioRevisionTag(_) => s.istio_revision_tags.get(name).map(|o| &o.meta),
        Object::Kiali(_) => s.kialis.get(&nn()).map(|o| &o.meta),
    }
}

/// Stores an ingested object, or with `r` (replace) a newer version of one
/// already read (duplicates were refused or resolved by the caller).
fn insert(s: &mut Snapshot, object: Object, r: bool) {
    use super::store::{put, put_in};
    match object {
        Object::Namespace(o) => put(&mut s.namespaces, o.meta.name.clone(), Arc::new(o), r),
        Object::Pod(o) => {
            let ns = o.namespace().to_owned();
            put_in(&mut s.pods, &ns, o.meta.name.clone(), Arc::new(o), r)
        }
        Object::Workload(o) => {
            let ns = o.namespace().to_owned();
            put_in(
                &mut s.workloads,
                &ns,
                (o.kind, o.meta.name.clone()),
                Arc::new(o),
                r,
            )
        }
        Object::ConfigMap(o) => put(&mut s.config_maps, nn(&o.meta), o, r),
        Object::Webhook(o) => put(&mut s.webhook_configurations, o.meta.name.clone(), o, r),
        Object::ControlPlane(o) => put(&mut s.control_planes, nn(&o.meta), o, r),
        Object::MemberRoll(o) => put(&mut s.member_rolls, nn(&o.meta), o, r),
        Object::Member(o) => put(&mut s.members, nn(&o.meta), o, r),
        Object::Istio(o) => put(&mut s.istios, o.meta.name.clone(), o, r),
        Object::IstioRevision(o) => put(&mut s.istio_revisions, o.meta.name.clone(), o, r),
        Object::IstioRevisionTag(o) => put(&mut s.istio_revision_tags, o.meta.name.clone(), o, r),
        Object::Kiali(o) => put(&mut s.kialis, nn(&o.meta), o, r),
    }
}

impl Object {
    /// The object's metadata, whatever its kind.
    fn meta(&self) -> &super::ObjectMeta {
        match self {
            Object::Namespace(o) => &o.meta,
            Object::Pod(o) => &o.meta,
            Object::Workload(o) => &o.meta,
            Object::ConfigMap(o) => &o.meta,
            Object::Webhook(o) => &o.meta,
            Object::ControlPlane(o) => &o.meta,
            Object::MemberRoll(o) => &o.meta,
            Object::Member(o) => &o.meta,
            Object::Istio(o) => &o.meta,
            Object::IstioRevision(o) => &o.meta,
            Object::IstioRevisionTag(o) => &o.meta,
            Object::Kiali(o) => &o.meta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(document: usize) -> SeenAt {
        SeenAt {
            source: 0,
            document,
            item: None,
        }
    }

    #[test]
    fn an_object_whose_fingerprint_is_taken_keeps_its_own_place() {
        let mut b = SnapshotBuilder::default();
        let web = ObjectRef::new("Pod", Some("shop"), "web");
        let db = ObjectRef::new("Pod", Some("shop"), "db");
        // As if `web` had been read first with `db`'s fingerprint.
        b.seen.insert(fingerprint(&db), at(1));
        b.remember(db.clone(), at(2), false);
        assert_eq!(b.first_seen(&db).map(|s| s.document), Some(2));
        // A newer copy replacing `db` moves its place, not the other's.
        b.remember(db.clone(), at(3), true);
        assert_eq!(b.first_seen(&db).map(|s| s.document), Some(3));
        assert_eq!(b.seen[&fingerprint(&db)].document, 1);
        b.remember(web.clone(), at(4), false);
        assert_eq!(b.first_seen(&web).map(|s| s.document), Some(4));
    }

    #[test]
    fn fingerprints_separate_the_parts_of_an_identity() {
        let a = ObjectRef::new("Pod", Some("ab"), "c");
        let b = ObjectRef::new("Pod", Some("a"), "bc");
        assert_ne!(fingerprint(&a), fingerprint(&b));
        let cluster = ObjectRef::new("Namespace", None, "x");
        let empty_ns = ObjectRef::new("Namespace", Some(""), "x");
        // Both are the one object `x`: a namespace of "" is no namespace.
        assert_eq!(fingerprint(&cluster), fingerprint(&empty_ns));
    }
}
