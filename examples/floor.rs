//! The one-pass floor of reading a snapshot, for `benches/compare.sh`: reads a
//! JSON `List` once, one item at a time (a serde seed over `items`), keeps each
//! object's kind, name, namespace and labels, and prints how many objects and
//! pods it read. No validation, no model: what any reader of the same bytes
//! must at least do. meshrev's `status` is measured against it.
//!
//! ```text
//! cargo run --release --example floor -- dump.json
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What the floor keeps of each object.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: Meta,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// One kept object: kind, namespace, name, labels.
type Object = (String, Option<String>, String, BTreeMap<String, String>);

/// The kept objects.
#[derive(Default)]
struct Kept {
    objects: Vec<Object>,
}

struct ListSeed<'a>(&'a mut Kept);

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a List")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(ItemsSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ItemsSeed<'a>(&'a mut Kept);

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Item>()? {
            let m = item.metadata;
            self.0
                .objects
                .push((item.kind, m.namespace, m.name, m.labels));
        }
        Ok(())
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: floor FILE.json");
    let file = std::fs::File::open(&path).expect("readable file");
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut kept = Kept::default();
    ListSeed(&mut kept)
        .deserialize(&mut de)
        .expect("a JSON List");
    let pods = kept.objects.iter().filter(|o| o.0 == "Pod").count();
    println!("{} objects, {pods} pods", kept.objects.len());
}
