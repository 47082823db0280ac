//! Building a snapshot from many sources, checking for duplicates across them.

use std::collections::HashMap;
use std::collections::btree_map::Entry;
use std::path::Path;

use serde_json::Value;

use super::Snapshot;
use super::decode::{Decoded, Keep, Object, decode, type_name};
use super::k8s::to_value;
use super::parse;
use crate::error::{Error, Location, ObjectRef, Result};

/// Collects objects from text, files and `k8s-openapi` values into a [`Snapshot`].
///
/// ```
/// use k8s_openapi::api::core::v1::Namespace;
/// use meshrev::SnapshotBuilder;
///
/// let mut ns = Namespace::default();
/// ns.metadata.name = Some("mercury".into());
/// let mut builder = SnapshotBuilder::new();
/// builder.add(&ns)?;
/// builder.add_str("extra.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: venus}\n")?;
/// let snapshot = builder.build();
/// assert_eq!(snapshot.namespaces().count(), 2);
/// # Ok::<(), meshrev::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
    seen: HashMap<ObjectRef, Location>,
    values: usize,
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every document of a YAML or JSON text; `source` names it in errors.
    pub fn add_str(&mut self, source: &str, text: &str) -> Result<&mut Self> {
        let read = parse::read_str(source, text.as_bytes(), Keep::MeshObjects, &mut |d, l| {
            self.add_decoded(d, l)
        });
        explained(read, source, || Some(text.to_owned()))?;
        Ok(self)
    }

    /// Adds a file of YAML or JSON, read as a stream (one list item at a time).
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let source = path.display().to_string();
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        let read = parse::read(&source, reader, Keep::MeshObjects, &mut |d, l| {
            self.add_decoded(d, l)
        });
        // A failure is explained from the text, read again (failures only).
        explained(read, &source, || std::fs::read_to_string(path).ok())?;
        Ok(self)
    }

    /// Adds YAML or JSON read from `reader`, as a stream (one list item at a
    /// time); `source` names it in errors.
    pub fn add_reader(&mut self, source: &str, reader: impl std::io::Read) -> Result<&mut Self> {
        let reader = std::io::BufReader::with_capacity(1 << 16, reader);
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

    /// Adds one object as JSON with `apiVersion` and `kind` (e.g. a kube-rs
    /// `DynamicObject` serialized, for CRDs that have no `k8s-openapi` type).
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

    /// Adds a `k8s-openapi` object (`Namespace`, `Pod`, `Deployment`, ...). It goes
    /// through the same checks as text, so both paths accept the same objects.
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

    /// The snapshot.
    pub fn build(self) -> Snapshot {
        self.snapshot
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
                *self.snapshot.skipped.entry(key).or_insert(0) += 1;
                return Ok(());
            }
            Decoded::Object(object, id) => (object, id),
        };
        if let Some(first) = self.seen.get(&id) {
            return Err(Error::Duplicate {
                object: id,
                first: first.clone(),
                second: location,
            });
        }
        self.seen.insert(id, location);
        insert(&mut self.snapshot, *object);
        Ok(())
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

fn put<K: Ord, V>(map: &mut std::collections::BTreeMap<K, V>, key: K, value: V) {
    match map.entry(key) {
        Entry::Vacant(e) => {
            e.insert(value);
        }
        // Duplicates were refused above; keep the first should that ever change.
        Entry::Occupied(_) => {}
    }
}

fn nn(meta: &super::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone(),
    )
}

fn insert(s: &mut Snapshot, object: Object) {
    match object {
        Object::Namespace(o) => put(&mut s.namespaces, o.meta.name.clone(), o),
        Object::Pod(o) => put(&mut s.pods, nn(&o.meta), o),
        Object::Workload(o) => {
            let (ns, name) = nn(&o.meta);
            put(&mut s.workloads, (ns, o.kind, name), o)
        }
        Object::ConfigMap(o) => put(&mut s.config_maps, nn(&o.meta), o),
        Object::Webhook(o) => put(&mut s.webhook_configurations, o.meta.name.clone(), o),
        Object::ControlPlane(o) => put(&mut s.control_planes, nn(&o.meta), o),
        Object::MemberRoll(o) => put(&mut s.member_rolls, nn(&o.meta), o),
        Object::Member(o) => put(&mut s.members, nn(&o.meta), o),
        Object::Istio(o) => put(&mut s.istios, o.meta.name.clone(), o),
        Object::IstioRevision(o) => put(&mut s.istio_revisions, o.meta.name.clone(), o),
        Object::IstioRevisionTag(o) => put(&mut s.istio_revision_tags, o.meta.name.clone(), o),
        Object::Kiali(o) => put(&mut s.kialis, nn(&o.meta), o),
    }
}
