//! Input as users have it: the bytes of a file, of standard input or of every
//! snapshot file under a directory (an `oc adm must-gather` tree), made into text.
//!
//! gzip is decompressed (must-gather archives and `kubectl get ... | gzip` are
//! common); UTF-16, what PowerShell's `>` writes, is refused by name with the
//! command that converts it, since guessing at an encoding would be silent.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// File names read from a directory: what `kubectl get -o yaml|json` is saved as,
/// possibly gzipped.
const SNAPSHOT_SUFFIXES: [&str; 6] = [".yaml", ".yml", ".json", ".yaml.gz", ".yml.gz", ".json.gz"];

/// Whether a file under a directory is read as part of the snapshot.
pub(crate) fn is_snapshot_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        SNAPSHOT_SUFFIXES.iter().any(|s| n.ends_with(s))
    })
}

/// The files under `dir`, recursively and in path order (so that errors and
/// duplicates are reported the same on every run): the snapshot files, and how
/// many others were passed over. Symbolic links to directories are not followed
/// (a must-gather tree has none; a loop would never end).
pub(crate) fn walk(dir: &Path) -> Result<(Vec<PathBuf>, usize)> {
    let mut files = Vec::new();
    let mut ignored = 0;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let io = |source| Error::Io {
            path: dir.clone(),
            source,
        };
        let mut entries = std::fs::read_dir(&dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(io)?;
        entries.sort();
        for path in entries.into_iter().rev() {
            let file_type = std::fs::symlink_metadata(&path)
                .map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?
                .file_type();
            if file_type.is_dir() {
                pending.push(path);
            } else if is_snapshot_file(&path) && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
            {
                files.push(path);
            } else {
                ignored += 1;
            }
        }
    }
    files.sort();
    Ok((files, ignored))
}

/// `reader` as a stream of text for the parsers, without reading it all: gzip
/// decompressed as it is read, UTF-16 refused by name from its first bytes.
/// Bytes that are not UTF-8 further in are refused by the parser that meets
/// them, with their position.
pub(crate) fn stream<'r>(input: &str, reader: impl Read + 'r) -> Result<Box<dyn BufRead + 'r>> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let io = |e| Error::Io {
        path: input.into(),
        source: e,
    };
    let head = reader.fill_buf().map_err(io)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // `MultiGz`: `cat a.yaml.gz b.yaml.gz` is one valid gzip stream of two members.
        let mut text =
            BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(reader));
        let head = text.fill_buf().map_err(|e| Error::Encoding {
            input: input.into(),
            message: format!("gzip data that does not decompress: {e}"),
        })?;
        refuse_utf16(input, head)?;
        return Ok(Box::new(text));
    }
    refuse_utf16(input, head)?;
    Ok(Box::new(reader))
}

fn refuse_utf16(input: &str, head: &[u8]) -> Result<()> {
    match utf16(head) {
        Some(endian) => Err(utf16_error(input, endian)),
        None => Ok(()),
    }
}

fn utf16_error(input: &str, endian: &str) -> Error {
    Error::Encoding {
        input: input.into(),
        message: format!(
            "UTF-16 ({endian}) text, as PowerShell's `>` writes it; meshrev reads UTF-8: \
             convert it with `iconv -f UTF-16 -t UTF-8`, or save with `Out-File -Encoding utf8`"
        ),
    }
}

/// Reads everything from `reader` and makes it text; `input` names it in errors.
pub(crate) fn read_text(input: &str, mut reader: impl Read) -> Result<String> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| Error::Io {
        path: input.into(),
        source: e,
    })?;
    text(input, bytes)
}

/// gzip decompressed, UTF-16 refused by name, anything else checked as UTF-8.
pub(crate) fn text(input: &str, bytes: Vec<u8>) -> Result<String> {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // `MultiGz`: `cat a.yaml.gz b.yaml.gz` is one valid gzip stream of two members.
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::Encoding {
                input: input.into(),
                message: format!("gzip data that does not decompress: {e}"),
            })?;
        out
    } else {
        bytes
    };
    if let Some(endian) = utf16(&bytes) {
        return Err(utf16_error(input, endian));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::Encoding {
            input: input.into(),
            message: format!(
                "not UTF-8 text (invalid byte 0x{:02x} at byte offset {at}); \
                 a snapshot is what `kubectl get -o yaml` or `-o json` prints",
                e.as_bytes()[at]
            ),
        }
    })
}

/// `Some("little-endian")` or `Some("big-endian")` when the bytes are UTF-16:
/// a byte-order mark, or (no mark) ASCII text with every other byte zero.
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xfe, ..] => Some("little-endian"),
        [0xfe, 0xff, ..] => Some("big-endian"),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some("little-endian"),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some("big-endian"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_is_named_with_its_byte_order() {
        let le: Vec<u8> = "\u{feff}apiVersion: v1"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let err = text("ns.yaml", le).unwrap_err().to_string();
        assert!(err.starts_with("ns.yaml: UTF-16 (little-endian)"), "{err}");
        let be: Vec<u8> = "kind: Namespace"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let err = text("ns.yaml", be).unwrap_err().to_string();
        assert!(err.contains("UTF-16 (big-endian)"), "{err}");
    }

    #[test]
    fn latin1_is_not_utf8_and_says_where() {
        let err = text("x.yaml", b"name: caf\xe9\n".to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not UTF-8 text (invalid byte 0xe9 at byte offset 9)"),
            "{err}"
        );
    }

    #[test]
    fn gzip_is_decompressed_member_after_member() {
        use std::io::Write;
        let gz = |t: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(t.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let mut both = gz("kind: A\n---\n");
        both.extend(gz("kind: B\n"));
        assert_eq!(text("x.yaml.gz", both).unwrap(), "kind: A\n---\nkind: B\n");
        let err = text("x.gz", vec![0x1f, 0x8b, 8, 0, 1])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.gz: gzip data that does not decompress"),
            "{err}"
        );
    }

    #[test]
    fn snapshot_files_by_suffix() {
        for yes in ["a.yaml", "b/c.YML", "pods.json", "x.yaml.gz"] {
            assert!(is_snapshot_file(Path::new(yes)), "{yes}");
        }
        for no in ["timestamp", "a.log", "yaml", "event-filter.html", "x.gz"] {
            assert!(!is_snapshot_file(Path::new(no)), "{no}");
        }
    }
}
