//! libyaml's events in batches: parsed on the calling thread, or on a second
//! thread while the calling thread decodes the batch before.
//!
//! Why a second thread: libyaml's scanner and parser are three quarters of the
//! time of reading a `kubectl get -o yaml` dump, and what decodes the events
//! into objects is the other quarter; on a machine with more than one core
//! the two overlap (PERFORMANCE.md has the figures). The input is still read
//! on the calling thread (the caller's reader need not be `Send`) and handed
//! over in chunks; the events, their marks and their errors are the same
//! either way, in the same order (a test reads every input both ways).

use std::io::{self, BufRead, Read};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;

use super::{Ev, MAX_DEPTH, Mark, Parser, Result, YamlError, too_deep};

/// Where a text lies in its batch's [`Batch::text`].
pub(super) type Span = (usize, usize);

/// One libyaml event, its texts kept in the batch.
#[derive(Debug, Clone, Copy)]
pub(super) enum Item {
    Event {
        ev: Ev,
        mark: Mark,
        /// A scalar's text (empty for other events).
        text: Span,
        anchor: Option<Span>,
    },
    Alias {
        name: Span,
        mark: Mark,
    },
}

/// Events in the order libyaml reported them, and the error that stopped it
/// (after the last item) if one did.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) items: Vec<Item>,
    /// Every scalar's text and anchor name, one after the other, as libyaml
    /// gave them (checked as UTF-8 where they are read: on the decoding
    /// thread, and only the texts that are read).
    pub(super) text: Vec<u8>,
    pub(super) error: Option<YamlError>,
}

impl Batch {
    /// Appends `bytes` to [`Batch::text`].
    pub(super) fn push_text(&mut self, bytes: &[u8]) -> Span {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        (start, self.text.len())
    }

    /// A text of this batch. libyaml checked that its input is UTF-8 (and
    /// writes escapes as UTF-8), so the lossy conversion is a fallback that
    /// does not happen.
    pub(super) fn text(&self, (start, end): Span) -> std::borrow::Cow<'_, str> {
        let bytes = &self.text[start..end];
        // `from_utf8` first: it checks faster than the lossy conversion.
        match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.text.clear();
        self.error = None;
    }
}

/// A batch is handed over when it has this many events...
const BATCH_EVENTS: usize = 1024;
/// ...or this many bytes of text.
const BATCH_TEXT: usize = 64 << 10;
/// Batches parsed ahead of the one being decoded, at most.
const BATCHES_AHEAD: usize = 4;
/// Inputs whose first buffer is smaller are parsed on the calling thread.
const PIPED_FROM: usize = 16 << 10;
/// Input handed to the parsing thread at a time, and chunks of it ahead.
const CHUNK: usize = 64 << 10;
const CHUNKS_AHEAD: usize = 4;

/// libyaml's parser, and what it reported so far.
struct Producer<R> {
    parser: Parser<R>,
    depth: usize,
    /// The stream ended, or an error stopped it.
    done: bool,
}

impl<R: BufRead> Producer<R> {
    fn new(reader: R) -> Self {
        Producer {
            parser: Parser::new(reader),
            depth: 0,
            done: false,
        }
    }

    /// Parses events into `batch` (empty) until it is full or the stream
    /// stops.
    fn fill(&mut self, batch: &mut Batch) {
        while !self.done && batch.items.len() < BATCH_EVENTS && batch.text.len() < BATCH_TEXT {
            // SAFETY: the event is alive while `convert` reads it.
            let event = match self.parser.next(|e| unsafe { super::convert(e, batch) }) {
                Ok(Ok(ev)) => ev,
                Ok(Err(e)) | Err(e) => {
                    batch.error = Some(e);
                    self.done = true;
                    break;
                }
            };
            match event {
                Some((Ev::StreamEnd, _)) => self.done = true,
                Some((Ev::SequenceStart | Ev::MappingStart, mark)) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        // The deserializer refuses this very event (its own
                        // count, aliases included, is at least this one);
                        // stopping here keeps libyaml from going deeper, where
                        // every token costs more (see `MAX_DEPTH`).
                        batch.error = Some(too_deep(mark));
                        self.done = true;
                    }
                }
                Some((Ev::SequenceEnd | Ev::MappingEnd, _)) => {
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => {}
            }
        }
    }
}

/// Events, one at a time, from batches.
pub(super) struct Events<R> {
    batch: Batch,
    at: usize,
    source: Source<R>,
}

enum Source<R> {
    Here(Producer<R>),
    Piped(Pipe<R>),
}

/// Whether this machine has a second core for libyaml (asked once: the
/// standard library reads cgroup limits to answer).
fn second_core() -> bool {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) > 1
}

impl<R: BufRead> Events<R> {
    /// Events of `reader`, parsed on a second thread when the input is not
    /// small (its first buffer holds at least [`PIPED_FROM`] bytes: a thread
    /// costs tens of microseconds, as much as a small file) and the machine
    /// has a second core (and the thread could be started), else on this one.
    pub(super) fn new(mut reader: R) -> Self {
        let large = reader.fill_buf().is_ok_and(|b| b.len() >= PIPED_FROM);
        let source = if large && second_core() {
            Pipe::start(reader)
                .map_or_else(|reader| Source::Here(Producer::new(reader)), Source::Piped)
        } else {
            Source::Here(Producer::new(reader))
        };
        Events {
            batch: Batch::default(),
            at: 0,
            source,
        }
    }

    /// Events of `reader`, parsed on this thread.
    #[cfg(test)]
    fn here(reader: R) -> Self {
        Events {
            batch: Batch::default(),
            at: 0,
            source: Source::Here(Producer::new(reader)),
        }
    }

    /// Events of `reader`, parsed on a second thread whatever the cores.
    #[cfg(test)]
    fn piped(reader: R) -> Self {
        Events {
            batch: Batch::default(),
            at: 0,
            source: Source::Piped(Pipe::start(reader).ok().expect("a thread")),
        }
    }

    /// The next event, and the batch that holds its texts.
    pub(super) fn next(&mut self) -> Result<(Item, &Batch)> {
        if self.at == self.batch.items.len() {
            if let Some(e) = self.batch.error.take() {
                return Err(e);
            }
            match &mut self.source {
                Source::Here(producer) => {
                    self.batch.clear();
                    producer.fill(&mut self.batch);
                }
                Source::Piped(pipe) => {
                    let spent = std::mem::take(&mut self.batch);
                    self.batch = pipe.next(spent)?;
                }
            }
            self.at = 0;
            if self.batch.items.is_empty() {
                return Err(self
                    .batch
                    .error
                    .take()
                    .unwrap_or_else(|| YamlError::syntax("the stream ended", Mark::default())));
            }
        }
        let item = self.batch.items[self.at];
        self.at += 1;
        Ok((item, &self.batch))
    }
}

// ------------------------------------------------------------------- piped

/// Input for the parsing thread: bytes (empty at the end) or the read error.
type Chunk = io::Result<Vec<u8>>;

/// What the parsing thread sends.
enum Msg {
    Batch(Batch),
    /// It has no input left and waits for a chunk.
    NeedInput,
}

/// The calling thread's end: it reads the input and hands it over in chunks,
/// and receives the batches.
struct Pipe<R> {
    reader: R,
    /// The read error met after the bytes before it were handed over.
    failed: Option<io::Error>,
    /// The end of the input (or its error) was handed over.
    finished: bool,
    /// A chunk read while the thread had enough.
    held: Option<Chunk>,
    /// Dropped before `_thread` (fields drop in order): with both channels
    /// closed, the thread (waiting for input, or for room for a batch) stops.
    link: Link,
    _thread: Joined,
}

/// The parsing thread, waited for when dropped.
struct Joined(Option<JoinHandle<()>>);

impl Drop for Joined {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

struct Link {
    batches: Receiver<Msg>,
    input: SyncSender<Chunk>,
    /// Batches decoded, for the thread to fill again.
    spent: Sender<Batch>,
}

impl<R: BufRead> Pipe<R> {
    /// Starts the parsing thread; the reader back if it cannot be started.
    fn start(reader: R) -> std::result::Result<Self, R> {
        let (batch_tx, batches) = mpsc::sync_channel(BATCHES_AHEAD);
        let (input, input_rx) = mpsc::sync_channel(CHUNKS_AHEAD);
        let (spent, spent_rx) = mpsc::channel();
        let ask = batch_tx.clone();
        let thread = std::thread::Builder::new()
            .name("meshrev-yaml".into())
            .spawn(move || {
                let reader = ChunkReader {
                    chunk: Vec::new(),
                    at: 0,
                    end: false,
                    input: input_rx,
                    ask,
                };
                produce(Producer::new(reader), &batch_tx, &spent_rx);
            });
        match thread {
            Ok(thread) => Ok(Pipe {
                reader,
                failed: None,
                finished: false,
                held: None,
                link: Link {
                    batches,
                    input,
                    spent,
                },
                _thread: Joined(Some(thread)),
            }),
            Err(_) => Err(reader),
        }
    }

    /// The next batch; `spent` goes back to be filled again.
    fn next(&mut self, mut spent: Batch) -> Result<Batch> {
        spent.clear();
        // The thread may have ended (the stream did): then the batch is dropped.
        let _ = self.link.spent.send(spent);
        loop {
            self.feed();
            match self.link.batches.recv() {
                Ok(Msg::Batch(batch)) => return Ok(batch),
                // `feed` again: the thread emptied what it had.
                Ok(Msg::NeedInput) => {}
                // Only after its last batch, which ended the stream.
                Err(_) => return Ok(Batch::default()),
            }
        }
    }

    /// Hands over input until the thread has [`CHUNKS_AHEAD`] chunks or the
    /// input is all handed over.
    fn feed(&mut self) {
        let link = &self.link;
        loop {
            let chunk = match self.held.take() {
                Some(chunk) => chunk,
                None => match read_chunk(&mut self.reader, &mut self.failed, &mut self.finished) {
                    Some(chunk) => chunk,
                    None => return,
                },
            };
            match link.input.try_send(chunk) {
                Ok(()) => {}
                Err(TrySendError::Full(chunk)) => {
                    self.held = Some(chunk);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }
}

/// The next chunk of `reader` (empty at its end, then `None`).
fn read_chunk<R: BufRead>(
    reader: &mut R,
    failed: &mut Option<io::Error>,
    finished: &mut bool,
) -> Option<Chunk> {
    if *finished {
        return None;
    }
    if let Some(e) = failed.take() {
        *finished = true;
        return Some(Err(e));
    }
    let mut bytes = Vec::new();
    while bytes.len() < CHUNK {
        match reader.fill_buf() {
            Ok([]) => break,
            Ok(available) => {
                let n = available.len().min(CHUNK - bytes.len());
                bytes.reserve(CHUNK);
                bytes.extend_from_slice(&available[..n]);
                reader.consume(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if bytes.is_empty() => {
                *finished = true;
                return Some(Err(e));
            }
            Err(e) => {
                *failed = Some(e);
                return Some(Ok(bytes));
            }
        }
    }
    *finished = bytes.is_empty();
    Some(Ok(bytes))
}

/// The parsing thread: fills batches until the stream ends or the calling
/// thread stops listening.
fn produce(
    mut producer: Producer<ChunkReader>,
    batches: &SyncSender<Msg>,
    spent: &Receiver<Batch>,
) {
    while !producer.done {
        let mut batch = spent.try_recv().unwrap_or_default();
        producer.fill(&mut batch);
        if batches.send(Msg::Batch(batch)).is_err() {
            return;
        }
    }
}

/// The parsing thread's input: the chunks the calling thread hands over.
struct ChunkReader {
    chunk: Vec<u8>,
    at: usize,
    /// The last chunk (empty, or an error) was received.
    end: bool,
    input: Receiver<Chunk>,
    ask: SyncSender<Msg>,
}

impl ChunkReader {
    fn receive(&mut self) -> io::Result<Chunk> {
        let gone = || io::Error::other("the input was closed");
        match self.input.try_recv() {
            Ok(chunk) => Ok(chunk),
            Err(TryRecvError::Disconnected) => Err(gone()),
            Err(TryRecvError::Empty) => {
                self.ask.send(Msg::NeedInput).map_err(|_| gone())?;
                self.input.recv().map_err(|_| gone())
            }
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.chunk.len() && !self.end {
            match self.receive()? {
                Ok(bytes) if bytes.is_empty() => self.end = true,
                Ok(bytes) => {
                    self.chunk = bytes;
                    self.at = 0;
                }
                Err(e) => {
                    self.end = true;
                    return Err(e);
                }
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Chunked, assert_same_events};
    use super::*;

    /// Every event as text (kind, mark, scalar text, anchor), then the error.
    fn read_all(mut events: Events<Chunked>) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match events.next() {
                Ok((item, batch)) => {
                    let line = match item {
                        Item::Event {
                            ev,
                            mark,
                            text,
                            anchor,
                        } => format!(
                            "{ev:?} {mark:?} {:?} {:?}",
                            batch.text(text),
                            anchor.map(|a| batch.text(a).into_owned())
                        ),
                        Item::Alias { name, mark } => {
                            format!("alias {mark:?} {:?}", batch.text(name))
                        }
                    };
                    let end = line.starts_with("StreamEnd");
                    out.push(line);
                    if end {
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

    fn inputs() -> Vec<(Vec<u8>, Option<&'static str>)> {
        let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
        for i in 0..4000 {
            list.push_str(&format!(
                "- metadata:\n    name: pod-{i}\n    labels: {{app: a{i}, v: '1'}}\n    \
                 note: \"caf\u{e9} \\u263A\"\n  spec: &s{i}\n    x: [1, 2.5, ~]\n  again: *s{i}\n"
            ));
        }
        let mut bad_byte = list.clone().into_bytes();
        bad_byte.insert(bad_byte.len() / 2, 0xFF);
        let mut syntax = list.clone();
        syntax.insert_str(syntax.len() / 3, "\n  - ]\n");
        vec![
            (Vec::new(), None),
            (b"a: 1\n---\nb: [x, {y: z}]\n...\n".to_vec(), None),
            (list.clone().into_bytes(), None),
            (bad_byte, None),
            (syntax.into_bytes(), None),
            ("[".repeat(10_000).into_bytes(), None),
            ("- ".repeat(10_000).into_bytes(), None),
            ("---\n".repeat(50_000).into_bytes(), None),
            (list.clone().into_bytes(), Some("the disk went away")),
            (b"a: b\nc: ".to_vec(), Some("the disk went away")),
            (Vec::new(), Some("nothing to read")),
        ]
    }

    #[test]
    fn a_second_thread_reads_the_same_events_and_errors() {
        for (data, error) in inputs() {
            for step in [1, 7, 4096, 1 << 20] {
                if step < 4096 && data.len() > 100_000 {
                    continue; // the same boundaries, far slower
                }
                let reader = || Chunked {
                    data: data.clone(),
                    at: 0,
                    step,
                    error,
                };
                let here = read_all(Events::here(reader()));
                let piped = read_all(Events::piped(reader()));
                assert!(here.len() > 1 || data.is_empty(), "{here:?}");
                let what = format!("{} bytes, {step} at a time", data.len());
                let ends_in_error =
                    here.last().is_some_and(|l| l.contains("at byte")) || error.is_some();
                assert_same_events(&here, &piped, ends_in_error, &what);
            }
        }
    }

    #[test]
    fn nesting_stops_the_parser_at_the_limit() {
        let data = "[".repeat(100_000).into_bytes();
        let events = read_all(Events::piped(Chunked {
            data,
            at: 0,
            step: 1 << 20,
            error: None,
        }));
        // Stream, document, MAX_DEPTH + 1 sequences, then the refusal.
        assert_eq!(events.len(), MAX_DEPTH + 4, "{:?}", events.last());
        assert!(
            events
                .last()
                .unwrap()
                .contains("nesting deeper than 128 levels")
        );
    }

    #[test]
    fn libyaml_is_stopped_after_too_much_text_without_an_event() {
        let over = super::super::MAX_QUIET + 100_000;
        for (data, refused) in [
            // Refused after the end of the last event read: `b`, or the key `c`.
            (
                format!("a: b\n# {}\nc: d\n", "x".repeat(over)),
                Some("line 1 column 5"),
            ),
            (
                format!("a: b\nc: {}\n", "x".repeat(over)),
                Some("line 2 column 2"),
            ),
            (format!("a: b\nc: '{}'\n", "x".repeat(over / 2)), None),
        ] {
            let events = read_all(Events::here(Chunked {
                data: data.into_bytes(),
                at: 0,
                step: 1 << 16,
                error: None,
            }));
            let last = events.last().expect("an event or an error");
            if let Some(at) = refused {
                assert!(last.contains("a scalar of more than"), "{last}");
                assert!(last.ends_with(&format!("at {at}")), "{last}");
            } else {
                assert!(last.starts_with("StreamEnd"), "{last}");
            }
        }
    }

    #[test]
    fn a_reader_dropped_early_stops_its_thread() {
        let (data, _) = inputs().swap_remove(2);
        for taken in [0, 1, 5000] {
            let mut events = Events::piped(Chunked {
                data: data.clone(),
                at: 0,
                step: 4096,
                error: None,
            });
            for _ in 0..taken {
                events.next().expect("an event");
            }
            // Dropping joins the thread: this returns only if it stopped.
            drop(events);
        }
    }
}
