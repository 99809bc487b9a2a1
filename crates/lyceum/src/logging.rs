//! Logs on standard error: everything is written at once, except the per-request access log
//! (target `lyceum::access`), which is buffered and written every `FLUSH_EVERY` (or when
//! `FLUSH_AT` bytes wait) by a background thread, as web servers buffer access logs. An unbuffered
//! write per request, or waking a writer thread per line, cost more than the permission check.
//! `RUST_LOG` filters both; `Logging::flush` (and dropping it) writes out what waits.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The access log's target.
pub const ACCESS: &str = "lyceum::access";

/// The longest an access line waits before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Waiting lines are written at once past this many bytes.
const FLUSH_AT: usize = 256 * 1024;

/// Text (human) or JSON (one object per line) lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Lines waiting to be written to an output.
pub struct Buffered<W> {
    waiting: Arc<Mutex<Vec<u8>>>,
    out: Arc<Mutex<W>>,
}

impl<W> Clone for Buffered<W> {
    fn clone(&self) -> Self {
        Buffered { waiting: self.waiting.clone(), out: self.out.clone() }
    }
}

impl<W: Write> Buffered<W> {
    pub fn new(out: W) -> Buffered<W> {
        Buffered { waiting: Arc::new(Mutex::new(Vec::new())), out: Arc::new(Mutex::new(out)) }
    }

    /// Writes out whatever waits.
    pub fn flush(&self) {
        let lines = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        if !lines.is_empty() {
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            // Nowhere to report a failed log write; the lines are dropped like stderr would.
            let _ = out.write_all(&lines).and_then(|()| out.flush());
        }
    }
}

/// One line being formatted, appended to the waiting lines when done.
pub struct Line<'a, W: Write> {
    log: &'a Buffered<W>,
    line: Vec<u8>,
}

impl<W: Write> Write for Line<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for Line<'_, W> {
    fn drop(&mut self) {
        let full = {
            let mut waiting = self.log.waiting.lock().unwrap_or_else(|e| e.into_inner());
            waiting.extend_from_slice(&self.line);
            waiting.len() >= FLUSH_AT
        };
        if full {
            self.log.flush();
        }
    }
}

impl<'a, W: Write + 'a> MakeWriter<'a> for Buffered<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Line<'a, W> {
        Line { log: self, line: Vec::with_capacity(160) }
    }
}

/// The installed logging; flushes the access log when dropped.
pub struct Logging {
    access: Buffered<std::io::Stderr>,
}

impl Logging {
    pub fn flush(&self) {
        self.access.flush();
    }
}

impl Drop for Logging {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Installs the subscriber (filter from `RUST_LOG`, default `info,sqlx=warn`) and starts the
/// access log's flushing thread.
pub fn init(format: Format) -> Logging {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let access = Buffered::new(std::io::stderr());
    let immediate = layer(format, colours, std::io::stderr).with_filter(filter_fn(|m| m.target() != ACCESS));
    let buffered = layer(format, colours, access.clone()).with_filter(filter_fn(|m| m.target() == ACCESS));
    Registry::default().with(filter).with(immediate).with(buffered).init();
    let flusher = access.clone();
    // Detached: it sleeps between flushes and ends with the process.
    let _ = std::thread::Builder::new().name("lyceum-access-log".into()).spawn(move || loop {
        std::thread::sleep(FLUSH_EVERY);
        flusher.flush();
    });
    Logging { access }
}

fn layer<S, W>(format: Format, colours: bool, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let base = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(colours);
    match format {
        Format::Text => base.boxed(),
        Format::Json => base.json().boxed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_wait_until_flushed_or_until_enough_wait() {
        let sink = Sink::default();
        let log = Buffered::new(sink.clone());
        writeln!(log.make_writer(), "one").expect("buffered");
        assert!(sink.0.lock().expect("ok").is_empty(), "a line waits");
        log.flush();
        assert_eq!(&*sink.0.lock().expect("ok"), b"one\n");
        let long = vec![b'x'; FLUSH_AT];
        log.make_writer().write_all(&long).expect("buffered");
        assert_eq!(sink.0.lock().expect("ok").len(), 4 + FLUSH_AT, "written at once past FLUSH_AT");
    }
}
