//! Building a snapshot from many sources, checking for duplicates across them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::Snapshot;
use super::decode::{Decoded, Header, Keep, Object, decode, decode_json, type_name};
use super::k8s::to_value;
use super::parse::{Document, JsonHeader, documents, json_header, json_tree};
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
        documents(source, text, |doc, document| {
            let location = Location {
                source: source.to_owned(),
                document,
                item: None,
            };
            match doc {
                Document::Tree(value) => self.add_document(value, location),
                Document::Json(text, header) => self.add_json_document(text, header, location),
            }
        })?;
        Ok(self)
    }

    /// Adds a file of YAML or JSON.
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        self.add_str(&path.display().to_string(), &text)
    }

    /// Adds YAML or JSON read from `reader`.
    pub fn add_reader(
        &mut self,
        source: &str,
        mut reader: impl std::io::Read,
    ) -> Result<&mut Self> {
        let mut text = String::new();
        reader.read_to_string(&mut text).map_err(|e| Error::Io {
            path: source.into(),
            source: e,
        })?;
        self.add_str(source, &text)
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

    /// [`Self::add_document`] on the JSON text of a document, without building
    /// its tree where the text has the expected shape. Whatever does not (not
    /// an object, `kind` missing or not a string, a malformed field, duplicate
    /// keys...) goes through the tree path, which gives the same result and
    /// reports errors exactly as for YAML.
    fn add_json_document(
        &mut self,
        text: &str,
        header: JsonHeader,
        location: Location,
    ) -> Result<()> {
        let list_kind = match &header.kind {
            Some(Value::String(kind)) if kind.ends_with("List") => kind.as_str(),
            _ => return self.add_json_object(text, Some(header), None, location),
        };
        let api_version = header
            .api_version
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or("v1");
        let item_kind = list_kind.strip_suffix("List").unwrap_or_default();
        let Some(items) = &header.items else {
            return Ok(()); // no `items`, or `items: null`
        };
        let inferred = (!item_kind.is_empty()).then_some((item_kind, api_version));
        for (i, item) in items.iter().enumerate() {
            let at = Location {
                item: Some(i + 1),
                ..location.clone()
            };
            self.add_json_object(item.get(), None, inferred, at)?;
        }
        Ok(())
    }

    /// One object (a document or list item) from its JSON text; `inferred` is
    /// the `kind` and `apiVersion` of a typed list's items, used where absent.
    fn add_json_object(
        &mut self,
        text: &str,
        header: Option<JsonHeader>,
        inferred: Option<(&str, &str)>,
        location: Location,
    ) -> Result<()> {
        let header = header.or_else(|| json_header(text));
        if let Some(decoded) = header.and_then(|h| fast_decode(&h, text, inferred, &location)) {
            return self.add_decoded(decoded, location);
        }
        let mut value = json_tree(text, &location)?;
        if let (Value::Object(map), Some((kind, api_version))) = (&mut value, inferred) {
            map.entry("kind").or_insert_with(|| kind.into());
            map.entry("apiVersion")
                .or_insert_with(|| api_version.into());
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

/// [`decode`] without the tree, or `None` where the tree path must decide
/// (including every error, so that errors are reported by one path only).
fn fast_decode(
    header: &JsonHeader,
    text: &str,
    inferred: Option<(&str, &str)>,
    location: &Location,
) -> Option<Decoded> {
    let field = |found: &Option<Value>, inferred: Option<&str>| -> Option<String> {
        match found {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => None,
            None => inferred.filter(|s| !s.is_empty()).map(str::to_owned),
        }
    };
    let kind = field(&header.kind, inferred.map(|i| i.0))?;
    let api_version = field(&header.api_version, inferred.map(|i| i.1))?;
    let meta = header.metadata.as_ref();
    let header = Header {
        kind: &kind,
        api_version: &api_version,
        name: meta.and_then(|m| m.name.as_deref()),
        namespace: meta.and_then(|m| m.namespace.as_deref()),
    };
    decode_json(header, text, location, Keep::MeshObjects).ok()
}

fn nn(meta: &super::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone(),
    )
}

/// Stores an ingested object; duplicates were refused before this.
pub(super) fn insert(s: &mut Snapshot, object: Object) {
    use super::store::{put, put_in};
    match object {
        Object::Namespace(o) => put(&mut s.namespaces, o.meta.name.clone(), Arc::new(o)),
        Object::Pod(o) => {
            let ns = o.namespace().to_owned();
            put_in(&mut s.pods, &ns, o.meta.name.clone(), o)
        }
        Object::Workload(o) => {
            let ns = o.namespace().to_owned();
            put_in(&mut s.workloads, &ns, (o.kind, o.meta.name.clone()), o)
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
