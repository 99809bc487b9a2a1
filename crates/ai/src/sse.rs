//! An incremental decoder of server-sent events: bytes in, as the network delivers them; the
//! `data` of each complete event out.
//!
//! Follows the WHATWG rules that matter here: lines end in LF, CRLF or CR (a CR at the end of
//! one read may be followed by its LF in the next); a line starting with `:` is a comment; the
//! `data` lines of one event are joined with `\n`; a blank line ends the event; other fields
//! (`event`, `id`, `retry`) are ignored. Unlike the standard, an event still open when the body
//! ends is delivered: some servers omit the last blank line.

/// A line (and so an event) longer than this is refused: a runaway body, not a token.
pub(crate) const MAX_LINE: usize = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    /// Bytes of the line not yet ended.
    line: Vec<u8>,
    /// The last byte seen was a CR: an LF next is part of the same line ending.
    after_cr: bool,
    /// `data` of the event being read.
    data: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LineTooLong;

impl SseDecoder {
    /// Feeds one read; returns the data of the events it completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, LineTooLong> {
        let mut events = Vec::new();
        for &byte in bytes {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.line_ended(&line, &mut events);
                }
                _ if self.line.len() >= MAX_LINE => return Err(LineTooLong),
                _ => self.line.push(byte),
            }
        }
        Ok(events)
    }

    /// The body ended: the event still open, if any.
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        let mut events = Vec::new();
        if !line.is_empty() {
            self.line_ended(&line, &mut events);
        }
        events.pop().or_else(|| self.data.take())
    }

    fn line_ended(&mut self, line: &[u8], events: &mut Vec<String>) {
        if line.is_empty() {
            events.extend(self.data.take());
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_reads(reads: &[&[u8]]) -> Vec<String> {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        for read in reads {
            events.extend(decoder.feed(read).expect("short lines"));
        }
        events.extend(decoder.finish());
        events
    }

    #[test]
    fn one_event_per_blank_line() {
        let body = b"data: {\"a\":1}\n\ndata: [DONE]\n\n";
        assert_eq!(decode_in_reads(&[body]), ["{\"a\":1}", "[DONE]"]);
    }

    #[test]
    fn events_split_across_reads_at_every_byte() {
        let body = b"data: {\"text\":\"h\xc3\xa9llo\"}\r\n\r\ndata: [DONE]\r\n\r\n";
        let expected = ["{\"text\":\"h\u{e9}llo\"}", "[DONE]"];
        for cut in 0..body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(decode_in_reads(&[a, b]), expected, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode_in_reads(&bytes), expected);
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        assert_eq!(decode_in_reads(&[b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"]), ["a", "b", "c"]);
        // A CR ending one read and its LF beginning the next is one line ending.
        assert_eq!(decode_in_reads(&[b"data: a\r", b"\n\r", b"\ndata: b\n\n"]), ["a", "b"]);
    }

    #[test]
    fn comments_and_other_fields_are_skipped() {
        let body = b": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: x\n\n:ping\n\n";
        assert_eq!(decode_in_reads(&[body]), ["x"]);
    }

    #[test]
    fn data_lines_join_and_the_space_after_the_colon_is_optional() {
        assert_eq!(decode_in_reads(&[b"data:a\ndata:  b\ndata\n\n"]), ["a\n b\n"]);
    }

    #[test]
    fn an_event_open_at_the_end_is_delivered() {
        assert_eq!(decode_in_reads(&[b"data: [DONE]"]), ["[DONE]"]);
        assert_eq!(decode_in_reads(&[b"data: x\n"]), ["x"]);
        assert!(decode_in_reads(&[b": only a comment"]).is_empty());
    }

    #[test]
    fn a_runaway_line_is_refused() {
        let mut decoder = SseDecoder::default();
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(decoder.feed(&long), Err(LineTooLong));
    }
}
