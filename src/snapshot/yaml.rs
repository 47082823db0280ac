//! YAML as a stream of libyaml events, read through serde one document (and
//! one list item) at a time: no tree of the whole document, no copy of the
//! whole text.
//!
//! The parser is libyaml (through `unsafe-libyaml`, the same parser serde_yaml
//! used, so syntax errors and their positions are unchanged); this module owns
//! the only `unsafe` code of the crate, in [`Parser`]. Its events come in
//! batches ([`events`]), parsed on a second thread for a large input. On top
//! of them,
//! [`Yaml`] is a `serde::Deserializer` with the rules a snapshot needs:
//!
//! - a field that expects a string takes any scalar as its text, so YAML 1.1
//!   producers (PyYAML) that leave `pod-template-hash: 17420e94` unquoted are
//!   read as Kubernetes meant it; other types follow the YAML 1.2 core schema;
//! - duplicate keys in a mapping are refused at the second key's line (the
//!   usual cause is two outputs concatenated without `---` between them);
//! - hostile input is bounded: nesting deeper than [`MAX_DEPTH`] is refused as
//!   soon as it is reached (libyaml's simple-key bookkeeping costs time
//!   proportional to the nesting depth for every token, so unbounded nesting
//!   is quadratic), one scalar may be at most [`MAX_SCALAR`] bytes, and alias
//!   expansion replays at most [`MAX_REPLAYED`] events per document.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hasher;
use std::io::BufRead;
use std::mem::MaybeUninit;
use std::rc::Rc;

mod events;

use events::{Batch, Events, Item};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};

/// Deepest nesting of mappings and sequences accepted (as serde_json's limit).
pub(crate) const MAX_DEPTH: usize = 128;
/// Largest scalar accepted, in bytes. The API server stores an object in at
/// most 1.5 MiB (etcd's request limit), so no field of real output comes near.
pub(crate) const MAX_SCALAR: usize = 16 << 20;
/// Most events that aliases may replay in one document (an "alias bomb" is a
/// few lines that expand to billions of nodes).
pub(crate) const MAX_REPLAYED: usize = 1 << 20;

/// The error for nesting deeper than [`MAX_DEPTH`], at the node that does.
fn too_deep(mark: Mark) -> YamlError {
    YamlError::syntax(format!("nesting deeper than {MAX_DEPTH} levels"), mark)
}

/// The message for a key given twice in one mapping.
pub(crate) fn duplicate_key(key: &str) -> String {
    format!(
        "duplicate key `{key}` in one mapping (YAML and JSON require unique keys; \
         outputs concatenated without `---` between them read as one document)"
    )
}

/// A position in the text: 1-based line and column, 0-based byte index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Mark {
    fn from_sys(m: unsafe_libyaml::yaml_mark_t) -> Mark {
        Mark {
            line: m.line as usize + 1,
            column: m.column as usize + 1,
        }
    }
}

/// A YAML error: the parser's (syntax, a limit) or a type mismatch found while
/// reading a value, with the position of the event it was found at.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) message: String,
    pub(crate) mark: Option<Mark>,
    /// The text itself is refused (syntax, duplicate key, a limit), as opposed
    /// to a value of the wrong type for its field.
    pub(crate) syntax: bool,
}

impl YamlError {
    fn syntax(message: impl Into<String>, mark: Mark) -> Self {
        YamlError {
            message: message.into(),
            mark: Some(mark),
            syntax: true,
        }
    }

    fn at(mut self, mark: Mark) -> Self {
        self.mark.get_or_insert(mark);
        self
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(m) = self.mark {
            write!(f, " at line {} column {}", m.line, m.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

impl de::Error for YamlError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        YamlError {
            message: msg.to_string(),
            mark: None,
            syntax: false,
        }
    }

    /// Names a YAML null as "null", the way `serde_json` does, so that one
    /// malformed object gets the same message whichever format it came in.
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        match unexp {
            de::Unexpected::Unit => {
                Self::custom(format_args!("invalid type: null, expected {exp}"))
            }
            other => Self::custom(format_args!("invalid type: {other}, expected {exp}")),
        }
    }
}

type Result<T, E = YamlError> = std::result::Result<T, E>;

// ------------------------------------------------------------------ libyaml

/// What the read handler reads from; boxed apart from the parser, which holds
/// a pointer to it.
struct Input<R> {
    reader: R,
    error: Option<std::io::Error>,
    /// Bytes handed to libyaml since its last event.
    since_event: usize,
    /// libyaml was stopped for reading more than [`MAX_QUIET`] bytes without
    /// an event.
    too_long: bool,
}

/// Most bytes libyaml may read without producing an event: a scalar of
/// [`MAX_SCALAR`] bytes and room for libyaml's buffers. libyaml builds a
/// scalar whole before [`convert`] can refuse it (a second a 50 MB scalar);
/// this stops it at the limit instead. Only a scalar, comment or blank run
/// larger than any Kubernetes object reaches it.
const MAX_QUIET: usize = MAX_SCALAR + (1 << 20);

/// libyaml's parser over a `BufRead`.
struct Parser<R> {
    sys: Box<MaybeUninit<unsafe_libyaml::yaml_parser_t>>,
    input: Box<Input<R>>,
    /// Whether [`Parser::top_up`] may fill libyaml's working buffer (its
    /// layout was recognized; see [`ParserHead`]).
    fast: bool,
    /// Where each event is parsed, looked at, and deleted (events are not
    /// moved around: they are a few hundred bytes).
    event: MaybeUninit<unsafe_libyaml::yaml_event_t>,
    /// Where the last event ended (where [`MAX_QUIET`] is counted from).
    last_end: Mark,
}

/// How many bytes `bytes` starts with that libyaml's reader takes as one
/// character each, unchanged: printable ASCII, tab, line feed, carriage
/// return (eight at a time while no byte is a control character or above
/// `~`).
fn ascii_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let one = |c: u8| matches!(c, b'\t' | b'\n' | b'\r' | 0x20..=0x7e);
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // A byte >= 0x80, < 0x20, or 0x7f (0x7f + 1 = 0x80).
        let outside = (x | (x.wrapping_sub(0x20 * ONES)) | x.wrapping_add(ONES)) & HIGH;
        if outside != 0 {
            // A line break, or a byte for libyaml: byte by byte.
            if let Some(j) = word.iter().position(|&c| !one(c)) {
                return i + j;
            }
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&c| !one(c))
        .unwrap_or(bytes.len() - i)
}

/// Below this many unread characters, [`Parser::top_up`] refills.
const TOP_UP_BELOW: u64 = 8 << 10;

/// The head of libyaml's parser state, up to its reader's fields, as
/// unsafe-libyaml 0.2.11 lays it out (`yaml_parser_t`, `#[repr(C)]`; its
/// fields are private, the layout is libyaml's C struct).
///
/// Why: libyaml's reader decodes and checks every input byte one at a time
/// (about 70 instructions a byte, a quarter of the time of reading a
/// `kubectl get -o yaml` dump). Almost all of such a file is printable
/// ASCII, which that reader copies unchanged; [`Parser::top_up`] copies it
/// into libyaml's working buffer directly. The layout is checked on a fresh
/// parser ([`ParserHead::recognized`]); if it does not match (another
/// unsafe-libyaml version), the fast path is off and libyaml reads alone.
#[repr(C)]
struct ParserHead {
    error: u32,
    problem: *const std::ffi::c_char,
    problem_offset: u64,
    problem_value: std::ffi::c_int,
    problem_mark: [u64; 3],
    context: *const std::ffi::c_char,
    context_mark: [u64; 3],
    read_handler: *const std::ffi::c_void,
    read_handler_data: *mut std::ffi::c_void,
    input: [*const u8; 3],
    eof: bool,
    buffer: Buffer,
    /// Characters (not bytes) between `buffer.pointer` and `buffer.last`.
    unread: u64,
    raw_buffer: Buffer,
    encoding: u32,
    /// Bytes of input decoded so far (named in reader errors).
    offset: u64,
}

/// libyaml's `yaml_buffer_t`.
#[repr(C)]
struct Buffer {
    start: *mut u8,
    end: *mut u8,
    pointer: *mut u8,
    last: *mut u8,
}

impl Buffer {
    /// Empty, of `size` bytes.
    fn is_fresh(&self, size: usize) -> bool {
        !self.start.is_null()
            && self.pointer == self.start
            && self.last == self.start
            && (self.end as usize).wrapping_sub(self.start as usize) == size
    }
}

impl ParserHead {
    /// Whether `parser`, just initialized with `data` as its read handler's
    /// data, has the expected layout: every field where it should be, with
    /// the values a fresh parser has (libyaml's 16 KiB raw buffer, 48 KiB
    /// working buffer).
    ///
    /// # Safety
    /// `parser` is initialized.
    unsafe fn recognized(
        parser: *mut unsafe_libyaml::yaml_parser_t,
        data: *mut std::ffi::c_void,
    ) -> bool {
        if std::mem::size_of::<ParserHead>() > std::mem::size_of::<unsafe_libyaml::yaml_parser_t>()
        {
            return false;
        }
        // SAFETY: within the struct (size checked), plain data read only.
        let head = unsafe { &*(parser as *const ParserHead) };
        head.error == unsafe_libyaml::YAML_NO_ERROR as u32
            && head.problem.is_null()
            && head.context.is_null()
            && !head.read_handler.is_null()
            && head.read_handler_data == data
            && !head.eof
            && head.unread == 0
            && head.encoding == unsafe_libyaml::YAML_ANY_ENCODING as u32
            && head.offset == 0
            && head.buffer.is_fresh(3 * 16384)
            && head.raw_buffer.is_fresh(16384)
    }
}

/// libyaml's read callback: copies what `reader` has buffered.
///
/// # Safety
/// `data` is the `Input<R>` given to `yaml_parser_set_input`, alive and not
/// otherwise borrowed while libyaml runs; `buffer` has room for `size` bytes.
unsafe fn read_handler<R: BufRead>(
    data: *mut std::ffi::c_void,
    buffer: *mut u8,
    size: u64,
    size_read: *mut u64,
) -> i32 {
    // SAFETY: see the function's contract.
    let input = unsafe { &mut *(data as *mut Input<R>) };
    if input.error.is_some() {
        // Met by `Parser::top_up`, reported where libyaml would have met it.
        return 0;
    }
    if input.since_event > MAX_QUIET {
        input.too_long = true;
        return 0;
    }
    let chunk = loop {
        match input.reader.fill_buf() {
            Ok(chunk) => break chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                input.error = Some(e);
                return 0;
            }
        }
    };
    let n = chunk.len().min(size as usize);
    // SAFETY: `buffer` has room for `size >= n` bytes; `chunk` has `n`.
    unsafe { std::ptr::copy_nonoverlapping(chunk.as_ptr(), buffer, n) };
    input.reader.consume(n);
    input.since_event += n;
    // SAFETY: libyaml passes a valid pointer.
    unsafe { *size_read = n as u64 };
    1
}

impl<R: BufRead> Parser<R> {
    fn new(reader: R) -> Parser<R> {
        let mut input = Box::new(Input {
            reader,
            error: None,
            since_event: 0,
            too_long: false,
        });
        let mut sys = Box::new(MaybeUninit::<unsafe_libyaml::yaml_parser_t>::uninit());
        // SAFETY: initialize writes the whole struct (it only fails on
        // allocation failure, which aborts in Rust's allocator anyway); the
        // input box outlives the parser (both dropped together, parser first).
        unsafe {
            let parser = sys.as_mut_ptr();
            if unsafe_libyaml::yaml_parser_initialize(parser).fail {
                std::alloc::handle_alloc_error(std::alloc::Layout::new::<
                    unsafe_libyaml::yaml_parser_t,
                >());
            }
            let data = &mut *input as *mut Input<R> as *mut std::ffi::c_void;
            unsafe_libyaml::yaml_parser_set_input(parser, read_handler::<R>, data);
            let fast = ParserHead::recognized(parser, data);
            Parser {
                sys,
                input,
                fast,
                event: MaybeUninit::uninit(),
                last_end: Mark::default(),
            }
        }
    }

    /// Tops libyaml's working buffer up with the printable ASCII that follows
    /// in the input, copied as is (see [`ParserHead`] for why). Runs between
    /// events only, once libyaml knows the input is UTF-8 and has decoded
    /// everything it read (its raw buffer is empty), and only when fewer
    /// than [`TOP_UP_BELOW`] characters are left: the bytes are the ones
    /// libyaml's reader would have produced, in the same order, with its
    /// byte offset kept; anything else (non-ASCII, control characters, the
    /// end of the input, a read error) is left to libyaml's reader.
    ///
    /// # Safety
    /// `self.fast` (the layout was recognized), and libyaml is not running.
    #[inline]
    unsafe fn top_up(&mut self) {
        // SAFETY: as for `refill`.
        let unread = unsafe { (*(self.sys.as_ptr() as *const ParserHead)).unread };
        // Most events find enough unread text.
        if unread < TOP_UP_BELOW {
            // SAFETY: the contract is the same.
            unsafe { self.refill() }
        }
    }

    /// [`Parser::top_up`] once it is needed.
    ///
    /// # Safety
    /// As for [`Parser::top_up`].
    #[inline(never)]
    unsafe fn refill(&mut self) {
        // SAFETY: the layout was recognized (see the contract); libyaml
        // is not running, so nothing else accesses its state.
        let head = unsafe { &mut *(self.sys.as_mut_ptr() as *mut ParserHead) };
        if head.error != unsafe_libyaml::YAML_NO_ERROR as u32
            || head.eof
            || head.encoding != unsafe_libyaml::YAML_UTF8_ENCODING as u32
            || head.raw_buffer.pointer != head.raw_buffer.last
            || self.input.error.is_some()
        {
            return;
        }
        let b = &mut head.buffer;
        // SAFETY: libyaml's buffer invariants: start <= pointer <= last <= end,
        // one allocation; libyaml moves the unread bytes the same way.
        unsafe {
            let pending = b.last.offset_from(b.pointer) as usize;
            if b.pointer != b.start {
                std::ptr::copy(b.pointer, b.start, pending);
                b.pointer = b.start;
                b.last = b.start.add(pending);
            }
        }
        let mut room = b.end as usize - b.last as usize;
        let mut added = 0usize;
        while room > 0 {
            let chunk = match self.input.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.input.error = Some(e);
                    break;
                }
            };
            let window = &chunk[..chunk.len().min(room)];
            let n = ascii_prefix(window);
            // SAFETY: `room` bytes are free after `last`, and `n <= room`.
            unsafe {
                std::ptr::copy_nonoverlapping(window.as_ptr(), b.last, n);
                b.last = b.last.add(n);
            }
            // A byte for libyaml's reader, or the end of the input.
            let stop = n < window.len() || n == 0;
            self.input.reader.consume(n);
            room -= n;
            added += n;
            if stop {
                break;
            }
        }
        head.unread += added as u64;
        head.offset += added as u64;
        self.input.since_event += added;
    }

    /// Parses the next event and hands it to `look` (which copies what it
    /// keeps: the event is deleted after), or returns the parser's error.
    fn next<T>(&mut self, look: impl FnOnce(&unsafe_libyaml::yaml_event_t) -> T) -> Result<T> {
        // SAFETY: the parser was initialized in `new`; on success the event is
        // initialized, only read by `look`, and deleted once here.
        unsafe {
            if self.fast {
                self.top_up();
            }
            let parser = self.sys.as_mut_ptr();
            let event = self.event.as_mut_ptr();
            if (&*parser).error == unsafe_libyaml::YAML_NO_ERROR
                && !unsafe_libyaml::yaml_parser_parse(parser, event).fail
            {
                let out = look(&*event);
                self.input.since_event = 0;
                self.last_end = Mark::from_sys((*event).end_mark);
                unsafe_libyaml::yaml_event_delete(event);
                return Ok(out);
            }
            Err(self.error(parser))
        }
    }

    /// The parser's error as a [`YamlError`].
    ///
    /// # Safety
    /// `parser` is this parser, in the error state.
    unsafe fn error(&mut self, parser: *mut unsafe_libyaml::yaml_parser_t) -> YamlError {
        if let Some(e) = self.input.error.take() {
            return YamlError::syntax(format!("cannot read: {e}"), Mark::default());
        }
        if self.input.too_long {
            return YamlError::syntax(
                format!(
                    "a scalar of more than {MAX_SCALAR} bytes after this point, or that much \
                     text without a node (comments, blank lines); at most {MAX_SCALAR} are \
                     accepted (no Kubernetes object is that large)"
                ),
                self.last_end,
            );
        }
        // SAFETY: libyaml's messages are static C strings (or null).
        let text = |p: *const std::ffi::c_char| {
            (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy())
        };
        // SAFETY: see the function's contract.
        let p = unsafe { &*parser };
        let (problem, context, mark, offset, kind) = (
            text(p.problem),
            text(p.context),
            p.problem_mark,
            p.problem_offset,
            p.error,
        );
        let mut message = problem.map_or_else(|| "unknown error".to_owned(), |p| p.into_owned());
        if kind == unsafe_libyaml::YAML_READER_ERROR {
            // Invalid UTF-8 and the like: libyaml knows the byte, not the line.
            message = format!("{message} at byte {offset}");
            return YamlError {
                message,
                mark: None,
                syntax: true,
            };
        }
        if let Some(c) = context {
            message = format!("{message}, {c}");
        }
        YamlError::syntax(message, Mark::from_sys(mark))
    }
}

impl<R> Drop for Parser<R> {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`, deleted once.
        unsafe { unsafe_libyaml::yaml_parser_delete(self.sys.as_mut_ptr()) }
    }
}

/// Bytes libyaml owns (null pointer: none).
///
/// # Safety
/// `p` is null or a NUL-terminated string living as long as the event.
unsafe fn c_bytes<'a>(p: *const u8) -> Option<&'a [u8]> {
    (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p.cast()) }.to_bytes())
}

/// An event in the form the deserializer uses. A scalar's text is kept
/// apart, in [`Yaml::text`] (one buffer reused for every scalar: no
/// allocation for keys and skipped values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    /// Plain (unquoted, not a block scalar) and untagged: typed by its text.
    Scalar {
        plain: bool,
    },
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

/// The event, pushed onto `batch` with its scalar's text and its anchor (if
/// any) appended to the batch's text; its kind and mark (`None` for an
/// alias), to tell where a stream or a node ends.
///
/// # Safety
/// `e` is a parsed event, alive for the call.
unsafe fn convert(
    e: &unsafe_libyaml::yaml_event_t,
    batch: &mut Batch,
) -> Result<Option<(Ev, Mark)>> {
    let mark = Mark::from_sys(e.start_mark);
    // SAFETY: the union member read is the one `type_` names; pointers are
    // libyaml's, valid while the event lives.
    unsafe {
        let (ev, anchor, text) = match e.type_ {
            unsafe_libyaml::YAML_STREAM_START_EVENT => (Ev::StreamStart, None, None),
            unsafe_libyaml::YAML_STREAM_END_EVENT => (Ev::StreamEnd, None, None),
            unsafe_libyaml::YAML_DOCUMENT_START_EVENT => (Ev::DocumentStart, None, None),
            unsafe_libyaml::YAML_DOCUMENT_END_EVENT => (Ev::DocumentEnd, None, None),
            unsafe_libyaml::YAML_ALIAS_EVENT => {
                let anchor = c_bytes(e.data.alias.anchor).unwrap_or_default();
                let name = batch.push_text(anchor);
                batch.items.push(Item::Alias { name, mark });
                return Ok(None);
            }
            unsafe_libyaml::YAML_SCALAR_EVENT => {
                let s = &e.data.scalar;
                let len = s.length as usize;
                if len > MAX_SCALAR {
                    return Err(YamlError::syntax(
                        format!(
                            "a scalar of {len} bytes; at most {MAX_SCALAR} are accepted \
                             (no Kubernetes object is that large)"
                        ),
                        mark,
                    ));
                }
                // A tagged scalar (`!!str 1`) is not typed by its text.
                let plain = s.style == unsafe_libyaml::YAML_PLAIN_SCALAR_STYLE && s.tag.is_null();
                let bytes = std::slice::from_raw_parts(s.value, len);
                (Ev::Scalar { plain }, c_bytes(s.anchor), Some(bytes))
            }
            unsafe_libyaml::YAML_SEQUENCE_START_EVENT => (
                Ev::SequenceStart,
                c_bytes(e.data.sequence_start.anchor),
                None,
            ),
            unsafe_libyaml::YAML_SEQUENCE_END_EVENT => (Ev::SequenceEnd, None, None),
            unsafe_libyaml::YAML_MAPPING_START_EVENT => {
                (Ev::MappingStart, c_bytes(e.data.mapping_start.anchor), None)
            }
            unsafe_libyaml::YAML_MAPPING_END_EVENT => (Ev::MappingEnd, None, None),
            _ => (Ev::StreamEnd, None, None),
        };
        let text = text.map_or((0, 0), |t| batch.push_text(t));
        let anchor = anchor.map(|a| batch.push_text(a));
        batch.items.push(Item::Event {
            ev,
            mark,
            text,
            anchor,
        });
        Ok(Some((ev, mark)))
    }
}

// ------------------------------------------------------------- the events

/// An event recorded for aliases, with its scalar's text (empty for others).
type Rec = (Ev, Mark, Box<str>);

/// The events of an anchored node, replayed for each alias.
type Recorded = Rc<[Rec]>;

/// An anchored node being recorded for later aliases.
struct Recording {
    anchor: Box<[u8]>,
    events: Vec<Rec>,
    level: usize,
}

/// A YAML stream read one event at a time, aliases expanded.
pub(crate) struct Yaml<R> {
    events: Events<R>,
    peeked: Option<(Ev, Mark)>,
    /// The text of the last scalar pulled (the peeked one, or else the one
    /// last taken), read by the visitors before the next event is pulled.
    text: String,
    /// Mark of the last event taken, for errors raised by visitors.
    mark: Mark,
    depth: usize,
    anchors: HashMap<Box<[u8]>, Recorded>,
    recording: Vec<Recording>,
    replay: Vec<(Recorded, usize)>,
    replayed: usize,
    started: bool,
}

impl<R: BufRead> Yaml<R> {
    /// A stream over `reader` (UTF-8, or UTF-16 with a byte order mark).
    pub(crate) fn new(reader: R) -> Self {
        Yaml {
            events: Events::new(reader),
            peeked: None,
            text: String::new(),
            mark: Mark::default(),
            depth: 0,
            anchors: HashMap::new(),
            recording: Vec::new(),
            replay: Vec::new(),
            replayed: 0,
            started: false,
        }
    }

    /// Moves to the next document; `false` at the end of the stream. After
    /// `true`, the document's one node is read through `&mut self` as a
    /// `Deserializer`, then [`Self::end_document`].
    pub(crate) fn next_document(&mut self) -> Result<bool> {
        if !self.started {
            self.started = true;
            match self.take()? {
                (Ev::StreamStart, _) => {}
                (_, mark) => return Err(YamlError::syntax("expected the stream's start", mark)),
            }
        }
        match self.take()? {
            (Ev::DocumentStart, _) => {
                self.anchors.clear();
                self.replayed = 0;
                Ok(true)
            }
            (Ev::StreamEnd, _) => Ok(false),
            (_, mark) => Err(YamlError::syntax("expected a document", mark)),
        }
    }

    /// Consumes the end of a document whose node was read.
    pub(crate) fn end_document(&mut self) -> Result<()> {
        match self.take()? {
            (Ev::DocumentEnd, _) => Ok(()),
            (_, mark) => Err(YamlError::syntax("expected the end of the document", mark)),
        }
    }

    fn peek(&mut self) -> Result<(Ev, Mark)> {
        match self.peeked {
            Some(next) => Ok(next),
            None => {
                let next = self.pull(true)?;
                self.peeked = Some(next);
                Ok(next)
            }
        }
    }

    /// The next event, a scalar's text in [`Self::text`].
    fn take(&mut self) -> Result<(Ev, Mark)> {
        self.take_with(true)
    }

    /// The next event; a scalar's text is read only if `want_text` (or it
    /// was peeked).
    fn take_with(&mut self, want_text: bool) -> Result<(Ev, Mark)> {
        let (ev, mark) = match self.peeked.take() {
            Some(next) => next,
            None => self.pull(want_text)?,
        };
        self.mark = mark;
        match ev {
            Ev::SequenceStart | Ev::MappingStart => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(too_deep(mark));
                }
            }
            Ev::SequenceEnd | Ev::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok((ev, mark))
    }

    /// The next event: replayed for an alias, or parsed (and recorded while
    /// inside anchored nodes). A scalar's text goes to [`Self::text`] when
    /// `want_text` or it is recorded.
    fn pull(&mut self, want_text: bool) -> Result<(Ev, Mark)> {
        loop {
            if let Some((events, i)) = self.replay.last_mut() {
                if let Some((ev, mark, text)) = events.get(*i) {
                    *i += 1;
                    let (ev, mark) = (*ev, *mark);
                    if let Ev::Scalar { .. } = ev {
                        self.text.clear();
                        self.text.push_str(text);
                    }
                    self.replayed += 1;
                    if self.replayed > MAX_REPLAYED {
                        return Err(YamlError::syntax(
                            format!("aliases expand to more than {MAX_REPLAYED} nodes"),
                            mark,
                        ));
                    }
                    if !self.recording.is_empty() {
                        self.record(ev, mark, None);
                    }
                    return Ok((ev, mark));
                }
                self.replay.pop();
                continue;
            }
            let want_text = want_text || !self.recording.is_empty();
            let (item, batch) = self.events.next()?;
            match item {
                Item::Alias { name, mark } => {
                    let name = batch.text(name);
                    let Some(events) = self.anchors.get(name.as_bytes()).cloned() else {
                        return Err(YamlError::syntax(format!("unknown anchor `{name}`"), mark));
                    };
                    self.replay.push((events, 0));
                }
                Item::Event {
                    ev,
                    mark,
                    text,
                    anchor,
                } => {
                    if want_text || anchor.is_some() {
                        self.text.clear();
                        self.text.push_str(&batch.text(text));
                    }
                    if anchor.is_some() || !self.recording.is_empty() {
                        let anchor = anchor.map(|a| Box::from(batch.text(a).as_bytes()));
                        self.record(ev, mark, anchor);
                    }
                    return Ok((ev, mark));
                }
            }
        }
    }

    /// Adds an event to every node being recorded, starting a recording at an
    /// anchor and storing those that end.
    fn record(&mut self, ev: Ev, mark: Mark, anchor: Option<Box<[u8]>>) {
        if let Some(anchor) = anchor {
            self.recording.push(Recording {
                anchor,
                events: Vec::new(),
                level: 0,
            });
        }
        if self.recording.is_empty() {
            return;
        }
        let text: Box<str> = match ev {
            Ev::Scalar { .. } => self.text.as_str().into(),
            _ => Box::default(),
        };
        let mut done = Vec::new();
        for (i, r) in self.recording.iter_mut().enumerate() {
            r.events.push((ev, mark, text.clone()));
            match ev {
                Ev::SequenceStart | Ev::MappingStart => r.level += 1,
                Ev::SequenceEnd | Ev::MappingEnd => r.level -= 1,
                _ => {}
            }
            if r.level == 0 {
                done.push(i);
            }
        }
        for i in done.into_iter().rev() {
            let r = self.recording.remove(i);
            self.anchors.insert(r.anchor, r.events.into());
        }
    }

    /// Skips one node without looking at it.
    fn skip(&mut self) -> Result<()> {
        let mut level = 0usize;
        loop {
            match self.take_with(false)?.0 {
                Ev::SequenceStart | Ev::MappingStart => level += 1,
                Ev::SequenceEnd | Ev::MappingEnd => level -= 1,
                Ev::Scalar { .. } => {}
                _ => return Err(YamlError::syntax("unexpected event", self.mark)),
            }
            if level == 0 {
                return Ok(());
            }
        }
    }

    /// An event out of place; a scalar is named with its text, as when the
    /// text was part of the event (`Scalar(Scalar { value: "a", plain: true })`).
    fn unexpected(&self, ev: &Ev) -> YamlError {
        let message = match ev {
            Ev::Scalar { plain } => format!(
                "unexpected event Scalar(Scalar {{ value: {:?}, plain: {plain} }})",
                self.text
            ),
            ev => format!("unexpected event {ev:?}"),
        };
        YamlError::syntax(message, self.mark)
    }
}

/// `null`, `~` or nothing: YAML's null.
fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// A plain scalar typed by the YAML 1.2 core schema.
fn visit_plain<'de, V: Visitor<'de>>(s: &str, visitor: V) -> Result<V::Value> {
    if is_null(s) {
        return visitor.visit_unit();
    }
    match s {
        "true" | "True" | "TRUE" => return visitor.visit_bool(true),
        "false" | "False" | "FALSE" => return visitor.visit_bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return visitor.visit_f64(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return visitor.visit_f64(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return visitor.visit_f64(f64::NAN),
        _ => {}
    }
    let (sign, digits) = match s.as_bytes().first() {
        Some(b'-') => (-1i128, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    let radix = |prefix: &str, radix: u32| {
        digits
            .strip_prefix(prefix)
            .filter(|d| !d.is_empty() && !d.starts_with(['+', '-']))
            .and_then(|d| i128::from_str_radix(d, radix).ok())
    };
    let int = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i128>().ok()
    } else {
        radix("0x", 16).or_else(|| radix("0o", 8))
    };
    if let Some(n) = int.map(|n| n * sign) {
        if let Ok(n) = i64::try_from(n) {
            return visitor.visit_i64(n);
        }
        if let Ok(n) = u64::try_from(n) {
            return visitor.visit_u64(n);
        }
    }
    if looks_like_float(s)
        && let Ok(f) = s.parse::<f64>()
    {
        return visitor.visit_f64(f);
    }
    visitor.visit_str(s)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn looks_like_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = digits(&mut i);
        if whole == 0 && frac == 0 {
            return false;
        }
    } else if whole == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

impl<'de, R: BufRead> Deserializer<'de> for &mut Yaml<R> {
    type Error = YamlError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (ev, mark) = self.take()?;
        let result = match ev {
            Ev::Scalar { plain: true } => visit_plain(&self.text, visitor),
            Ev::Scalar { plain: false } => visitor.visit_str(&self.text),
            Ev::SequenceStart => {
                let value = visitor.visit_seq(Seq { de: &mut *self })?;
                match self.peek()?.0 {
                    Ev::SequenceEnd => {
                        self.take()?;
                        Ok(value)
                    }
                    // A struct read from a sequence stops after its fields.
                    _ => Err(de::Error::custom(
                        "a sequence with more elements than expected",
                    )),
                }
            }
            Ev::MappingStart => {
                let value = visitor.visit_map(Map {
                    de: &mut *self,
                    keys: Keys::default(),
                })?;
                match self.take()?.0 {
                    Ev::MappingEnd => Ok(value),
                    ev => Err(self.unexpected(&ev)),
                }
            }
            ev => Err(self.unexpected(&ev)),
        };
        result.map_err(|e| e.at(mark))
    }

    /// Any scalar is read as its text (YAML 1.1 producers); `null` stays a
    /// null, so that `Option<String>` fields and errors keep their meaning.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            (Ev::Scalar { plain }, _) if !(plain && is_null(&self.text)) => {
                let (_, mark) = self.take()?;
                visitor
                    .visit_str(&self.text)
                    .map_err(|e: YamlError| e.at(mark))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let null = matches!(self.peek()?, (Ev::Scalar { plain: true }, _) if is_null(&self.text));
        if null {
            self.take()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let (ev, mark) = self.take()?;
        match ev {
            Ev::Scalar { .. } => visitor
                .visit_enum(de::IntoDeserializer::<YamlError>::into_deserializer(
                    self.text.as_str(),
                ))
                .map_err(|e| e.at(mark)),
            _ => Err(de::Error::invalid_type(Unexpected::Map, &visitor))
                .map_err(|e: YamlError| e.at(mark)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
    }
}

struct Seq<'a, R> {
    de: &'a mut Yaml<R>,
}

impl<'de, R: BufRead> SeqAccess<'de> for Seq<'_, R> {
    type Error = YamlError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if matches!(self.de.peek()?.0, Ev::SequenceEnd) {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// The keys of one mapping so far, as 64-bit hashes (a collision would need
/// two distinct keys with equal hashes: not a practical concern). A short list
/// for the usual handful of keys (no allocation), a set past that (no
/// quadratic mapping).
#[derive(Default)]
struct Keys {
    few: [u64; 16],
    len: usize,
    many: std::collections::HashSet<u64>,
}

impl Keys {
    /// Whether `key` was seen before; remembers it.
    fn repeated(&mut self, key: &str) -> bool {
        let mut h = std::hash::DefaultHasher::new();
        h.write(key.as_bytes());
        let h = h.finish();
        if self.len < self.few.len() {
            if self.few[..self.len].contains(&h) {
                return true;
            }
            self.few[self.len] = h;
            self.len += 1;
            return false;
        }
        if self.many.is_empty() {
            self.many.extend(self.few.iter().copied());
        }
        !self.many.insert(h)
    }
}

struct Map<'a, R> {
    de: &'a mut Yaml<R>,
    keys: Keys,
}

impl<'de, R: BufRead> MapAccess<'de> for Map<'_, R> {
    type Error = YamlError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let (ev, mark) = self.de.peek()?;
        match ev {
            Ev::MappingEnd => return Ok(None),
            // `repeated` remembers the key.
            Ev::Scalar { .. } if self.keys.repeated(&self.de.text) => {
                return Err(YamlError::syntax(duplicate_key(&self.de.text), mark));
            }
            _ => {}
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out `data` at most `step` bytes at a time, then
    /// fails with `error` if given (instead of ending). Also read by the
    /// tests of [`super::events`].
    pub(super) struct Chunked {
        pub(super) data: Vec<u8>,
        pub(super) at: usize,
        pub(super) step: usize,
        pub(super) error: Option<&'static str>,
    }

    impl std::io::Read for Chunked {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.fill_buf()?.len().min(out.len());
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    impl BufRead for Chunked {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            if self.at == self.data.len()
                && let Some(e) = self.error
            {
                return Err(std::io::Error::other(e));
            }
            let end = (self.at + self.step).min(self.data.len());
            Ok(&self.data[self.at..end])
        }
        fn consume(&mut self, n: usize) {
            self.at += n;
        }
    }

    /// Every event of `data` (kind, scalar text, start and end marks with
    /// their byte index), then the error if any, as text.
    fn events(data: &[u8], step: usize, fast: bool) -> Vec<String> {
        let mut parser = Parser::new(Chunked {
            data: data.to_vec(),
            at: 0,
            step,
            error: None,
        });
        assert!(parser.fast, "libyaml's parser layout is not recognized");
        parser.fast = fast;
        let mut out = Vec::new();
        loop {
            let next = parser.next(|e| {
                let (s, t) = (e.start_mark, e.end_mark);
                let mut batch = Batch::default();
                // SAFETY: a parsed event, alive for the call.
                let parsed = unsafe { convert(e, &mut batch) };
                let mut text = String::new();
                let ev = match (&parsed, batch.items.first()) {
                    (Ok(_), Some(Item::Event { ev, text: t, .. })) => {
                        text = batch.text(*t).into_owned();
                        format!("{ev:?}")
                    }
                    (Ok(_), _) => "Alias".to_owned(),
                    (Err(e), _) => e.to_string(),
                };
                let marks = [s.index, s.line, s.column, t.index, t.line, t.column];
                (format!("{ev} {text:?} {marks:?}"), e.type_)
            });
            match next {
                Ok((line, kind)) => {
                    out.push(line);
                    if kind == unsafe_libyaml::YAML_STREAM_END_EVENT {
                        return out;
                    }
                }
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }

    #[test]
    fn the_ascii_fast_path_reads_as_libyaml_does() {
        let mut long = String::new();
        for i in 0..3000 {
            long.push_str(&format!(
                "- name: item-{i}\n  labels:\n    app: \"x{i}\"\n    k: 'v'\n  list: [a, b]\n"
            ));
            if i % 700 == 0 {
                long.push_str("  note: caf\u{e9} \u{65e5}\u{672c} \u{1f600}\r\n");
            }
        }
        let wide = format!("a: {}\nb: c\n", "x".repeat(100_000));
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a: 1".to_vec(),
            b"a: 1\nb: [x, y]\n".to_vec(),
            b"a:\tb\r\nc: d\re: f\n".to_vec(),
            long.clone().into_bytes(),
            wide.into_bytes(),
            b"\xEF\xBB\xBFa: b\n".to_vec(),
            b"\xFF\xFEa\x00:\x00 \x00b\x00\n\x00".to_vec(),
            b"a: \xC3".to_vec(),
        ];
        for bad in [
            &b"\x01"[..],
            b"\x00",
            b"\x7F",
            b"\xFF",
            b"\xC3(",
            b"\xE2\x82",
        ] {
            let mut text = long.clone().into_bytes();
            let at = text.len() / 2;
            text.splice(at..at, bad.iter().copied());
            inputs.push(text);
        }
        for input in &inputs {
            for step in [1, 3, 7, 64, 5000, 1 << 20] {
                if step < 64 && input.len() > 50_000 {
                    continue; // the same boundaries, far slower
                }
                let (fast, slow) = (events(input, step, true), events(input, step, false));
                let ends_in_error = slow.last().is_some_and(|l| l.starts_with("error"));
                let what = format!("{} bytes, {step} at a time", input.len());
                assert_same_events(&fast, &slow, ends_in_error, &what);
            }
        }
    }

    /// `a` and `b`, two readings of one input, as lines, agree. When they end
    /// in an error met by libyaml's reader (a bad byte, a read error): the
    /// reader decodes up to 16 KiB ahead of the scanner, so it meets the
    /// error some events before the scanner would, how many depends on where
    /// reads end; then the same events up to the earlier error, and the same
    /// error.
    pub(super) fn assert_same_events(a: &[String], b: &[String], ends_in_error: bool, what: &str) {
        let n = if ends_in_error {
            assert_eq!(a.last(), b.last(), "{what}");
            a.len().min(b.len()) - 1
        } else {
            assert_eq!(a.len(), b.len(), "{what}");
            a.len()
        };
        let first = (0..n).find(|&i| a[i] != b[i]);
        assert!(
            first.is_none(),
            "{what}: {:?} / {:?}",
            first.map(|i| &a[i]),
            first.map(|i| &b[i]),
        );
    }

    #[test]
    fn ascii_prefix_stops_where_libyaml_decodes() {
        for (text, n) in [
            (&b""[..], 0),
            (b"abc", 3),
            (b"abcdefgh\tij\r\nkl", 15),
            (b"abcdefghij\x7fk", 10),
            (b"abcdefghij\x1fk", 10),
            (b"abcdefghijklmnop\xC3\xA9", 16),
            (b"\x00abc", 0),
            (b"a~ }{", 5),
        ] {
            assert_eq!(ascii_prefix(text), n, "{text:?}");
        }
    }
}
